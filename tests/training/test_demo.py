"""`baomi demo` and training (issue #14 §5): every demo account is trained, so the demo
behaves as before; one untrained account (printed with the others) shows the rule."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from baomi.access.models import Staff
from baomi.customers import gate
from baomi.customers.models import Customer
from baomi.training import standing
from baomi.training.demo import UNTRAINED

pytestmark = pytest.mark.django_db


def test_demo_trains_everyone_but_one_account() -> None:
    out = io.StringIO()
    call_command("demo", "--customers", "4", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert UNTRAINED in text and "training_required" in text
    ids = list(Customer.objects.values_list("id", flat=True))[:2]
    desk = Staff.objects.get(username="demo_front_desk")
    assert standing.standing(desk).current
    assert all(not v.withheld_reasons for v in gate.access_customers(desk, "reception", ids))
    for s in Staff.objects.filter(username__startswith="demo_").exclude(username=UNTRAINED):
        assert standing.standing(s).current, s.username
    untrained = Staff.objects.get(username=UNTRAINED)
    st = standing.standing(untrained)
    assert st.withheld and [m.code for m in st.missing] == ["privacy-yearly"]
    views = gate.access_customers(untrained, "reception", ids)
    assert all(v.withheld_reasons.get("id_number") == "training_required" for v in views)
    # re-running resets the untrained account's training (and keeps everyone else's)
    call_command("demo", "--customers", "0", stdout=io.StringIO(), stderr=io.StringIO())
    assert standing.standing(Staff.objects.get(username=UNTRAINED)).withheld
    assert standing.standing(desk).current
