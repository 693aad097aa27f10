"""Who may see the member of an order in a confidential category (counselling, legal help; PIPL).

The member and the provider serving them always; operators and curators only while the order waits for
staff (escalated to them, or disputed), since that is when they must reach the member. Everyone else on
the desk sees that an order exists, not whose it is.
"""

from .orders import Actor, OrderState

# The name shown instead of the member's (pages say it in their language: web/pages/templating.py).
HIDDEN_MEMBER = "保密会员"


def staff_need_member(state: str, escalated: bool) -> bool:
    """Whether staff must reach the member of this order now: it is escalated to them or disputed."""
    return escalated or state == OrderState.disputed


def member_shown(caps: set[Actor], confidential: bool, state: str, escalated: bool) -> bool:
    """Whether a viewer acting in these capacities sees the order's member (name, phone, account)."""
    if not confidential or caps & {Actor.member, Actor.provider}:
        return True
    return bool(caps & {Actor.operator, Actor.curator}) and staff_need_member(state, escalated)
