"""免申即享: the order of offers, open places and deadlines, the pass-on rule and state moves, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain import campaigns as rules
from marketplace.domain.campaigns import CampaignState, IllegalCampaignMove, OfferState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_ranking_puts_hardship_first_and_is_the_same_for_the_same_seed():
    members = {1: ["new_employment"], 2: ["hardship"], 3: ["new_employment", "hardship"], 4: ["parent"], 5: []}
    order = rules.ranking("seed-a", members)
    assert set(order[:2]) == {2, 3} and sorted(order) == [1, 2, 3, 4, 5]
    assert rules.ranking("seed-a", members) == order  # drawn once, recomputable by anyone with the seed
    # within each part, by ticket
    assert order[:2] == sorted([2, 3], key=lambda m: rules.ticket("seed-a", m))
    assert order[2:] == sorted([1, 4, 5], key=lambda m: rules.ticket("seed-a", m))
    orders = {tuple(rules.ranking(f"seed-{n}", members)[2:]) for n in range(40)}
    assert len(orders) > 1  # another seed, another order


def test_tickets_are_hmac_of_the_seed_and_the_id():
    import hashlib
    import hmac

    assert rules.ticket("s", 42) == hmac.new(b"s", b"42", hashlib.sha256).hexdigest()


def test_eligibility_and_the_groups_a_member_counts_in():
    assert not rules.reached_groups([], ["parent"]) and not rules.reached_groups(["women"], ["parent"])
    assert rules.reached_groups(["hardship", "parent", "women"], ["parent", "hardship"]) == ["parent", "hardship"]


def test_open_places_pass_on_when_an_offer_closes():
    assert rules.open_places(3, 0, 0) == 3
    assert rules.open_places(3, 1, 2) == 0
    # a decline or an expiry leaves the pending count one lower: that place is open for the next member
    assert rules.open_places(3, 1, 1) == 1
    assert rules.open_places(2, 3, 0) == 0  # never negative


def test_a_deadline_never_falls_after_the_session_starts():
    assert rules.answer_by(NOW, 48) == NOW + timedelta(hours=48)
    starts = NOW + timedelta(hours=5)
    assert rules.answer_by(NOW, 48, starts) == starts
    assert rules.answer_by(NOW, 2, starts) == NOW + timedelta(hours=2)


def test_done_when_every_place_is_taken_or_nobody_is_left():
    assert rules.is_done(2, 2, 0, anyone_left=True)
    assert not rules.is_done(2, 1, 1, anyone_left=False)  # an offer is still open
    assert rules.is_done(2, 1, 0, anyone_left=False)  # nobody left: the rest goes back
    assert not rules.is_done(2, 1, 0, anyone_left=True)


def test_campaign_moves():
    assert rules.campaign_move("draft", "start") == CampaignState.running
    assert rules.campaign_move("running", "finish") == CampaignState.finished
    assert rules.campaign_move("draft", "cancel") == rules.campaign_move("running", "cancel") == CampaignState.cancelled
    for state, action in (("running", "start"), ("finished", "cancel"), ("cancelled", "start"), ("draft", "finish")):
        with pytest.raises(IllegalCampaignMove) as refused:
            rules.campaign_move(state, action)
        assert refused.value.params == {"campaign_state": state, "campaign_action": action}


@pytest.mark.parametrize("action", ["accept", "decline", "expire", "pass", "withdraw"])
def test_an_offer_is_answered_once(action):
    assert rules.offer_move("pending", action) in rules.CLOSED
    for closed in rules.CLOSED:
        with pytest.raises(IllegalCampaignMove):
            rules.offer_move(closed, action)
    assert OfferState.pending not in rules.CLOSED


def test_redeem_codes_avoid_look_alike_characters():
    codes = {rules.redeem_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and not set(c) & set("0O1IL") for c in codes)
