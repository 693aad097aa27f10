"""Reminder times, star levels and the worker's rows of the transition table: pure, no I/O."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace import queue
from marketplace.domain.orders import (
    TRANSITIONS,
    Actor,
    ActorNotAllowed,
    IllegalTransition,
    OrderKind,
    OrderState,
    actions_for,
    transition,
)
from marketplace.domain.reminders import local_text, offer_reminder, session_reminders
from marketplace.domain.stars import ProviderRecord, star_level
from marketplace.jobs import BATCH_HANDLERS, HANDLERS, retry_delay

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Shanghai time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_tomorrow_is_the_day_before_at_ten_in_the_markets_zone():
    starts = at(25, 9, 30)  # 01:30 UTC: the UTC date is the same, the point is the local one
    planned = session_reminders(starts, at(22, 12), SHANGHAI)
    assert planned["day_before"] == at(24, 10)
    assert planned["hour_before"] == at(25, 8, 30)
    # ordered the evening before: "tomorrow" goes out at once; ordered on the day: no "tomorrow"
    assert session_reminders(starts, at(24, 21), SHANGHAI)["day_before"] == at(24, 21)
    assert "day_before" not in session_reminders(starts, at(25, 7), SHANGHAI)
    assert session_reminders(starts, at(25, 9), SHANGHAI) == {"hour_before": at(25, 9)}
    assert session_reminders(starts, at(25, 10), SHANGHAI) == {}
    assert local_text(datetime(2026, 11, 25, 1, 30, tzinfo=UTC), SHANGHAI) == "11月25日 09:30"


def test_an_offer_is_recalled_when_a_quarter_of_its_window_is_left():
    opened = datetime(2026, 11, 22, tzinfo=UTC)
    assert offer_reminder(opened, opened + timedelta(hours=48)) == opened + timedelta(hours=36)
    assert offer_reminder(opened, None) is None


def test_star_levels_rest_on_delivered_work():
    new = ProviderRecord(
        rating_score=None, delivered=0, offers_answered_in_time=0, offers_total=0, accepted=0, dropped=0
    )
    assert star_level(new) == 0
    beginner = ProviderRecord(None, delivered=1, offers_answered_in_time=0, offers_total=0, accepted=1, dropped=0)
    assert star_level(beginner) == 2
    best = ProviderRecord(4.9, delivered=60, offers_answered_in_time=19, offers_total=20, accepted=60, dropped=0)
    assert star_level(best) == 5
    unreliable = ProviderRecord(4.9, delivered=60, offers_answered_in_time=5, offers_total=20, accepted=60, dropped=15)
    assert star_level(unreliable) == 3
    poor = ProviderRecord(2.5, delivered=2, offers_answered_in_time=0, offers_total=5, accepted=4, dropped=2)
    assert star_level(poor) == 1


def test_failed_jobs_back_off_doubling_up_to_an_hour():
    assert [retry_delay(30, n) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30, 20) == 3600


def test_every_job_sent_in_batches_has_a_batch_handler_and_a_single_one():
    # a failed batch falls back to running its rows one by one
    assert queue.BATCHED_JOBS <= BATCH_HANDLERS.keys() & HANDLERS.keys()


def test_the_workers_rows_of_the_table():
    system = {Actor.system}
    need, listing = OrderKind.need, OrderKind.listing
    assert transition(OrderState.offered, "offer_timeout", need, system).target == OrderState.placed
    assert transition(OrderState.placed, "expire", need, system).target == OrderState.expired
    assert transition(OrderState.delivered, "auto_receive", listing, system).target == OrderState.received
    # escalation keeps the state: the order waits in the operators' queue
    assert transition(OrderState.placed, "escalate", need, system).target == OrderState.placed
    assert transition(OrderState.offered, "escalate", listing, system).target == OrderState.offered
    with pytest.raises(IllegalTransition):
        transition(OrderState.offered, "offer_timeout", listing, system)  # a listing order has its provider
    # a promoted waitlisted member confirms, or the system passes the seat on
    for state in (OrderState.offered, OrderState.accepted):
        assert transition(state, "confirm", listing, {Actor.member}).target == state
        assert transition(state, "confirm_timeout", listing, system).target == OrderState.cancelled
    with pytest.raises(ActorNotAllowed):
        transition(OrderState.accepted, "confirm", listing, {Actor.provider})
    system_only = {t.action for t in TRANSITIONS if t.actors == frozenset(system)}
    assert {"offer_timeout", "auto_receive", "escalate", "confirm_timeout", "expire"} <= system_only


def test_confirm_is_a_button_only_while_a_promoted_seat_waits_for_it():
    assert actions_for(OrderState.accepted, OrderKind.listing, {Actor.member}) == ["cancel"]
    assert actions_for(OrderState.accepted, OrderKind.listing, {Actor.member}, awaiting_confirmation=True) == [
        "confirm",
        "cancel",
    ]
