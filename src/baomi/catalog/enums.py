"""Typed codes shared by every domain (INTERFACES.md): classes, purposes, channels, values."""

from django.db import models


class FieldClass(models.TextChoices):
    BASIC = "basic", "基础信息 / basic"
    SENSITIVE = "sensitive", "敏感信息 / sensitive"
    PREFERENCE = "preference", "隐私偏好 / preference"


class Purpose(models.TextChoices):
    RECEPTION = "reception", "接待 / reception"
    BILLING = "billing", "结算 / billing"
    MARKETING = "marketing", "营销 / marketing"
    CUSTOMER_SERVICE = "customer_service", "客户服务 / customer service"
    DELIVERY = "delivery", "派送 / delivery"
    RIGHTS_REQUEST = "rights_request", "权利请求 / rights request"
    INVESTIGATION = "investigation", "调查 / investigation"
    LEGAL_REQUEST = "legal_request", "依法调取 / legal request"
    DATA_QUALITY = "data_quality", "数据质量 / data quality"


class Role(models.TextChoices):
    """Staff roles (INTERFACES.md). One home, next to `Purpose`: audit, console, rights and
    every domain name roles through this enum, never as raw strings."""

    FRONT_DESK = "front_desk", "前台 / front desk"
    FINANCE = "finance", "财务 / finance"
    MARKETING = "marketing", "市场 / marketing"
    CUSTOMER_SERVICE = "customer_service", "客服 / customer service"
    COURIER = "courier", "快递员 / courier"
    PRIVACY_OFFICER = "privacy_officer", "隐私官 / privacy officer"
    SECURITY_ADMIN = "security_admin", "安全管理员 / security admin"
    SYSTEM_ADMIN = "system_admin", "系统管理员 / system admin"
    SECURITY_AUDITOR = "security_auditor", "安全审计员 / security auditor"
    # departments the business documents give duties to (issue #10 §4); none of them reads
    # an individual customer's personal data by default (data_steward: only under
    # data_quality, masked where a comparison allows it)
    HR = "hr", "人力资源 / HR"
    LEGAL = "legal", "法务 / legal"
    DATA_STEWARD = "data_steward", "数据质量专员 / data steward"
    INSPECTOR = "inspector", "监督小组 / inspector"
    MANAGER = "manager", "管理层 / manager"


# the three administrator roles (三员, R-D4): operate systems, never read customer data
ADMIN_ROLES = frozenset({Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.SECURITY_AUDITOR})
# roles that see figures only (indicators, reports), never an individual's data
AGGREGATE_ROLES = frozenset({Role.HR, Role.LEGAL, Role.INSPECTOR, Role.MANAGER})


class Channel(models.TextChoices):
    WEB = "web", "网站 / web"
    APP = "app", "移动应用 / app"
    WECHAT = "wechat", "微信公众号 / WeChat"
    MINIPROGRAM = "miniprogram", "小程序 / mini-program"
    STORE = "store", "门店柜台 / store"
    CALL_CENTER = "call_center", "呼叫中心 / call centre"
    PARTNER = "partner", "合作渠道 / partner"
    OTA = "ota", "在线旅行平台 / OTA"
    IMPORT = "import", "批量导入 / import"


class IdType(models.TextChoices):
    CN_RESIDENT_ID = "cn_resident_id", "居民身份证 / resident ID"
    PASSPORT = "passport", "护照 / passport"
    HK_MACAU_PERMIT = "hk_macau_permit", "港澳通行证 / HK-Macau permit"
    TAIWAN_PERMIT = "taiwan_permit", "台湾通行证 / Taiwan permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", "外国人永久居留证 / PR card"


class Gender(models.TextChoices):
    MALE = "male", "男 / male"
    FEMALE = "female", "女 / female"
    OTHER = "other", "其他 / other"
    UNKNOWN = "unknown", "未知 / unknown"


class Industry(models.TextChoices):
    TRAVEL = "travel", "旅行社 / travel"
    HOTEL = "hotel", "酒店 / hotel"
    COURIER = "courier", "快递 / courier"


class Treatment(models.TextChoices):
    """What the access gate does with one field for one read."""

    PLAIN = "plain", "明文 / plain"
    MASKED = "masked", "脱敏 / masked"
    WITHHELD = "withheld", "不提供 / withheld"
