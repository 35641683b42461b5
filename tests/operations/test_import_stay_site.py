"""`stay.site` in `baomi import` files (issue #11 with #17; decision 0039): imported stays
land on their hotel's front-desk board through `stays.record_at_site`; an unknown hotel
code, or a check-out not after check-in, rejects the row; a re-run places nothing twice;
`--industry travel` refuses the column."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError

from baomi.audit.models import AuditEvent
from baomi.customers.models import Customer, Stay
from baomi.operations import selectors
from baomi.operations.models import Occupancy
from conftest import import_cli

from .conftest import local_today

pytestmark = pytest.mark.django_db

HEADER = [
    "name",
    "phone",
    "id_type",
    "id_number",
    "stay.reference",
    "stay.check_in",
    "stay.check_out",
    "stay.room",
    "stay.site",
]


def _csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _person(synth: Any) -> list[str]:
    c = synth.customer(foreign_share=0)
    return [c["name"], c["phone"], c["id_type"], c["id_number"]]


def test_imported_stays_appear_on_their_hotels_board(
    tmp_path: Path, synth: Any, sites: Any
) -> None:
    today = local_today()
    d = dt.timedelta
    rows = [
        [*_person(synth), "IM-1", today.isoformat(), (today + d(days=2)).isoformat(), "808", "h1"],
        [
            *_person(synth),
            "IM-2",
            (today - d(days=9)).isoformat(),
            (today - d(days=7)).isoformat(),
            "",
            "H2",
        ],
        [*_person(synth), "IM-3", today.isoformat(), (today + d(days=1)).isoformat(), "", ""],
    ]
    path = _csv(tmp_path / "stays.csv", rows)
    summary = import_cli(path, "--industry", "hotel")
    assert (summary["stays"], summary["stays_at_site"], summary["stays_at_site_present"]) == (
        3,
        2,
        0,
    )
    arrivals = selectors.board(sites["H1"], today, "arrivals")
    assert [o.stay.reference for o in arrivals] == ["IM-1"]
    past = Occupancy.objects.get(stay__reference="IM-2")
    assert past.site.code == "H2" and past.state == "checked_out" and past.room_key == ""
    assert not Occupancy.objects.filter(stay__reference="IM-3").exists()  # no hotel named
    ev = AuditEvent.objects.filter(action="stay.booked").order_by("seq")
    assert [e.detail["site"] for e in ev] == ["H1", "H2"]
    # a re-run places nothing twice
    again = import_cli(path, "--industry", "hotel")
    assert (again["stays"], again["stays_present"]) == (0, 3)
    assert (again["stays_at_site"], again["stays_at_site_present"]) == (0, 2)
    assert Occupancy.objects.count() == 2


@pytest.mark.parametrize(
    ("site", "check_out_days", "column", "code"),
    [
        ("NOPE", 2, "stay.site", "site_unknown"),
        ("O1", 2, "stay.site", "site_unknown"),  # an outlet is not a hotel
        ("H1", 0, "stay.check_out", "check_out_order"),
    ],
)
def test_bad_site_rejects_the_row(
    tmp_path: Path,
    synth: Any,
    sites: Any,
    site: str,
    check_out_days: int,
    column: str,
    code: str,
) -> None:
    today = local_today()
    leave = (today + dt.timedelta(days=check_out_days)).isoformat()
    good = [
        *_person(synth),
        "OK-1",
        today.isoformat(),
        (today + dt.timedelta(days=1)).isoformat(),
        "",
        "H1",
    ]
    bad = [*_person(synth), "BAD-1", today.isoformat(), leave, "", site]
    path = _csv(tmp_path / "s.csv", [good, bad])
    summary = import_cli(path, status=3)
    assert (summary["created"], summary["rejected"], summary["stays_at_site"]) == (1, 1, 1)
    with Path(str(path) + ".rejects.csv").open(encoding="utf-8") as fh:
        assert [r[:3] for r in list(csv.reader(fh))[1:]] == [["3", column, code]]
    assert Stay.objects.count() == 1 and Customer.objects.count() == 1


def test_site_column_refused_for_another_industry(tmp_path: Path, synth: Any, sites: Any) -> None:
    today = local_today().isoformat()
    path = _csv(tmp_path / "t.csv", [[*_person(synth), "X", today, today, "", "H1"]])
    with pytest.raises(CommandError, match=r"column_industry.*stay\.site"):
        import_cli(path, "--industry", "travel")
    assert Customer.objects.count() == 0


def test_through_validation_workers(tmp_path: Path, synth: Any, sites: Any) -> None:
    """The prepared extension (hotel codes loaded per file) and the stays' extension are
    pickled to the worker processes; the result is the same as in-process."""
    today = local_today()
    rows = [
        [
            *_person(synth),
            f"W-{i}",
            today.isoformat(),
            (today + dt.timedelta(days=1)).isoformat(),
            str(100 + i),
            "H1" if i % 2 else "NOPE",
        ]
        for i in range(20)
    ]
    path = _csv(tmp_path / "w.csv", rows)
    summary = import_cli(path, "--workers", "2", "--batch-size", "3", status=3)
    assert (summary["created"], summary["rejected"]) == (10, 10)
    assert (summary["stays"], summary["stays_at_site"]) == (10, 10)
    assert len(selectors.board(sites["H1"], today, "arrivals")) == 10


def test_a_hotel_without_a_stay_rejects_the_row(tmp_path: Path, synth: Any, sites: Any) -> None:
    """`stay.site` on a row with no stay names what is missing, once, on its own column."""
    path = _csv(tmp_path / "n.csv", [[*_person(synth), "", "", "", "", "H1"]])
    summary = import_cli(path, status=1)
    assert summary["rejected"] == 1 and Stay.objects.count() == 0
    with Path(str(path) + ".rejects.csv").open(encoding="utf-8") as fh:
        assert [r[:3] for r in list(csv.reader(fh))[1:]] == [["2", "stay.site", "stay_missing"]]


def test_imported_shipment_with_a_registered_blank_marks_it_used(
    tmp_path: Path, synth: Any, sites: Any, make_staff: Any, make_customer: Any
) -> None:
    """R-M1: a shipment imported with a number that is a blank of an outlet's register uses
    that blank (with a `waybill.used` event); the outlet then hands out the next blank, not
    the imported number again."""
    from baomi.customers.models import Shipment
    from baomi.operations.models import Waybill
    from baomi.operations.services import sites as site_svc
    from baomi.operations.services import waybills

    waybills.issue_range(make_staff("manager"), "O1", 880000, 3)
    header = [
        *HEADER[:4],
        "shipment.waybill_no",
        "shipment.recipient_name",
        "shipment.recipient_address",
    ]
    path = tmp_path / "ship.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow([*_person(synth), "880000", "收件人", "上海市静安区1号"])
        w.writerow([*_person(synth), "SF-OUTSIDE-1", "收件人", "上海市静安区2号"])
    summary = import_cli(path, "--industry", "courier")
    assert (summary["shipments"], summary["waybills_registered"]) == (2, 1)
    used = Waybill.objects.get(no="880000")
    assert used.state == "used" and str(used.shipment_id) == str(
        Shipment.objects.get(waybill_no="880000").pk
    )
    ev = AuditEvent.objects.get(action="waybill.used", object_id="880000")
    assert ev.detail["via"] == "import" and ev.detail["site"] == "O1"
    # the outlet's next shipment takes the next blank
    clerk = make_staff("courier")
    site_svc.post_staff(None, clerk, "O1")
    s = waybills.create_shipment(
        clerk,
        "delivery",
        make_customer().id,
        {"recipient_name": "乙", "recipient_address": "上海市静安区3号"},
    )
    assert s.waybill_no == "880001"
    # a re-run registers nothing twice
    again = import_cli(path, "--industry", "courier")
    assert again["shipments_present"] == 2 and "waybills_registered" not in again
