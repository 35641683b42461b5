"""`baomi bench ingest|lookup|read --rows N --json` (docs/performance.md).

Tiny runs only: each bench builds its own throwaway SQLite database and keys in a temp
dir, so these check wiring and the shape of the JSON — never timings (2-core machines,
shared with other jobs, make wall-clock assertions meaningless).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from baomi.customers.management.commands.bench import HEADER, RowFactory, e164
from baomi.customers.validation import clean_customer


def bench(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("bench", *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_row_factory_rows_are_valid_and_distinct() -> None:
    f = RowFactory(seed=3)
    rows = [f.row(i) for i in range(3000)]
    assert {tuple(sorted(r)) for r in rows} == {tuple(sorted(HEADER))}
    for key in ("id_number", "phone", "email"):
        assert len({r[key] for r in rows}) == len(rows), key
    for r in rows[::7]:
        clean = clean_customer(r)
        assert clean["phone"] == e164(r["phone"])
    assert f.row(123) == RowFactory(seed=3).row(123)  # deterministic


def test_ingest_json() -> None:
    r = bench("ingest", "--rows", "40")
    assert r["bench"] == "ingest" and r["rows"] == 40
    for side in ("vault", "baseline"):
        assert r[side]["rows"] == r[side]["created"] == 40
        assert r[side]["rejected"] == 0
        assert r[side]["rows_per_s"] > 0
        assert 10 < r[side]["peak_rss_mb"] < 4000
    assert r["ratio"] > 0
    c = r["with_consent"]  # the same rows with consent columns: 2 decisions per row
    assert (c["created"], c["consents"]) == (40, 80) and r["consent_ratio"] > 0
    assert set(r["met"]) == set(r["targets"]) == {"rows_per_s", "ratio", "peak_rss_mb"}
    assert r["machine"]["nproc"] >= 1 and r["machine"]["python"]


def test_lookup_json() -> None:
    r = bench("lookup", "--rows", "60", "--samples", "20")
    assert r["bench"] == "lookup" and r["customers"] == 60 and r["samples"] == 20
    assert r["wrong_results"] == 0  # every sampled phone found exactly once, both ways
    for side in ("plaintext", "vault", "search_service"):
        assert 0 < r[side]["p50_ms"] <= r[side]["p99_ms"]
    assert r["ratio_p50"] > 0 and r["index_bits"] >= 2


def test_read_json() -> None:
    r = bench("read", "--rows", "30", "--samples", "5")
    assert r["bench"] == "read" and r["customers"] == 30
    assert r["gate_pages"]["customers"] == 30 and r["gate_pages"]["customers_per_s"] > 0
    assert r["gate_single_360"]["customers"] == 5
    assert r["plaintext_pages"]["customers"] == 30
    assert r["ratio"] > 0


def test_workers_refuse_a_real_database(tmp_path: Any) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="throwaway"):
        call_command("bench", "ingest", "--worker", "plain", "--file", str(tmp_path / "x.csv"))
