"""Which orders are written together with the others of their moment (services/waitlist_joins.py): only those
the usual path would waitlist with nothing more to read; everything else is placed alone."""

from types import SimpleNamespace

import pytest

from marketplace.services.waitlist_joins import joins_the_line


def _member(**changes):
    return SimpleNamespace(**({"id": 7, "market_id": 1, "roles": ["member"]} | changes))


def _full_target(**changes):
    target = {
        "key_used": False,
        "market_id": 1,
        "shape": "group",
        "session_id": 5,
        "cancelled_at": None,
        "draw_session_id": None,
        "quotas_apply": False,
        "reserve_percent": 0,
        "waitlist_open": True,
        "seats_taken": 30,
        "capacity": 30,
    }
    return SimpleNamespace(**(target | changes))


def test_a_members_order_of_a_full_session_with_an_open_waiting_list_joins():
    assert joins_the_line(_member(), _full_target())
    assert joins_the_line(_member(), _full_target(seats_taken=31))  # a capacity lowered below the seats taken


@pytest.mark.parametrize(
    ("why", "member", "target"),
    [
        ("a seat is free: it may get it", _member(), _full_target(seats_taken=29)),
        ("the key was used: a retry replays", _member(), _full_target(key_used=True)),
        ("staff: their answer reads more", _member(roles=["member", "curator"]), _full_target()),
        ("staff: their answer reads more", _member(roles=["operator"]), _full_target()),
        ("another market's (shared) listing", _member(market_id=2), _full_target()),
        ("on request: no session", _member(), _full_target(shape="on_request")),
        ("no such session of the listing", _member(), _full_target(session_id=None)),
        ("a cancelled session is refused alone", _member(), _full_target(cancelled_at="2026-11-30")),
        ("a draw registers, it does not waitlist", _member(), _full_target(draw_session_id=5)),
        ("quotas are checked under the member's lock", _member(), _full_target(quotas_apply=True)),
        ("a priority reserve may hold seats for this member", _member(), _full_target(reserve_percent=20)),
        ("a closed waiting list is refused alone", _member(), _full_target(waitlist_open=False)),
    ],
)
def test_anything_else_is_placed_alone(why, member, target):
    assert not joins_the_line(member, target), why


def test_an_unknown_listing_is_refused_alone():
    assert not joins_the_line(_member(), None)
