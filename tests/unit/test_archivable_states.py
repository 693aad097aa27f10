"""Which orders may be archived: finished ones, from which only a late review moves on."""

from marketplace.domain.orders import FINISHED_STATES, TERMINAL_STATES, TRANSITIONS, OrderState


def test_finished_orders_move_only_by_a_late_review():
    leaving = {(t.source, t.action, t.target) for t in TRANSITIONS if t.source in FINISHED_STATES}
    # order_flow.move clears `archived_at` on that move, so the reviewed order is everyday again
    assert leaving == {(OrderState.received, "review", OrderState.reviewed)}


def test_finished_is_terminal_and_signed_off():
    assert FINISHED_STATES == TERMINAL_STATES | {OrderState.received}
    assert not FINISHED_STATES & {OrderState.delivered, OrderState.disputed, OrderState.accepted}
