"""The order state machine: every legal move of an order is one row of TRANSITIONS.

Services look moves up here and nowhere else; a move that is not in the table
is refused, naming the order's current state.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .service_time import ServiceTime, Window, window_refusal


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
    registered = "registered"  # 抽签: entered in a session's draw, holding no seat until it is drawn


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
    org_contact = "org_contact"  # the contact of the organisation that booked the seat (团体预约)


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
        OrderState.registered,
    }
)
# States in which an order of a session occupies one of its seats.
SEAT_HOLDING_STATES = frozenset({OrderState.offered, OrderState.accepted})
TERMINAL_STATES = frozenset(
    {OrderState.reviewed, OrderState.cancelled, OrderState.declined, OrderState.expired, OrderState.no_show}
)
# States in which an order is finished and may be archived once old: the terminal ones, and `received` (signed
# off; a late review moves it again, which brings it back, order_flow.move).
FINISHED_STATES = TERMINAL_STATES | {OrderState.received}


@dataclass(frozen=True)
class Transition:
    action: str
    source: OrderState
    target: OrderState
    actors: frozenset[Actor]
    kinds: frozenset[OrderKind] = BOTH_KINDS
    # The time guard: when, relative to the service's start, the move may be made (None: any time),
    # and whom it binds (None: everyone; e.g. a member may not cancel once it started, the union may).
    window: Window | None = None
    binds: frozenset[Actor] | None = None


def _t(
    action: str,
    source: OrderState,
    target: OrderState,
    actors: set[Actor],
    kinds=BOTH_KINDS,
    window: Window | None = None,
    binds: set[Actor] | None = None,
) -> Transition:
    return Transition(
        action, source, target, frozenset(actors), frozenset(kinds), window, frozenset(binds) if binds else None
    )


S = OrderState
A = Actor
LISTING = {OrderKind.listing}
NEED = {OrderKind.need}
BEFORE = Window.before_start
FROM = Window.from_start

TRANSITIONS: tuple[Transition, ...] = (
    # 配货 allocate
    _t("auto_accept", S.placed, S.accepted, {A.system}, LISTING, BEFORE),
    _t("offer", S.placed, S.offered, {A.system, A.operator, A.curator}, window=BEFORE),
    _t("waitlist", S.placed, S.waitlisted, {A.system}, LISTING, BEFORE),
    _t("promote", S.waitlisted, S.accepted, {A.system}, LISTING, BEFORE),
    _t("promote_to_offer", S.waitlisted, S.offered, {A.system}, LISTING, BEFORE),
    _t("accept", S.offered, S.accepted, {A.provider}, window=BEFORE),
    _t("decline", S.offered, S.placed, {A.provider}, NEED),  # the matcher offers it on
    _t("decline", S.offered, S.declined, {A.provider}, LISTING),  # its seat is freed
    _t("offer_timeout", S.offered, S.placed, {A.system}, NEED),
    _t("reassign", S.offered, S.offered, {A.operator, A.curator}, NEED),
    _t("reassign", S.accepted, S.offered, {A.operator, A.curator}, NEED),
    _t("expire", S.placed, S.expired, {A.system}),
    _t("expire", S.waitlisted, S.expired, {A.system}, LISTING, FROM),  # the session started without a seat
    # Nobody took it in time, or nobody recorded it after its time: it goes to the operators' queue
    # (Order.escalated_at), its state unchanged.
    _t("escalate", S.placed, S.placed, {A.system}, NEED),
    _t("escalate", S.offered, S.offered, {A.system}, LISTING),
    _t("escalate", S.accepted, S.accepted, {A.system}, window=FROM),
    # A waitlisted member promoted to a seat confirms within a window (Order.confirm_by), or the
    # seat goes to the next in line.
    _t("confirm", S.offered, S.offered, {A.member}, LISTING, BEFORE),
    _t("confirm", S.accepted, S.accepted, {A.member}, LISTING, BEFORE),
    _t("confirm_timeout", S.offered, S.cancelled, {A.system}, LISTING),
    _t("confirm_timeout", S.accepted, S.cancelled, {A.system}, LISTING),
    # 发货 deliver: once the service has started (on request: once arranged, and from the agreed time)
    _t("arrange", S.accepted, S.accepted, {A.provider}),
    # 约时间 without a session (on request, a need): the member agrees to the provider's arrangement or
    # proposes another time (Order.time_proposal), which the provider accepts or answers with a new
    # arrangement; the member answers before the agreed start, a proposal is a time still to come.
    _t("agree_time", S.accepted, S.accepted, {A.member}, window=BEFORE),
    _t("propose_time", S.accepted, S.accepted, {A.member}, window=BEFORE),
    _t("accept_time", S.accepted, S.accepted, {A.provider}),
    _t("deliver", S.accepted, S.delivered, {A.provider}, window=FROM),
    _t("no_show", S.accepted, S.no_show, {A.provider, A.operator, A.curator}, window=FROM),
    # 签收 sign off, disputes
    _t("receive", S.delivered, S.received, {A.member}),
    _t("auto_receive", S.delivered, S.received, {A.system}),
    _t("dispute", S.delivered, S.disputed, {A.member}),
    _t("resolve_received", S.disputed, S.received, {A.operator, A.curator}),
    _t("resolve_cancelled", S.disputed, S.cancelled, {A.operator, A.curator}),
    # 评价 review
    _t("review", S.received, S.reviewed, {A.member}),
    # cancel before delivery; a member only before the service starts (else a no-show is avoided by
    # cancelling afterwards), the union at any time
    *(
        _t("cancel", source, S.cancelled, {A.member, A.operator, A.curator}, window=BEFORE, binds={A.member})
        for source in (S.placed, S.offered, S.accepted, S.waitlisted)
    ),
    # a provider who accepted a listing order and cannot serve it after all gives it back, with a reason,
    # before the service starts: the order ends, its seat goes to the waiting list, the member is told
    _t("provider_cancel", S.accepted, S.cancelled, {A.provider}, LISTING, BEFORE),
    # a second live order of the same on-request listing, withdrawn when that rule came in (migration 0004)
    *(
        _t("withdraw_duplicate", source, S.cancelled, {A.system}, LISTING)
        for source in (S.placed, S.offered, S.accepted, S.waitlisted, S.delivered, S.disputed)
    ),
    # the provider (or a curator) called the session off: its orders end, their members are told
    *(
        _t("session_cancelled", source, S.cancelled, {A.provider, A.curator}, LISTING, BEFORE)
        for source in (S.placed, S.offered, S.accepted, S.waitlisted)
    ),
    # 团体预约 organisation orders and 扫码签到 check-in (issue #15 items 4–5). An organisation's contact
    # books a seat for each person on its roster (the seat taken with the booking), and may swap a person
    # before the booking's cut-off (their order ends, a new one is booked for the newcomer). A check-in
    # delivers the order once the session has started (a check-in before the start is delivered when it
    # starts, by the deadline scan); the provider at the door, or the system for a member's own scan.
    _t("org_book", S.placed, S.accepted, {A.org_contact}, LISTING, BEFORE),
    _t("org_swap_out", S.accepted, S.cancelled, {A.org_contact}, LISTING, BEFORE),
    _t("check_in", S.accepted, S.delivered, {A.provider, A.system}, LISTING, FROM),
    # a session whose door took check-ins is over: who never checked in did not come (no seat to give back)
    _t("absent", S.accepted, S.no_show, {A.system}, LISTING, FROM),
    # 抽签 a lottery session (issue #15): a registration holds no seat; at the draw it wins a seat (accepted,
    # or offered to the provider), or goes to the waiting list in draw order. Drawing is the system's.
    _t("register", S.placed, S.registered, {A.system}, LISTING, BEFORE),
    _t("withdraw", S.registered, S.cancelled, {A.member, A.operator, A.curator}, LISTING, BEFORE, binds={A.member}),
    _t("win", S.registered, S.accepted, {A.system}, LISTING, BEFORE),
    _t("win_offer", S.registered, S.offered, {A.system}, LISTING, BEFORE),
    _t("lose", S.registered, S.waitlisted, {A.system}, LISTING, BEFORE),
    _t("session_cancelled", S.registered, S.cancelled, {A.provider, A.curator}, LISTING, BEFORE),
    # 免申即享 a place the union reserved and offered to the member without their applying (domain/campaigns.py):
    # accepting it makes the member's order, holding one of the campaign's seats, before the session starts.
    _t("take_offered_place", S.placed, S.accepted, {A.member}, LISTING, BEFORE),
)

_BY_KEY: dict[tuple[OrderState, str, OrderKind], Transition] = {}
for _tr in TRANSITIONS:
    for _kind in _tr.kinds:
        key = (_tr.source, _tr.action, _kind)
        assert key not in _BY_KEY, f"duplicate transition {key}"
        _BY_KEY[key] = _tr

ACTIONS = frozenset(t.action for t in TRANSITIONS)


class Refusal(Exception):
    """A refusal of the rules: the catalogue's English sentence (`message`) and its values by name."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


