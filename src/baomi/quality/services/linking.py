"""The generic CSV linker behind `baomi link` (issue #16 §2): read, guess kinds, link,
write `left_id,right_id,match_probability`, audit the run (counts, never values)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from baomi import audit
from baomi.core import csvsafe
from baomi.quality.enums import QualityAction
from baomi.quality.linkage import engine
from baomi.quality.linkage.engine import Comparator, FieldKind

MAX_ROWS = 2_000_000


class LinkInputError(ValueError):
    """A file or an option the linker cannot use (said in words, nothing written)."""


def parse_kinds(specs: Iterable[str]) -> dict[str, FieldKind]:
    out: dict[str, FieldKind] = {}
    for spec in specs:
        col, sep, kind = spec.rpartition(":")
        try:
            out[col.strip()] = FieldKind(kind.strip().lower())
        except ValueError:
            raise LinkInputError(
                f"--field {spec!r}: use COL:KIND with KIND one of "
                + ", ".join(k.value for k in FieldKind)
            ) from None
        if not sep or not col.strip():
            raise LinkInputError(f"--field {spec!r}: use COL:KIND")
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise LinkInputError(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, skipinitialspace=True)
            header = [h.strip() for h in next(reader, [])]
            if not header or not any(header):
                raise LinkInputError(f"{path}: empty file (no header row)")
            rows: list[dict[str, str]] = []
            for n, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                if len(rows) >= MAX_ROWS:
                    raise LinkInputError(f"{path}: more than {MAX_ROWS} rows")
                if len(cells) > len(header):
                    raise LinkInputError(f"{path}: row {n} has more cells than the header")
                padded = [*cells, *[""] * (len(header) - len(cells))]
                rows.append(dict(zip(header, (c.strip() for c in padded), strict=True)))
    except UnicodeDecodeError:
        raise LinkInputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise LinkInputError(f"{path}: not a CSV file ({exc})") from None
    return header, rows


def comparators(
    header: Sequence[str],
    rows: Sequence[dict[str, str]],
    id_column: str,
    kinds: dict[str, FieldKind],
    ignore: set[str],
) -> list[Comparator]:
    unknown = (set(kinds) | ignore) - set(header)
    if unknown:
        raise LinkInputError(f"no such column: {', '.join(sorted(unknown))}")
    out = []
    for col in header:
        if col == id_column or col in ignore or not col:
            continue
        kind = kinds.get(col) or engine.guess_kind(
            col, [engine.normalise(r.get(col)) for r in rows[:2000]]
        )
        out.append(Comparator(col, kind))
    if not out:
        raise LinkInputError("no column to compare besides the id column")
    return out


def link_files(
    left: Path,
    right: Path | None,
    *,
    id_column: str,
    out: Path,
    threshold: float = 0.5,
    kinds: dict[str, FieldKind] | None = None,
    ignore: set[str] | None = None,
) -> dict[str, Any]:
    lh, lrows = read_csv(left)
    rh, rrows = read_csv(right) if right is not None else (lh, [])
    for path, header in ((left, lh), (right, rh)):
        if path is not None and id_column not in header:
            raise LinkInputError(f"{path}: no column {id_column!r}")
    if right is not None and set(lh) != set(rh):
        shared = [h for h in lh if h in set(rh)]
        ignore = set(ignore or ()) | (set(lh) - set(shared))
        lh = shared
    fields = comparators(lh, lrows + rrows, id_column, kinds or {}, set(ignore or ()))
    pairs, model = engine.link_rows(
        lrows, rrows if right is not None else None, fields, threshold=threshold
    )
    other = rrows if right is not None else lrows
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csvsafe.writer(fh)
        w.writerow(["left_id", "right_id", "match_probability"])
        for p in pairs:
            w.writerow(
                [lrows[p.left][id_column], other[p.right][id_column], f"{p.probability:.6f}"]
            )
    summary = {
        "left_rows": len(lrows),
        "right_rows": len(rrows) if right is not None else None,
        "pairs": len(pairs),
        "threshold": threshold,
        "fields": {f.name: f.kind.value for f in fields},
        "prior": round(model.prior, 6),
        "trained_on": model.trained_on,
        "out": str(out),
    }
    audit.record(
        QualityAction.LINKED,
        None,
        object_type="file",
        object_id=left.name,
        detail={k: v for k, v in summary.items() if k not in ("fields", "out")},
    )
    return summary
