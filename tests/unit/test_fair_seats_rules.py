"""The draw's and the quotas' pure rules (domain/lottery.py, domain/quotas.py)."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain import lottery
from marketplace.domain.orders import (
    LIVE_STATES,
    SEAT_HOLDING_STATES,
    Actor,
    ActorNotAllowed,
    IllegalTransition,
    OrderKind,
    OrderState,
    transition,
)
from marketplace.domain.quotas import QuotaRule, check

SEED = "ab" * 32


def test_the_draw_order_is_the_hmac_order_anyone_can_compute():
    entries = [17, 3, 99, 42, 5]
    expected = sorted(entries, key=lambda i: hmac.new(SEED.encode(), str(i).encode(), hashlib.sha256).hexdigest())
    assert lottery.draw_order(SEED, entries) == expected
    assert lottery.draw_order(SEED, list(reversed(entries))) == expected  # the input order does not matter
    assert lottery.draw_order("cd" * 32, entries) != expected or len(entries) < 3
    assert lottery.commitment(SEED) == hashlib.sha256(SEED.encode()).hexdigest()
    assert lottery.entries_digest([3, 1, 2]) == hashlib.sha256(b"1\n2\n3").hexdigest()


def test_the_reserve_goes_first_to_priority_entries_and_what_is_unfilled_is_released():
    order = [1, 2, 3, 4, 5, 6, 7, 8]
    priority = {6: True, 8: True}
    found = lottery.allocate(order, seats=4, reserve=2, priority=priority)
    assert found.reserve_winners == [6, 8]
    assert found.winners == [1, 2, 6, 8] and found.waiting == [3, 4, 5, 7]
    # one priority entry only: the second reserved seat goes to everyone
    found = lottery.allocate(order, seats=4, reserve=2, priority={6: True})
    assert found.winners == [1, 2, 3, 6]
    # withdrawn entries are passed over; never more winners than seats
    found = lottery.allocate(order, seats=3, reserve=0, priority={}, eligible={2, 4, 6, 8})
    assert found.winners == [2, 4, 6] and found.waiting == [8]
    assert lottery.allocate(order, seats=0, reserve=2, priority=priority).winners == []
    assert lottery.reserve_seats(30, 20) == 6 and lottery.reserve_seats(7, 20) == 1


def test_verify_finds_a_changed_seed_entry_or_winner():
    entries = list(range(10, 30))
    order = lottery.draw_order(SEED, entries)
    found = lottery.allocate(order, 5, 1, {order[-1]: True})
    published = {
        "seed": SEED,
        "commitment": lottery.commitment(SEED),
        "entries": entries,
        "entries_digest": lottery.entries_digest(entries),
        "seats": 5,
        "reserve_seats": 1,
        "results": [
            {"entry": e, "priority": e == order[-1], "outcome": "won" if e in found.winners else "waiting"}
            for e in order
        ],
    }
    assert lottery.verify(published) == []
    assert lottery.verify({**published, "seed": "cd" * 32})
    assert lottery.verify({**published, "entries": entries[:-1]})
    swapped = [dict(r) for r in published["results"]]
    swapped[0]["outcome"], swapped[-2]["outcome"] = "waiting", "won"
    assert lottery.verify({**published, "results": swapped})


def _hmac(seed: str, message: str) -> str:
    return hmac.new(seed.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_extra_weight_gives_a_priority_entry_more_tickets_and_more_chance():
    # weight w: the lowest of HMAC(seed, "id"), HMAC(seed, "id:2") … HMAC(seed, "id:w"); weight 1 is the plain ticket
    assert lottery.ticket(SEED, 42) == _hmac(SEED, "42")
    assert lottery.ticket(SEED, 42, 3) == min(_hmac(SEED, m) for m in ("42", "42:2", "42:3"))
    assert lottery.weight_of(True, 3) == 3 and lottery.weight_of(False, 3) == 1 and lottery.weight_of(True, 0) == 1
    # one entry of weight 3 against one of weight 1 comes first 3 times in 4 (over many public seeds)
    seeds = [hashlib.sha256(str(k).encode()).hexdigest() for k in range(4000)]
    first = sum(lottery.draw_order(seed, [1, 2], {1: 3})[0] == 1 for seed in seeds) / len(seeds)
    assert 0.72 < first < 0.78, first
    unweighted = sum(lottery.draw_order(seed, [1, 2])[0] == 1 for seed in seeds) / len(seeds)
    assert 0.47 < unweighted < 0.53, unweighted


def test_verify_recomputes_a_weighted_draw_and_refuses_a_wrong_weight():
    entries = list(range(100, 140))
    priority = {e: e % 4 == 0 for e in entries}
    weights = {e: lottery.weight_of(priority[e], 4) for e in entries}
    order = lottery.draw_order(SEED, entries, weights)
    assert order != lottery.draw_order(SEED, entries)  # the weight changes the order
    found = lottery.allocate(order, 6, 0, priority)
    published = {
        "seed": SEED,
        "commitment": lottery.commitment(SEED),
        "entries": entries,
        "entries_digest": lottery.entries_digest(entries),
        "seats": 6,
        "reserve_seats": 0,
        "priority_weight": 4,
        "results": [
            {
                "entry": e,
                "priority": priority[e],
                "weight": weights[e],
                "outcome": "won" if e in found.winners else "waiting",
            }
            for e in order
        ],
    }
    assert lottery.published_order(published) == order and lottery.verify(published) == []
    heavier = [dict(r, weight=9) if not r["priority"] else r for r in published["results"]]
    assert lottery.verify({**published, "results": heavier})  # a weight the session did not give
    assert lottery.verify({**published, "priority_weight": 1})  # the order no longer follows


def test_registration_is_live_holds_no_seat_and_moves_through_the_table():
    assert OrderState.registered in LIVE_STATES and OrderState.registered not in SEAT_HOLDING_STATES
    system, listing = {Actor.system}, OrderKind.listing
    assert transition(OrderState.placed, "register", listing, system).target == OrderState.registered
    assert transition(OrderState.registered, "win", listing, system).target == OrderState.accepted
    assert transition(OrderState.registered, "win_offer", listing, system).target == OrderState.offered
    assert transition(OrderState.registered, "lose", listing, system).target == OrderState.waitlisted
    assert transition(OrderState.registered, "withdraw", listing, {Actor.member}).target == OrderState.cancelled


def test_a_seat_never_checked_in_becomes_a_no_show_by_the_system_alone():
    listing = OrderKind.listing
    assert transition(OrderState.accepted, "absent", listing, {Actor.system}).target == OrderState.no_show
    for someone in (Actor.member, Actor.provider, Actor.org_contact):
        with pytest.raises(ActorNotAllowed):
            transition(OrderState.accepted, "absent", listing, {someone})
    with pytest.raises(IllegalTransition):
        transition(OrderState.delivered, "absent", listing, {Actor.system})  # checked in: delivered, not absent


NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)


def test_a_live_quota_and_a_period_quota():
    live = QuotaRule(1, max_live=2, max_per_period=None, period_days=None)
    assert check(live, 1, [], NOW) is None
    assert check(live, 2, [], NOW).kind == "live"
    yearly = QuotaRule(2, max_live=None, max_per_period=2, period_days=365)
    first, second = NOW - timedelta(days=300), NOW - timedelta(days=10)
    refusal = check(yearly, 0, [first, second], NOW)
    assert refusal.kind == "period" and refusal.again_at == first + timedelta(days=365)
    assert check(yearly, 0, [NOW - timedelta(days=400), second], NOW) is None  # one fell out of the year


def test_the_verify_draw_command_checks_a_published_file(tmp_path):
    import json

    from typer.testing import CliRunner

    from marketplace.cli import app

    entries = [4, 8, 15, 16, 23, 42]
    order = lottery.draw_order(SEED, entries)
    won = set(lottery.allocate(order, 2, 0, {}).winners)
    published = {
        "seed": SEED,
        "commitment": lottery.commitment(SEED),
        "entries": entries,
        "entries_digest": lottery.entries_digest(entries),
        "seats": 2,
        "reserve_seats": 0,
        "results": [{"entry": e, "priority": False, "outcome": "won" if e in won else "waiting"} for e in order],
    }
    good = tmp_path / "draw.json"
    good.write_text(json.dumps(published))
    result = CliRunner().invoke(app, ["verify-draw", "7", "--file", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"1\t{order[0]}\twon"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**published, "seed": "cd" * 32}))
    assert CliRunner().invoke(app, ["verify-draw", "7", "--file", str(bad)]).exit_code == 1