class IllegalTransition(Refusal):
    """The action is not possible from the order's current state (HTTP 409)."""


class OutOfTime(IllegalTransition):
    """The move exists, but not at this moment of the service (before its start, after it…) (HTTP 409)."""


class ActorNotAllowed(Refusal):
    """The action exists from this state but this person may not take it (HTTP 403)."""


def find_transition(state: OrderState, action: str, kind: OrderKind) -> Transition | None:
    return _BY_KEY.get((OrderState(state), action, OrderKind(kind)))


def transition(state: OrderState, action: str, kind: OrderKind, actors: set[Actor] | frozenset[Actor]) -> Transition:
    """The move `action` makes from `state`, checked against who is acting; raises when refused."""
    found = find_transition(state, action, kind)
    if found is None:
        raise IllegalTransition(
            "This order is %(order_state)s; '%(action)s' is not possible from that state.",
            order_state=OrderState(state).value,
            action=action,
        )
    if not (found.actors & set(actors)):
        allowed = ", ".join(sorted(a.value for a in found.actors))
        raise ActorNotAllowed("Only the %(actors)s may '%(action)s' this order.", actors=allowed, action=action)
    return found


def time_refusal(found: Transition, role: Actor, now: datetime, when: ServiceTime) -> str | None:
    """Why the time guard of this move refuses it for someone acting as `role` at `now` (None: it may)."""
    if found.window is None or (found.binds is not None and role not in found.binds):
        return None
    return window_refusal(found.window, now, when)


