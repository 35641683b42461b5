"""`baomi import` against hostile or broken files (issue #9 §6; R-K1, R-B4).

- an XLSX whose zip announces a 100 MB shared string is refused from the zip directory,
  before openpyxl inflates anything (it took the import to 483 MB of RSS);
- a cell over Excel's own 32,767-character limit rejects its row, with a reason;
- exit status: 0 every row in, 3 some rows rejected (summary still printed), 1 nothing
  imported or an error (INTERFACES.md), through the installed console script's entry point.
"""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError

from baomi.customers.models import Customer
from conftest import import_cli

pytestmark = pytest.mark.django_db

HEADER = ["name", "phone", "id_type", "id_number", "birth_date"]


def _rows(synth: Any, n: int) -> list[list[str]]:
    out = []
    for _ in range(n):
        c = synth.customer(foreign_share=0)
        out.append([c[h] for h in HEADER])
    return out


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
        '.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    "xl/worksheets/sheet1.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        '</row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>'
    ),
}


def xlsx_with_huge_shared_string(path: Path, megabytes: int = 100) -> Path:
    """A minimal valid workbook (header `name`, one row) whose second shared string is
    `megabytes` MB long; deflate makes the file ~100 KB. Written in chunks: the test
    never holds the string."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.')
            fh.write(b'openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">')
            fh.write(b"<si><t>name</t></si><si><t>")
            chunk = "张".encode() * (1 << 18)  # 768 KiB
            for _ in range(megabytes * 4 // 3):
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
    return path


def test_xlsx_with_a_100mb_shared_string_is_refused_before_parsing(tmp_path: Path) -> None:
    path = xlsx_with_huge_shared_string(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 400 * 1024  # a small file on disk
    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as exc:
            import_cli(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "xlsx_too_large" in str(exc.value) and "MiB" in str(exc.value)
    assert peak < 20 * 1024 * 1024, peak  # nothing was inflated (it was 483 MB of RSS)
    assert Customer.objects.count() == 0


def test_xlsx_limits_are_settings(tmp_path: Path, settings: Any, synth: Any) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in _rows(synth, 3):
        ws.append(r)
    wb.save(tmp_path / "ok.xlsx")
    assert import_cli(tmp_path / "ok.xlsx")["created"] == 3
    settings.BAOMI_IMPORT_MAX_FILE_BYTES = 1024
    with pytest.raises(CommandError, match="file_too_large"):
        import_cli(tmp_path / "ok.xlsx")
    with pytest.raises(CommandError, match="file_too_large"):
        import_cli(write_csv(tmp_path / "big.csv", _rows(synth, 40)))


def test_a_file_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "fake.xlsx").write_bytes(b"name\n" * 10)
    with pytest.raises(CommandError, match="file_unreadable"):
        import_cli(tmp_path / "fake.xlsx")


def test_a_cell_over_32767_characters_rejects_its_row(tmp_path: Path, synth: Any) -> None:
    rows = _rows(synth, 2)
    rows[1][0] = "张" * 40_000
    summary = import_cli(write_csv(tmp_path / "c.csv", rows), status=3)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    rejects = (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8")
    assert "cell_too_long" in rejects and "张张张" not in rejects


# -- exit status ---------------------------------------------------------------------------------
def _cli(path: Path, capsys: Any, monkeypatch: Any) -> tuple[int, str, str]:
    """`baomi import PATH --channel store` through the console script's entry point."""
    from django.db import connections

    from baomi import cli

    # run_from_argv closes every connection when it ends; keep the test's transaction open
    monkeypatch.setattr(connections, "close_all", lambda: None)
    code = 0
    try:
        cli.main(["baomi", "import", str(path), "--channel", "store"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_status_all_some_none(
    tmp_path: Path, synth: Any, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    code, out, _ = _cli(write_csv(tmp_path / "all.csv", _rows(synth, 2)), capsys, monkeypatch)
    assert code == 0 and json.loads(out.splitlines()[-1])["created"] == 2

    some = _rows(synth, 2)
    some[0][1] = "12"  # a bad phone
    code, out, err = _cli(write_csv(tmp_path / "some.csv", some), capsys, monkeypatch)
    assert code == 3, err
    summary = json.loads(out.splitlines()[-1])  # the summary is still printed
    assert (summary["created"], summary["rejected"]) == (1, 1)
    assert "1 of 2 rows rejected" in err and "some.csv.rejects.csv" in err

    bad = _rows(synth, 2)
    for r in bad:
        r[1] = "12"
    code, out, err = _cli(write_csv(tmp_path / "none.csv", bad), capsys, monkeypatch)
    assert code == 1 and json.loads(out.splitlines()[-1])["rejected"] == 2
    assert "nothing imported" in err

    code, out, err = _cli(write_csv(tmp_path / "empty.csv", []), capsys, monkeypatch)
    assert code == 1 and "no data rows" in err

    code, out, err = _cli(tmp_path / "missing.csv", capsys, monkeypatch)
    assert code == 1 and "file_missing" in err


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    from baomi import cli

    with pytest.raises(SystemExit):
        cli.main(["baomi", "import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 every row imported" in text and "3 some rows rejected" in text
    assert "1 nothing imported" in text


# -- the rejects file is a CSV a spreadsheet opens safely -----------------------------------
def test_rejects_file_cells_are_neutralised(
    tmp_path: Path, synth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every cell of the rejects file goes through core.csvsafe: a message or field that
    started with a formula trigger would be written as text."""
    from baomi.core.errors import FieldIssue
    from baomi.customers.importer import validation as importer

    real = importer.validate_chunk

    def hostile(spec: Any, chunk: Any) -> Any:
        out = real(spec, chunk)
        return [
            (v, p, [FieldIssue("=cmd", "@code", "+1 message", "-2")] if i else i) for v, p, i in out
        ]

    monkeypatch.setattr(importer, "validate_chunk", hostile)
    rows = _rows(synth, 1)
    rows[0][1] = "12"
    import_cli(write_csv(tmp_path / "c.csv", rows), status=1)
    lines = list(csv.reader(io.StringIO((tmp_path / "c.csv.rejects.csv").read_text("utf-8"))))
    assert lines[1][1:] == ["'=cmd", "'@code", "'+1 message / -2"]
