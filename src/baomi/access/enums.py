from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "前台 / front desk"
    FINANCE = "finance", "财务 / finance"
    MARKETING = "marketing", "市场 / marketing"
    CUSTOMER_SERVICE = "customer_service", "客服 / customer service"
    COURIER = "courier", "快递员 / courier"
    PRIVACY_OFFICER = "privacy_officer", "隐私官 / privacy officer"
    SECURITY_ADMIN = "security_admin", "安全管理员 / security admin"
    SYSTEM_ADMIN = "system_admin", "系统管理员 / system admin"
    SECURITY_AUDITOR = "security_auditor", "安全审计员 / security auditor"


ADMIN_ROLES = frozenset({Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.SECURITY_AUDITOR})
