"""The shipped reporting rules (data, not code): the CAC's 国家网络安全事件报告管理办法."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from baomi.incidents.rules import CAC_RULES

    Rule = apps.get_model("incidents", "ReportingRule")
    for row in CAC_RULES:
        Rule.objects.get_or_create(code=row["code"], defaults=row)


def unseed(apps: Any, schema_editor: Any) -> None:
    pass


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
