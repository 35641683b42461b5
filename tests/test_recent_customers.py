"""Recently opened customers on the console search page (issue #17 §4; R-A4, R-D2):
only ids and times are kept per member of staff; names are read through the gate under
the purpose in force (masked where the purpose masks them, audited); the list keeps the
last ten; an erased customer leaves every list (the access app's eraser)."""

from __future__ import annotations

from typing import Any

from baomi.audit.models import AuditEvent


def _recent_ids(page: str) -> list[str]:
    import re

    return re.findall(r'data-testid="recent-customer" data-customer="([0-9a-f-]+)"', page)


def test_opened_customers_are_listed_latest_first_with_the_gates_names(
    staff_client: Any, make_customer: Any
) -> None:
    c, staff = staff_client("front_desk", "reception")
    a, b = make_customer(name="王小明"), make_customer(name="李雷")
    assert 'data-testid="recent-customers"' not in c.get("/customers/").content.decode()
    assert c.get(f"/customers/{a.id}/").status_code == 200
    assert c.get(f"/customers/{b.id}/").status_code == 200
    assert c.get(f"/customers/{a.id}/").status_code == 200  # re-opened: first again
    before = AuditEvent.objects.filter(actor_id=staff.pk, action="customer.read").count()
    page = c.get("/customers/").content.decode()
    assert _recent_ids(page) == [str(a.id), str(b.id)]
    assert "王小明" in page and "李雷" in page  # reception sees names in full
    after = AuditEvent.objects.filter(actor_id=staff.pk, action="customer.read").count()
    assert after == before + 2  # the list is a read through the gate, audited


def test_a_purpose_that_masks_names_shows_them_masked(
    staff_client: Any, make_customer: Any
) -> None:
    c, _ = staff_client("courier", "delivery")
    guest = make_customer(name="欧阳娜娜")
    assert c.get(f"/customers/{guest.id}/").status_code == 200
    page = c.get("/customers/").content.decode()
    assert _recent_ids(page) == [str(guest.id)]
    assert "欧阳娜娜" not in page and 'data-testid="recent-name"' in page


def test_only_ids_and_times_are_kept_ten_per_person_and_lists_are_personal(
    staff_client: Any, make_customer: Any
) -> None:
    from baomi.access.models import RecentCustomer

    c, staff = staff_client("front_desk", "reception")
    other, _ = staff_client("front_desk", "reception")
    people = [make_customer() for _ in range(12)]
    for p in people:
        assert c.get(f"/customers/{p.id}/").status_code == 200
    assert {f.name for f in RecentCustomer._meta.concrete_fields} == {
        "id",
        "staff",
        "customer_id",
        "opened_at",
    }
    assert RecentCustomer.objects.filter(staff=staff).count() == 10
    shown = _recent_ids(c.get("/customers/").content.decode())
    assert shown == [str(p.id) for p in reversed(people)][:10]
    assert _recent_ids(other.get("/customers/").content.decode()) == []


def test_a_refused_read_is_not_remembered(staff_client: Any, make_customer: Any) -> None:
    from baomi.access.models import RecentCustomer

    c, staff = staff_client("front_desk", "reception")
    assert c.get("/customers/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert not RecentCustomer.objects.filter(staff=staff).exists()


def test_erasure_removes_the_customer_from_every_list(
    staff_client: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.access.models import RecentCustomer
    from baomi.rights.services import erase_customer

    c, _ = staff_client("front_desk", "reception")
    gone, kept = make_customer(), make_customer()
    for p in (gone, kept):
        assert c.get(f"/customers/{p.id}/").status_code == 200
    erase_customer(make_staff("privacy_officer"), gone.id, basis="test")
    assert not RecentCustomer.objects.filter(customer_id=gone.id).exists()
    assert _recent_ids(c.get("/customers/").content.decode()) == [str(kept.id)]
