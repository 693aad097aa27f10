"""The order state machine: every legal move of an order is one row of TRANSITIONS.

Services look moves up here and nowhere else; a move that is not in the table
is refused, naming the order's current state.
"""

from dataclasses import dataclass
from enum import StrEnum


class OrderState(StrEnum):
    placed = "placed"  # ordered, not yet allocated to a provider
    offered = "offered"  # offered to one provider, waiting for accept/decline
    accepted = "accepted"  # a provider took it (a seat is held for listed sessions)
    waitlisted = "waitlisted"  # the session was full; first come, first promoted
    delivered = "delivered"  # the provider says the service happened
    received = "received"  # the member signed off (签收)
    reviewed = "reviewed"  # the member reviewed it (评价)
    disputed = "disputed"  # the member says it was not received as promised
    cancelled = "cancelled"  # withdrawn by the member or the union
    declined = "declined"  # a listing order the provider declined
    expired = "expired"  # nobody could take it in time
    no_show = "no_show"  # the member did not come


class OrderKind(StrEnum):
    listing = "listing"  # an order of a listed service (a session, a slot, or on request)
    need = "need"  # a free-form need posted in a category


class Actor(StrEnum):
    """The capacity in which someone acts on an order."""

    member = "member"  # the member who placed it
    provider = "provider"  # the provider it is offered or assigned to
    operator = "operator"
    curator = "curator"
    system = "system"  # background workers


STAFF = frozenset({Actor.operator, Actor.curator})
BOTH_KINDS = frozenset(OrderKind)

# States in which an order counts as the member's live order for its session.
LIVE_STATES = frozenset(
    {
        OrderState.placed,
        OrderState.offered,
        OrderState.accepted,
        OrderState.waitlisted,
        OrderState.delivered,
        OrderState.disputed,
    }
)
# States in which an order of a session occupies one of its seats.
SEAT_HOLDING_STATES = frozenset({OrderState.offered, OrderState.accepted})
TERMINAL_STATES = frozenset(
    {OrderState.reviewed, OrderState.cancelled, OrderState.declined, OrderState.expired, OrderState.no_show}
)


@dataclass(frozen=True)
class Transition:
    action: str
    source: OrderState
    target: OrderState
    actors: frozenset[Actor]
    kinds: frozenset[OrderKind] = BOTH_KINDS


def _t(action: str, source: OrderState, target: OrderState, actors: set[Actor], kinds=BOTH_KINDS) -> Transition:
    return Transition(action, source, target, frozenset(actors), frozenset(kinds))


S = OrderState
A = Actor
LISTING = {OrderKind.listing}
NEED = {OrderKind.need}

TRANSITIONS: tuple[Transition, ...] = (
    # 配货 allocate
    _t("auto_accept", S.placed, S.accepted, {A.system}, LISTING),
    _t("offer", S.placed, S.offered, {A.system, A.operator, A.curator}),
    _t("waitlist", S.placed, S.waitlisted, {A.system}, LISTING),
    _t("promote", S.waitlisted, S.accepted, {A.system}, LISTING),
    _t("promote_to_offer", S.waitlisted, S.offered, {A.system}, LISTING),
    _t("accept", S.offered, S.accepted, {A.provider}),
    _t("decline", S.offered, S.placed, {A.provider}, NEED),  # the matcher offers it on
    _t("decline", S.offered, S.declined, {A.provider}, LISTING),  # its seat is freed
    _t("offer_timeout", S.offered, S.placed, {A.system}, NEED),
    _t("reassign", S.offered, S.offered, {A.operator, A.curator}, NEED),
    _t("reassign", S.accepted, S.offered, {A.operator, A.curator}, NEED),
    _t("expire", S.placed, S.expired, {A.system}),
    _t("expire", S.waitlisted, S.expired, {A.system}, LISTING),
    # Nobody took it in time: it goes to the operators' queue (Order.escalated_at), its state unchanged.
    _t("escalate", S.placed, S.placed, {A.system}, NEED),
    _t("escalate", S.offered, S.offered, {A.system}, LISTING),
    # A waitlisted member promoted to a seat confirms within a window (Order.confirm_by), or the
    # seat goes to the next in line.
    _t("confirm", S.offered, S.offered, {A.member}, LISTING),
    _t("confirm", S.accepted, S.accepted, {A.member}, LISTING),
    _t("confirm_timeout", S.offered, S.cancelled, {A.system}, LISTING),
    _t("confirm_timeout", S.accepted, S.cancelled, {A.system}, LISTING),
    # 发货 deliver
    _t("arrange", S.accepted, S.accepted, {A.provider}),
    _t("deliver", S.accepted, S.delivered, {A.provider}),
    _t("no_show", S.accepted, S.no_show, {A.provider, A.operator, A.curator}),
    # 签收 sign off, disputes
    _t("receive", S.delivered, S.received, {A.member}),
    _t("auto_receive", S.delivered, S.received, {A.system}),
    _t("dispute", S.delivered, S.disputed, {A.member}),
    _t("resolve_received", S.disputed, S.received, {A.operator, A.curator}),
    _t("resolve_cancelled", S.disputed, S.cancelled, {A.operator, A.curator}),
    # 评价 review
    _t("review", S.received, S.reviewed, {A.member}),
    # cancel before delivery
    *(
        _t("cancel", source, S.cancelled, {A.member, A.operator, A.curator})
        for source in (S.placed, S.offered, S.accepted, S.waitlisted)
    ),
    # the provider (or a curator) called the session off: its orders end, their members are told
    *(
        _t("session_cancelled", source, S.cancelled, {A.system}, LISTING)
        for source in (S.placed, S.offered, S.accepted, S.waitlisted)
    ),
)

