"""The satisfaction survey after sign-off (满意度测评) and the follow-up case a poor answer opens (回访).

The survey is three short questions a member answers once per signed-off order. An answer is poor when the
overall mark is 1 or 2 of 5, or the service did not happen as arranged: then an operator's follow-up case
opens, and moves open → contacted → resolved, each step with a note, and no other way.
"""

from dataclasses import dataclass
from enum import StrEnum

from .orders import OrderState

# Orders a member may say how satisfied they are with: signed off (and perhaps reviewed).
SURVEYED_STATES = frozenset({OrderState.received, OrderState.reviewed})
POOR_AT_MOST = 2  # an overall mark of 1 or 2 (of 5) is poor


@dataclass(frozen=True)
class Answers:
    overall: int  # 1–5
    as_arranged: bool  # did the service happen as arranged (time, place, content)?
    again: bool  # would the member use it again?


def is_poor(answers: Answers) -> bool:
    """A poor answer opens a follow-up case."""
    return answers.overall <= POOR_AT_MOST or not answers.as_arranged


class CaseState(StrEnum):
    open = "open"  # waiting for an operator to contact the member
    contacted = "contacted"  # the member was contacted; what to do is being done
    resolved = "resolved"  # closed, with what was done


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