def check_time(found: Transition, role: Actor, now: datetime, when: ServiceTime | None) -> None:
    """Refuse a move its time guard forbids (409). A guarded move needs the order's service time."""
    if found.window is None:
        return
    if when is None:
        raise TypeError(f"'{found.action}' depends on the service time: pass the order's ServiceTime")
    refusal = time_refusal(found, role, now, when)
    if refusal:
        raise OutOfTime(refusal)


# Moves that exist only while something on the order awaits them: a promoted seat to confirm
# (Order.confirm_by), an arrangement to agree to or a proposed time to accept (`arrangement_steps`).
CONDITIONAL = frozenset({"confirm", "agree_time", "propose_time", "accept_time"})


def arrangement_steps(has_session: bool, arranged: bool, agreed: bool, proposal_pending: bool) -> frozenset[str]:
    """Which answers an arrangement allows now. Only an order without a session has its time agreed (on
    request, a need); once the provider arranged it, its member may agree (until agreed, and while no
    proposal of theirs waits) or propose another time; a proposal waiting is the provider's to accept."""
    if has_session or not arranged:
        return frozenset()
    steps = {"propose_time"}
    if not agreed and not proposal_pending:
        steps.add("agree_time")
    if proposal_pending:
        steps.add("accept_time")
    return frozenset(steps)


def actions_for(
    state: OrderState,
    kind: OrderKind,
    actors: set[Actor] | frozenset[Actor],
    awaiting_confirmation: bool = False,
    now: datetime | None = None,
    when: ServiceTime | None = None,
    steps: frozenset[str] = frozenset(),
) -> list[str]:
    """The actions these actors may take now, in table order (the pages show them as buttons).
    "confirm" is offered only to a promoted member whose seat awaits confirmation, the arrangement's
    answers only when `steps` (arrangement_steps) has them; with `now` and the order's service time,
    moves their time guard forbids for everyone acting here are left out."""
    open_steps = steps | ({"confirm"} if awaiting_confirmation else set())
    found = []
    for t in TRANSITIONS:
        if (
            t.source != state
            or kind not in t.kinds
            or not t.actors & set(actors)
            or t.action in _SYSTEM_ONLY
            or (t.action in CONDITIONAL and t.action not in open_steps)
        ):
            continue
        if now is not None and when is not None:
            roles = t.actors & set(actors)
            if all(time_refusal(t, role, now, when) for role in roles):
                continue
        found.append(t.action)
    return found


# Not buttons on an order: the system's moves, and calling off a whole session (done on the session).
_SYSTEM_ONLY = frozenset(t.action for t in TRANSITIONS if t.actors == {Actor.system}) | {
    "session_cancelled",
    "check_in",  # done on the session's check-in page
    "org_book",  # done on the organisation's page
    "org_swap_out",
}


def acting_role(transition: Transition, actors: set[Actor] | frozenset[Actor]) -> Actor:
    """The capacity recorded on the event when someone holds several (a curator who is also the member…)."""
    for actor in (Actor.member, Actor.provider, Actor.operator, Actor.curator, Actor.org_contact, Actor.system):
        if actor in transition.actors and actor in actors:
            return actor
    raise ActorNotAllowed("Nobody here may '%(action)s' this order.", action=transition.action)
