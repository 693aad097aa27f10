"""The satisfaction survey after sign-off (满意度测评) and the follow-up case a poor answer opens (回访).

The survey is three short questions a member answers once per signed-off order. An answer is poor when the
overall mark is 1 or 2 of 5 (dissatisfied), or the service did not happen as arranged; a review of 1 or 2
stars is poor too. A poor answer opens an operator's follow-up case (one per order), which moves open →
contacted → resolved, each step with a note, resolving with an outcome, and no other way. A case left open
past its time to contact, or unresolved past its time to resolve, is overdue: escalated to the curators once
per state.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .orders import OrderState

# Orders a member may say how satisfied they are with: signed off (and perhaps reviewed).
SURVEYED_STATES = frozenset({OrderState.received, OrderState.reviewed})
POOR_AT_MOST = 2  # an overall mark of 1 or 2 (of 5) is poor, and so is a review of 1 or 2 stars
SATISFIED_AT_LEAST = 4  # satisfied or very satisfied: the satisfaction rate's numerator


@dataclass(frozen=True)
class Answers:
    overall: int  # 1–5
    as_arranged: bool  # did the service happen as arranged (time, place, content)?
    recommend: bool  # would the member recommend it to a workmate?


def is_poor(answers: Answers) -> bool:
    """A poor answer opens a follow-up case."""
    return answers.overall <= POOR_AT_MOST or not answers.as_arranged


def is_poor_review(stars: int) -> bool:
    return stars <= POOR_AT_MOST


class CaseState(StrEnum):
    open = "open"  # waiting for an operator to contact the member
    contacted = "contacted"  # the member was contacted; what to do is being done
    resolved = "resolved"  # closed, with what was done


class CaseOutcome(StrEnum):
    """What came of a case, said when it is resolved."""

    remedied = "remedied"  # the service was made good (done again, rearranged, …)
    provider_improved = "provider_improved"  # the provider was told and undertook to do better
    explained = "explained"  # the member accepted an explanation
    unreachable = "unreachable"  # the member could not be reached after several tries
    no_action = "no_action"  # nothing to be done (a mistaken answer …)


CASE_MOVES: dict[tuple[str, CaseState], CaseState] = {
    ("contact", CaseState.open): CaseState.contacted,
    ("resolve", CaseState.contacted): CaseState.resolved,
}


class IllegalCaseMove(Exception):
    """The case is not in a state this step is taken from (HTTP 409)."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params)


def case_move(state: CaseState | str, action: str) -> CaseState:
    target = CASE_MOVES.get((action, CaseState(state)))
    if target is None:
        raise IllegalCaseMove(
            "This case is %(case_state)s; '%(action)s' is not possible from that state.",
            case_state=CaseState(state).value,
            action=action,
        )
    return target


def overdue_in(
    state: CaseState | str, opened_at: datetime, now: datetime, contact_within: timedelta, resolve_within: timedelta
) -> CaseState | None:
    """The state a case is overdue in at `now` (open past the time to contact, contacted but unresolved past
    the time to resolve, both counted from its opening), or None."""
    state = CaseState(state)
    if state == CaseState.open and now - opened_at >= contact_within:
        return state
    if state == CaseState.contacted and now - opened_at >= resolve_within:
        return state
    return None
