"""`baomi catalog [--json] [--lang zh-hans|en]`: print the collection checklist."""

import io
import json
from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from baomi.catalog import inference
from baomi.catalog.services import checklist, coverage


class Command(BaseCommand):
    help = "Print the collection checklist (every personal item, class, purposes, method)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, **opts: Any) -> None:
        rows = checklist(opts["lang"])
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "items": rows,
                        "purpose_coverage": coverage(),
                        "joint_disclosure": inference.rules(opts["lang"]),
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
            return
        zh = opts["lang"] == "zh-hans"
        t = Table(title="采集清单 Collection checklist" if zh else "Collection checklist")
        for h in (
            ["项目", "名称", "分级", "目的", "方式", "行业", "保存期限", "脱敏显示"]
            if zh
            else [
                "item",
                "label",
                "class",
                "purposes",
                "method",
                "industry",
                "retention",
                "masked shows",
            ]
        ):
            t.add_column(h)
        for r in rows:
            t.add_row(
                r["item"],
                r["label"],
                r["class"],
                ", ".join(r["purposes"]),
                r["method"],
                r["industry"],
                r["retention"],
                r["mask"],
            )
        joint = Table(
            title="联合披露规则（同一视图内的脱敏须相互成立）" if zh else "Joint-disclosure rules"
        )
        for h in ["字段", "含有", "原因", "规则"] if zh else ["field", "carries", "why", "rule"]:
            joint.add_column(h)
        for j in inference.rules(opts["lang"]):
            joint.add_row(j["field"], j["carries"], j["why"], j["rule"])
        console = Console(file=io.StringIO(), width=220)
        console.print(t)
        console.print(joint)
        self.stdout.write(console.file.getvalue())  # type: ignore[attr-defined]
        self.stdout.write(f"purpose coverage: {coverage():.0%}")
