"""The member's answers to an arrangement (which steps are open, and only through the table) and the quick tags."""

import pytest
from pydantic import ValidationError

from marketplace.domain.orders import Actor, OrderKind, OrderState, actions_for, arrangement_steps, find_transition
from marketplace.domain.review_tags import NEGATIVE, POSITIVE, ReviewTag, counted, distinct
from marketplace.schemas.orders import ReviewIn


def test_an_arrangement_is_answered_only_without_a_session_and_once_arranged():
    assert arrangement_steps(has_session=True, arranged=True, agreed=False, proposal_pending=False) == frozenset()
    assert arrangement_steps(has_session=False, arranged=False, agreed=False, proposal_pending=False) == frozenset()
    fresh = arrangement_steps(has_session=False, arranged=True, agreed=False, proposal_pending=False)
    assert fresh == {"agree_time", "propose_time"}
    agreed = arrangement_steps(has_session=False, arranged=True, agreed=True, proposal_pending=False)
    assert agreed == {"propose_time"}  # a member may still ask to move an agreed time
    waiting = arrangement_steps(has_session=False, arranged=True, agreed=False, proposal_pending=True)
    assert waiting == {"propose_time", "accept_time"}  # no agreeing to the old time while asking for another


def test_the_answers_are_self_moves_of_an_accepted_order_for_the_right_party():
    answers = (("agree_time", Actor.member), ("propose_time", Actor.member), ("accept_time", Actor.provider))
    for action, actor in answers:
        for kind in OrderKind:
            found = find_transition(OrderState.accepted, action, kind)
            assert found is not None and found.target == OrderState.accepted and found.actors == {actor}
        assert all(find_transition(s, action, OrderKind.listing) is None for s in OrderState if s != "accepted")


def test_the_buttons_show_only_the_open_steps_for_each_party():
    steps = frozenset({"agree_time", "propose_time", "accept_time"})
    member = actions_for(OrderState.accepted, OrderKind.listing, {Actor.member}, steps=steps)
    provider = actions_for(OrderState.accepted, OrderKind.listing, {Actor.provider}, steps=steps)
    assert member == ["agree_time", "propose_time", "cancel"]
    assert provider == ["arrange", "accept_time", "deliver", "no_show", "provider_cancel"]
    assert "agree_time" not in actions_for(OrderState.accepted, OrderKind.need, {Actor.member})


def test_quick_tags_are_a_fixed_list_stored_once_each_in_its_order():
    assert set(POSITIVE) | set(NEGATIVE) == set(ReviewTag) and not set(POSITIVE) & set(NEGATIVE)
    assert distinct([ReviewTag.rewarding, ReviewTag.on_time, ReviewTag.rewarding]) == ["on_time", "rewarding"]
    assert ReviewIn(stars=5, tags=["patient", "clear"]).tags == [ReviewTag.patient, ReviewTag.clear]
    assert ReviewIn(stars=5, tags=["耐心", "准时"]).tags == [ReviewTag.patient, ReviewTag.on_time]  # as v1 sent them
    with pytest.raises(ValidationError):
        ReviewIn(stars=5, tags=["欠薪"])  # other free text is not a tag
    with pytest.raises(ValidationError):
        ReviewIn(stars=5, tags=["patient"] * (len(ReviewTag) + 1))


def test_tag_counts_leave_out_free_text_and_sort_by_count_then_list_order():
    rows = [("patient", 3), ("实用", 9), ("on_time", 3), ("late", 1), ("clear", 0)]
    assert counted(rows) == [("on_time", 3), ("patient", 3), ("late", 1)]
