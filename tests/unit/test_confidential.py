"""Who sees the member of a confidential order (domain/confidential.py)."""

import pytest

from marketplace.domain.confidential import member_shown
from marketplace.domain.orders import Actor

STAFF = [{Actor.operator}, {Actor.curator}, {Actor.operator, Actor.curator}]


@pytest.mark.parametrize("caps", [{Actor.member}, {Actor.provider}, {Actor.provider, Actor.curator}])
def test_the_member_and_the_provider_always_see_them(caps):
    for state in ("placed", "accepted", "reviewed", "disputed"):
        assert member_shown(caps, True, state, escalated=False)


@pytest.mark.parametrize("caps", STAFF)
def test_staff_see_them_only_while_the_order_waits_for_staff(caps):
    for state in ("placed", "offered", "accepted", "delivered", "reviewed", "cancelled"):
        assert not member_shown(caps, True, state, escalated=False)
        assert member_shown(caps, True, state, escalated=True)
    assert member_shown(caps, True, "disputed", escalated=False)


@pytest.mark.parametrize("caps", [*STAFF, {Actor.member}, set()])
def test_an_order_of_an_ordinary_category_hides_nothing(caps):
    assert member_shown(caps, False, "placed", escalated=False)


def test_nobody_else_sees_them():
    assert not member_shown(set(), True, "disputed", escalated=True)
