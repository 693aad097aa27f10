"""The survey's rule for a poor answer and the follow-up case's moves (domain/satisfaction.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain.satisfaction import (
    Answers,
    CaseState,
    IllegalCaseMove,
    case_move,
    is_poor,
    is_poor_review,
    overdue_in,
)


@pytest.mark.parametrize(
    ("overall", "as_arranged", "poor"),
    [(1, True, True), (2, True, True), (3, True, False), (5, True, False), (5, False, True), (3, False, True)],
)
def test_a_low_mark_or_a_service_not_as_arranged_is_poor(overall, as_arranged, poor):
    assert is_poor(Answers(overall, as_arranged, recommend=True)) is poor


def test_cases_move_open_contacted_resolved_and_no_other_way():
    assert case_move(CaseState.open, "contact") == CaseState.contacted
    assert case_move("contacted", "resolve") == CaseState.resolved
    for state, action in (("open", "resolve"), ("contacted", "contact"), ("resolved", "contact"), ("open", "x")):
        with pytest.raises(IllegalCaseMove, match=state):
            case_move(state, action)


def test_a_review_of_one_or_two_stars_is_poor():
    assert [is_poor_review(stars) for stars in range(1, 6)] == [True, True, False, False, False]


def test_a_case_is_overdue_open_past_the_time_to_contact_and_contacted_past_the_time_to_resolve():
    opened = datetime(2026, 11, 2, 9, tzinfo=UTC)
    contact, resolve = timedelta(hours=48), timedelta(hours=168)

    def at(state, hours):
        return overdue_in(state, opened, opened + timedelta(hours=hours), contact, resolve)

    assert at("open", 47.9) is None and at("open", 48) == CaseState.open
    assert at("contacted", 100) is None and at("contacted", 168) == CaseState.contacted
    assert at("resolved", 1000) is None  # a resolved case is never overdue
