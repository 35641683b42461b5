from django.db import models


class RetentionAction(models.TextChoices):
    RUN = "retention.run", "保存期限执行 / retention run"
    HOLD_PLACED = "retention.hold_placed", "设置法定保留 / legal hold placed"
    HOLD_LIFTED = "retention.hold_lifted", "解除法定保留 / legal hold lifted"
    ARCHIVE_REGISTERED = "retention.archive_registered", "登记纸质档案 / paper archive registered"
    ARCHIVE_DESTROYED = "retention.archive_destroyed", "销毁纸质档案 / paper archive destroyed"
    ARCHIVE_OUT = "retention.archive_out", "借出纸质档案 / paper archive taken out"
    ARCHIVE_BACK = "retention.archive_back", "归还纸质档案 / paper archive returned"


class HoldKind(models.TextChoices):
    DISPUTE = "dispute", "纠纷 / dispute"
    LITIGATION = "litigation", "诉讼 / litigation"
    AUTHORITY = "authority", "机关要求 / authority's request"
    OTHER = "other", "其他 / other"


class ArchiveKind(models.TextChoices):
    REGISTRATION_CARDS = "registration_cards", "住宿登记单 / registration cards"
    WAYBILL_COPIES = "waybill_copies", "运单存根 / waybill copies"
    CONTRACTS = "contracts", "合同与协议 / contracts"
    CONSENT_FORMS = "consent_forms", "同意书 / consent forms"
    OTHER = "other", "其他 / other"


class DestructionMethod(models.TextChoices):
    SHREDDING = "shredding", "碎纸 / shredding"
    INCINERATION = "incineration", "焚毁 / incineration"
    PULPING = "pulping", "化浆 / pulping"
