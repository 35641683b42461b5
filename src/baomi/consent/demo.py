"""Demo of the privacy-notice register (R-B2, issue #19), through `consent.platforms`: the
privacy officer registers the channels where the notice must be visible and records the
current version posted on each, with its evidence."""

from __future__ import annotations

from baomi.contract.participants import DemoContext

from . import platforms
from .models import NoticePlatform

# (code, channel, name, evidence)
PLATFORMS = (
    ("web", "web", "官网隐私政策页", "https://example.com/privacy"),
    ("app", "app", "移动应用“我的-隐私”", "App 5.2 截图 APP-0412"),
    ("wechat", "wechat", "微信公众号菜单", "公众号菜单截图 WX-0412"),
    ("store-sh", "store", "上海门店柜台告示", "门店照片 SH-BUND-0412"),
)


def run(ctx: DemoContext) -> None:
    officer = ctx.staff["privacy_officer"]
    existing = set(NoticePlatform.objects.values_list("code", flat=True))
    for code, channel, name, evidence in PLATFORMS:
        if code in existing:
            continue  # re-running the demo keeps the register
        platforms.add_platform(officer, code=code, channel=channel, name=name)
        platforms.record_posting(officer, platform=code, evidence=evidence)