_BY_KEY: dict[tuple[OrderState, str, OrderKind], Transition] = {}
for _tr in TRANSITIONS:
    for _kind in _tr.kinds:
        key = (_tr.source, _tr.action, _kind)
        assert key not in _BY_KEY, f"duplicate transition {key}"
        _BY_KEY[key] = _tr

ACTIONS = frozenset(t.action for t in TRANSITIONS)


class IllegalTransition(Exception):
    """The action is not possible from the order's current state (HTTP 409)."""


class ActorNotAllowed(Exception):
    """The action exists from this state but this person may not take it (HTTP 403)."""


def find_transition(state: OrderState, action: str, kind: OrderKind) -> Transition | None:
    return _BY_KEY.get((OrderState(state), action, OrderKind(kind)))


def transition(state: OrderState, action: str, kind: OrderKind, actors: set[Actor] | frozenset[Actor]) -> Transition:
    """The move `action` makes from `state`, checked against who is acting; raises when refused."""
    found = find_transition(state, action, kind)
    if found is None:
        raise IllegalTransition(f"This order is {OrderState(state).value}; '{action}' is not possible from that state.")
    if not (found.actors & set(actors)):
        allowed = ", ".join(sorted(a.value for a in found.actors))
        raise ActorNotAllowed(f"Only the {allowed} may '{action}' this order.")
    return found


def actions_for(
    state: OrderState,
    kind: OrderKind,
    actors: set[Actor] | frozenset[Actor],
    awaiting_confirmation: bool = False,
) -> list[str]:
    """The actions these actors may take now, in table order (the pages show them as buttons).
    "confirm" is offered only to a promoted member whose seat awaits confirmation."""
    return [
        t.action
        for t in TRANSITIONS
        if t.source == state
        and kind in t.kinds
        and t.actors & set(actors)
        and t.action not in _SYSTEM_ONLY
        and (awaiting_confirmation or t.action != "confirm")
    ]


_SYSTEM_ONLY = frozenset(t.action for t in TRANSITIONS if t.actors == {Actor.system})


def delivery_refusal(now, session_starts_at, kind: OrderKind, has_session: bool, arranged: bool) -> str | None:
    """Why the provider may not mark this order delivered yet (None: they may)."""
    if has_session:
        if now < session_starts_at:
            return "A session can be marked delivered once it has started."
        return None
    if not arranged:
        return "Agree the arrangements (time, place or link) before marking it delivered."
    return None


def acting_role(transition: Transition, actors: set[Actor] | frozenset[Actor]) -> Actor:
    """The capacity recorded on the event when someone holds several (a curator who is also the member…)."""
    for actor in (Actor.member, Actor.provider, Actor.operator, Actor.curator, Actor.system):
        if actor in transition.actors and actor in actors:
            return actor
    raise ActorNotAllowed(f"Nobody here may '{transition.action}' this order.")
