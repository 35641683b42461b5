"""The matching engine and `baomi link` (issue #16 §2, R-K1, R-B4): comparison levels,
EM without labels, and pairwise precision / recall on the FEBRL samples through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from baomi.quality.linkage import engine
from baomi.quality.linkage.engine import Comparator, FieldKind, compare

from .conftest import entity, f1, febrl_dir, febrl_rows, true_pairs


def link_cli(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("link", *args, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def read_links(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


# -- comparison levels ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("张三", "张三", 0),
        ("張三", "张三", 1),  # traditional / simplified: the same pinyin
        ("zhang san", "张三", 1),  # pinyin against characters
        ("san zhang", "zhang san", 1),  # surname-first or given-name-first
        ("zhangsan", "zhang san", 1),
        ("jonathon", "jonathan", 1),
        ("李四", "王五", 3),
        ("", "张三", engine.NULL),
    ],
)
def test_name_levels(a: str, b: str, level: int) -> None:
    assert compare(FieldKind.NAME, engine.normalise(a), engine.normalise(b)) == level


@pytest.mark.parametrize(
    ("kind", "a", "b", "level"),
    [
        (FieldKind.DATE, "19900517", "19901705", 1),  # day and month swapped
        (FieldKind.DATE, "19900517", "19900571", 1),  # transposition
        (FieldKind.DATE, "19900517", "19900528", 2),  # same year and month
        (FieldKind.DATE, "19900517", "20011230", 3),
        (FieldKind.NUMBER, "13800138000", "13800183000", 1),
        (FieldKind.NUMBER, "20", "200", 2),  # short numbers: one digit is weak evidence
        (FieldKind.CODE, "vic", "nsw", 3),
        (FieldKind.EMAIL, "li.si@example.cn", "li.si@example.com", 1),
        (FieldKind.EMAIL, "a@x.cn", "b@y.cn", 3),
        # numbered handles of one name are two people's (one digit off: weak evidence)
        (FieldKind.EMAIL, "zhangwei123@qq.com", "zhangwei57@qq.com", 3),
        (FieldKind.EMAIL, "zhangwei123@qq.com", "zhangwei523@qq.com", 2),
        (FieldKind.EMAIL, "zhangwei@qq.com", "zhangwie@qq.com", 1),  # a typo stays close
        # identifiers: compared within one scheme only; a passport says nothing of an ID card
        (FieldKind.IDENTIFIER, "passport:e12345678", "cn_resident_id:11010519491231002x", -1),
        (FieldKind.IDENTIFIER, "passport:e12345678", "passport:e12345679", 1),
        (FieldKind.IDENTIFIER, "passport:e12345678", "passport:g98765432", 3),
        # two valid resident IDs of one district and birthday: another person, not a typo
        (
            FieldKind.IDENTIFIER,
            "cn_resident_id:110105196710300009",
            "cn_resident_id:110105196710300033",
            3,
        ),
    ],
)
def test_other_levels(kind: FieldKind, a: str, b: str, level: int) -> None:
    assert compare(kind, a, b) == level


def test_guessed_kinds() -> None:
    assert engine.guess_kind("date_of_birth", ["19900101"]) is FieldKind.DATE
    assert engine.guess_kind("surname", ["li"]) is FieldKind.NAME
    assert engine.guess_kind("postcode", ["2000", "3000"] * 30) is FieldKind.NUMBER
    assert engine.guess_kind("state", ["vic", "nsw", "qld"] * 30) is FieldKind.CODE
    assert engine.guess_kind("contact", ["a@b.cn"]) is FieldKind.EMAIL


def test_em_learns_without_labels() -> None:
    """EM moves m towards agreement for a discriminating field, and λ stays a share."""
    rows = febrl_rows("dataset1.csv")
    fields = [
        Comparator(c, engine.guess_kind(c, [r[c] for r in rows])) for c in rows[0] if c != "rec_id"
    ]
    pairs, model = engine.link_rows(rows, None, fields)
    assert model.trained_on > 0 and 0 < model.prior < 1
    ssn = [f.name for f in fields].index("soc_sec_id")
    assert model.m[ssn][0] > 0.5 > model.u[ssn][0]
    assert all(0.5 <= p.probability <= 1 for p in pairs)


# -- FEBRL through the CLI (R-K1: the quality targets of issue #16 §2) ----------------------
def test_febrl_dataset1_dedupe_f1(tmp_path: Path, db: Any) -> None:
    out = tmp_path / "links.csv"
    summary = link_cli(
        str(febrl_dir() / "dataset1.csv"), "--id-column", "rec_id", "--out", str(out)
    )
    rows = febrl_rows("dataset1.csv")
    got = {frozenset((r["left_id"], r["right_id"])) for r in read_links(out)}
    p, r, score = f1(got, true_pairs(rows))
    assert summary["left_rows"] == 1000 and summary["pairs"] == len(got)
    assert score >= 0.99, (p, r)


def test_febrl_two_file_link(tmp_path: Path, db: Any) -> None:
    """Originals of dataset2 linked to its duplicates, as two files (a slice, for speed;
    the full 4,000 × 1,000 and the timings are in benchmarks/bench_linkage.py)."""
    rows = febrl_rows("dataset2.csv")
    orgs = [r for r in rows if "-org" in r["rec_id"]][:2000]
    wanted = {entity(r["rec_id"]) for r in orgs}
    dups = [r for r in rows if "-dup-" in r["rec_id"] and entity(r["rec_id"]) in wanted]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path, part in ((a, orgs), (b, dups)):
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(part)
    out = tmp_path / "links.csv"
    link_cli(str(a), str(b), "--id-column", "rec_id", "--out", str(out), "--threshold", "0.5")
    links = read_links(out)
    got = {(x["left_id"], x["right_id"]) for x in links}
    truth = {
        (o["rec_id"], d["rec_id"])
        for o in orgs
        for d in dups
        if entity(o["rec_id"]) == entity(d["rec_id"])
    }
    tp = len(got & truth)
    p, r = tp / len(got), tp / len(truth)
    assert 2 * p * r / (p + r) >= 0.99, (p, r)
    assert all(0.5 <= float(x["match_probability"]) <= 1 for x in links)
    assert list(links[0]) == ["left_id", "right_id", "match_probability"]


def test_link_audited_without_values(tmp_path: Path, db: Any) -> None:
    from baomi.audit.models import AuditEvent

    src = tmp_path / "people.csv"
    src.write_text("id,name,phone\n1,张三,13800138000\n2,張三,13800138000\n3,李四,13900139000\n")
    out = tmp_path / "links.csv"
    summary = link_cli(str(src), "--id-column", "id", "--out", str(out))
    assert summary["fields"] == {"name": "name", "phone": "number"}
    assert [(r["left_id"], r["right_id"]) for r in read_links(out)] == [("1", "2")]
    ev = AuditEvent.objects.filter(action="quality.linked").get()
    assert "张三" not in json.dumps(ev.detail, ensure_ascii=False) and ev.detail["pairs"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id-column", "nope"], "no column 'nope'"),
        (["--id-column", "id", "--threshold", "0"], "--threshold"),
        (["--id-column", "id", "--field", "name:colour"], "KIND one of"),
        (["--id-column", "id", "--ignore", "ghost"], "no such column: ghost"),
    ],
)
def test_link_bad_input(tmp_path: Path, db: Any, args: list[str], message: str) -> None:
    src = tmp_path / "p.csv"
    src.write_text("id,name\n1,a\n")
    out = tmp_path / "links.csv"
    with pytest.raises(CommandError, match=message):
        call_command("link", str(src), *args, "--out", str(out), stdout=io.StringIO())
    assert not out.exists()  # nothing half-written


def test_link_missing_file(tmp_path: Path, db: Any) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "link", str(tmp_path / "x.csv"), "--id-column", "id", "--out", str(tmp_path / "o.csv")
        )


def test_em_without_duplicates_keeps_the_defaults_instead_of_flooding_the_queue() -> None:
    """Stored customers blocked together by a common name but different in everything else
    hold no true duplicates: unsupervised EM can then settle on "every candidate is a
    match" (measured: 77,993 of 77,993 candidates at probability 1.0 on 20,000 distinct
    synthetic customers). A model that calls an all-different pair a match is refused and
    the defaults stay, so those pairs score low."""
    import random

    rng = random.Random(5)
    fields = [
        Comparator("name", FieldKind.NAME),
        Comparator("phone", FieldKind.NUMBER),
        Comparator("birth", FieldKind.DATE),
        Comparator("city", FieldKind.TEXT),
    ]
    names = ["王伟", "李娜", "张伟", "刘洋", "陈静"]
    rows = [
        [
            rng.choice(names),
            f"139{rng.randrange(10**8):08d}",
            f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
            rng.choice(["北京市朝阳区", "上海市浦东新区", "广州市天河区", "成都市武侯区"]) + str(i),
        ]
        for i in range(800)
    ]
    pairs = [
        (i, j)
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
        if rows[i][0] == rows[j][0]
    ]
    scored, model = engine.score_pairs(rows, None, fields, pairs)
    assert model.plausible()
    assert len(scored) < len(pairs) / 100  # not the whole candidate set
    all_different = (3, 3, 3, 3)
    assert model.probability(all_different) < 0.5


def test_em_refuses_a_model_that_takes_relatives_for_one_person() -> None:
    """Namesakes who also share an address and an e-mail handle (families; or a synthetic
    file whose names, streets and handles come from one index) break EM's independence
    assumption: measured on 2,000 such customers with 20 planted duplicates, EM learned
    that "matches" differ on phone, ID number and birth date and queued 4,645 of 4,805
    candidate pairs. The model must call "every identifier different, the rest the same" a
    non-match, else the defaults stay: the planted copies are found and few others."""
    import random

    rng = random.Random(11)
    fields = [
        Comparator("name", FieldKind.NAME),
        Comparator("phone", FieldKind.NUMBER),
        Comparator("email", FieldKind.EMAIL),
        Comparator("id_number", FieldKind.NUMBER),
        Comparator("birth_date", FieldKind.DATE),
        Comparator("gender", FieldKind.CODE),
        Comparator("address", FieldKind.TEXT),
    ]
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
    streets = [f"{c}路{n}号" for c in "人民中山解放建设和平" for n in range(1, 21)]
    rows: list[list[str]] = []
    for i in range(1500):
        k = i % 100  # one index picks name, street and handle: a household
        rows.append(
            [
                surnames[k % 10] + given[k // 10],
                f"13{rng.randrange(10**9):09d}",
                f"user{k}x{rng.randrange(10**6)}@example.cn",
                f"{rng.randrange(10**17):017d}X",
                f"19{rng.randrange(50, 99)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}",
                "male" if k % 2 else "female",
                streets[k],
            ]
        )
    planted = [(j, len(rows) + n) for n, j in enumerate(range(0, 1500, 75))]
    for j, _ in planted:  # the same person again: new phone and e-mail, no ID number
        copy = list(rows[j])
        copy[1], copy[2], copy[3] = f"15{rng.randrange(10**9):09d}", "", ""
        rows.append(copy)
    pairs = [
        (i, j)
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
        if rows[i][0] == rows[j][0] and rows[i][4][:4] == rows[j][4][:4]
    ]
    scored, model = engine.score_pairs(rows, None, fields, pairs)
    assert model.plausible()
    relatives = (3, 3, 3, 3, 3, 0, 0)  # every identifier different, the rest the same
    assert model.probability(relatives) < 0.5
    found = {(p.left, p.right) for p in scored}
    assert all(p in found for p in planted)
    assert len(scored) <= 2 * len(planted)


def test_two_id_numbers_outweigh_a_shared_name_and_birth_date() -> None:
    """Namesakes born on the same day (张伟, at 10^6 customers) are two people when their
    resident ID numbers differ: an identifier's "different" level is rare for one person
    (m ≤ 1 %, also after EM), a typo in it stays evidence for."""
    fields = [
        Comparator("name", FieldKind.NAME),
        Comparator("phone", FieldKind.NUMBER),
        Comparator("id_number", FieldKind.IDENTIFIER),
        Comparator("birth_date", FieldKind.DATE),
        Comparator("address", FieldKind.TEXT),
    ]
    model = engine.LinkModel.default(fields)
    namesakes = (0, 3, 3, 0, 3)  # same name and birth date; phone, ID, address different
    assert model.probability(namesakes) < 0.5
    typo = (0, 3, 1, 0, 3)  # the same, but the ID number one character off
    assert model.probability(typo) > 0.5
    model.estimate_m({namesakes: 1000, (0, 0, 0, 0, 0): 10})
    assert model.m[2][3] <= 0.01 + 1e-9
