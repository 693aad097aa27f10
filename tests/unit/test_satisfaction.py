"""The survey's rule for a poor answer and the follow-up case's moves (domain/satisfaction.py)."""

import pytest

from marketplace.domain.satisfaction import Answers, CaseState, IllegalCaseMove, case_move, is_poor


@pytest.mark.parametrize(
    ("overall", "as_arranged", "poor"),
    [(1, True, True), (2, True, True), (3, True, False), (5, True, False), (5, False, True), (3, False, True)],
)
def test_a_low_mark_or_a_service_not_as_arranged_is_poor(overall, as_arranged, poor):
    assert is_poor(Answers(overall, as_arranged, again=True)) is poor


def test_cases_move_open_contacted_resolved_and_no_other_way():
    assert case_move(CaseState.open, "contact") == CaseState.contacted
    assert case_move("contacted", "resolve") == CaseState.resolved
    for state, action in (("open", "resolve"), ("contacted", "contact"), ("resolved", "contact"), ("open", "x")):
        with pytest.raises(IllegalCaseMove, match=state):
            case_move(state, action)
