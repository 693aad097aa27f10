"""The transition table's time guards: every row × every actor × before the start, during, after the end."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain.orders import (
    TRANSITIONS,
    Actor,
    OrderKind,
    OrderState,
    OutOfTime,
    actions_for,
    check_time,
    time_refusal,
    transition,
)
from marketplace.domain.service_time import (
    DEFAULT_LENGTH,
    Overdue,
    ServiceTime,
    arrangement_refusal,
    offer_deadline,
    overdue_stage,
    service_time,
)

START = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
END = START + timedelta(hours=2)
SESSION = ServiceTime(START, END)
MOMENTS = {
    "before": START - timedelta(days=2),
    "at_start": START,
    "during": START + timedelta(hours=1),
    "after_end": END + timedelta(days=3),
}
ANY = set(MOMENTS)
FROM_START = {"at_start", "during", "after_end"}
BEFORE = {"before"}

# Written out by hand (not read from the table): when each move may be made, for whom.
EXPECTED = {
    "auto_accept": BEFORE,
    "offer": BEFORE,
    "waitlist": BEFORE,
    "promote": BEFORE,
    "promote_to_offer": BEFORE,
    "accept": BEFORE,
    "confirm": BEFORE,
    "agree_time": BEFORE,  # the member answers an arrangement before its time
    "propose_time": BEFORE,
    "session_cancelled": BEFORE,
    "provider_cancel": BEFORE,  # a provider gives an accepted order back only before it starts
    "deliver": FROM_START,
    "no_show": FROM_START,
    "org_book": BEFORE,
    "org_swap_out": BEFORE,  # and, stricter, before the booking's cut-off (services/organisations.py)
    "check_in": FROM_START,  # a check-in before the start is delivered when the session starts
    "absent": FROM_START,  # never checked in at a session whose door was used (after its end, by the scan)
    # 抽签: registering and drawing happen before the session starts
    "register": BEFORE,
    "win": BEFORE,
    "win_offer": BEFORE,
    "lose": BEFORE,
    "take_offered_place": BEFORE,  # 免申即享
}


def expected_moments(action: str, source: OrderState, actor: Actor) -> set[str]:
    if action in ("cancel", "withdraw"):
        return BEFORE if actor == Actor.member else ANY  # the union may cancel at any time
    if action == "expire" and source == OrderState.waitlisted:
        return FROM_START  # a waitlist place lapses when the session starts
    if action == "escalate" and source == OrderState.accepted:
        return FROM_START  # overdue: only after the service's time
    return EXPECTED.get(action, ANY)


CASES = [(t, actor, moment) for t in TRANSITIONS for actor in sorted(t.actors) for moment in MOMENTS]


@pytest.mark.parametrize(
    ("move", "actor", "moment"),
    CASES,
    ids=[f"{t.source}-{t.action}-{'/'.join(sorted(t.kinds))}-{a}-{m}" for t, a, m in CASES],
)
def test_every_move_by_every_actor_at_every_moment(move, actor, moment):
    allowed = moment in expected_moments(move.action, move.source, actor)
    refusal = time_refusal(move, actor, MOMENTS[moment], SESSION)
    assert (refusal is None) == allowed, (move.action, move.source, actor, moment, refusal)


def test_a_guarded_move_refuses_with_a_409_kind_and_needs_the_service_time():
    accept = transition(OrderState.offered, "accept", OrderKind.listing, {Actor.provider})
    with pytest.raises(OutOfTime, match="already started"):
        check_time(accept, Actor.provider, MOMENTS["during"], SESSION)
    with pytest.raises(TypeError):
        check_time(accept, Actor.provider, MOMENTS["before"], None)  # a caller that forgot the time
    check_time(accept, Actor.provider, MOMENTS["before"], SESSION)
    receive = transition(OrderState.delivered, "receive", OrderKind.listing, {Actor.member})
    check_time(receive, Actor.member, MOMENTS["after_end"], None)  # not guarded: no time needed


def test_unknown_times_an_on_request_order_needs_its_arrangements_before_delivery_or_no_show():
    for action in ("deliver", "no_show"):
        move = transition(OrderState.accepted, action, OrderKind.listing, {Actor.provider})
        assert time_refusal(move, Actor.provider, START, ServiceTime()) is not None
        assert time_refusal(move, Actor.provider, START, ServiceTime(arranged=True)) is None
    cancel = transition(OrderState.accepted, "cancel", OrderKind.need, {Actor.member})
    assert time_refusal(cancel, Actor.member, START, ServiceTime()) is None  # no time agreed: cancel freely


def test_an_agreed_time_moves_the_service_and_keeps_its_length():
    moved = START + timedelta(days=1)
    when = service_time(START, END, {"starts_at": moved.isoformat(), "place": "x"}, True)
    assert (when.starts_at, when.ends_at) == (moved, moved + (END - START))
    on_request = service_time(None, None, {"starts_at": moved.isoformat()}, True)
    assert on_request.ends_at == moved + DEFAULT_LENGTH
    assert service_time(START, END, {"place": "会议室"}, True) == ServiceTime(START, END, True)
    assert service_time(None, None, {}, False) == ServiceTime()
    deliver = transition(OrderState.accepted, "deliver", OrderKind.listing, {Actor.provider})
    assert time_refusal(deliver, Actor.provider, moved - timedelta(minutes=5), on_request)  # before the agreed time
    assert time_refusal(deliver, Actor.provider, moved, on_request) is None


def test_an_offer_must_be_answered_before_the_service_starts():
    now = START - timedelta(hours=5)
    assert offer_deadline(now, 48, SESSION) == START
    assert offer_deadline(now, 2, SESSION) == now + timedelta(hours=2)
    assert offer_deadline(now, 48, ServiceTime()) == now + timedelta(hours=48)  # a need: no session


def test_an_agreed_time_is_in_the_future():
    assert arrangement_refusal(START, START - timedelta(minutes=1))
    assert arrangement_refusal(START, START)
    assert arrangement_refusal(START, START + timedelta(minutes=1)) is None
    assert arrangement_refusal(START, None) is None  # a place or a link only


def test_overdue_stages_follow_the_end_of_the_service():
    remind, escalate = timedelta(hours=2), timedelta(hours=48)
    assert overdue_stage(END + timedelta(hours=1), SESSION, remind, escalate) is None
    assert overdue_stage(END + remind, SESSION, remind, escalate) == Overdue.remind_provider
    assert overdue_stage(END + escalate, SESSION, remind, escalate) == Overdue.escalate
    assert overdue_stage(END + escalate, ServiceTime(), remind, escalate) is None  # no time: never overdue


def test_buttons_follow_the_clock():
    provider = {Actor.provider}
    before, during = MOMENTS["before"], MOMENTS["during"]
    assert actions_for(OrderState.accepted, OrderKind.listing, provider, now=before, when=SESSION) == [
        "arrange",
        "provider_cancel",
    ]
    assert actions_for(OrderState.accepted, OrderKind.listing, provider, now=during, when=SESSION) == [
        "arrange",
        "deliver",
        "no_show",
    ]
    assert actions_for(OrderState.offered, OrderKind.listing, provider, now=during, when=SESSION) == ["decline"]
    member = {Actor.member}
    assert actions_for(OrderState.accepted, OrderKind.listing, member, now=before, when=SESSION) == ["cancel"]
    assert actions_for(OrderState.accepted, OrderKind.listing, member, now=during, when=SESSION) == []
    staff = {Actor.operator}
    assert "cancel" in actions_for(OrderState.accepted, OrderKind.listing, staff, now=during, when=SESSION)


def test_an_unreadable_agreed_time_counts_as_none():
    assert service_time(START, END, {"starts_at": "not a time"}, True) == ServiceTime(START, END, True)
    assert service_time(START, END, {"starts_at": "2026-12-10T11:00:00"}, True) == ServiceTime(START, END, True)
    assert service_time(None, None, {"starts_at": 7}, True) == ServiceTime(arranged=True)
