import pytest

from shop.domain.errors import IllegalTransition
from shop.domain.settlement import payment_status_for, plan_attempt_moves
from shop.domain.states import (
    ATTEMPT_MOVES,
    HOSTED_ATTEMPT_MOVES,
    ORDER_MOVES,
    PAYMENT_MOVES,
    VOIDABLE,
    can_void,
    transition,
    void_transition,
)
from shop.domain.states import (
    AttemptStatus as A,
)
from shop.domain.states import (
    OrderStatus as O,
)
from shop.domain.states import (
    PaymentStatus as P,
)


@pytest.mark.parametrize(("machine", "table", "enum"), [
    ("attempt", ATTEMPT_MOVES, A), ("hosted_attempt", HOSTED_ATTEMPT_MOVES, A),
    ("order", ORDER_MOVES, O), ("payment", PAYMENT_MOVES, P)])
def test_every_pair_is_allowed_exactly_when_listed(machine, table, enum):
    assert set(table) == set(enum), "every state has a row"
    for current in enum:
        for target in enum:
            if target in table[current]:
                assert transition(machine, current, target) == target
            else:
                with pytest.raises(IllegalTransition):
                    transition(machine, current, target)


def test_terminal_attempt_states_allow_nothing():
    for terminal in (A.CAPTURED, A.CANCELED, A.FAILED):
        assert ATTEMPT_MOVES[terminal] == frozenset()


def test_a_hosted_page_attempt_adds_only_the_late_capture_of_a_given_up_link():
    added = {(s, t) for s, moves in HOSTED_ATTEMPT_MOVES.items() for t in moves} - {
        (s, t) for s, moves in ATTEMPT_MOVES.items() for t in moves}
    assert added == {(A.CANCELED, A.CAPTURED), (A.FAILED, A.CAPTURED)}
    assert HOSTED_ATTEMPT_MOVES[A.CAPTURED] == frozenset()


def test_any_non_terminal_attempt_may_fail():
    for state in (A.INITIATED, A.AUTHORIZING, A.AUTHORIZED):
        assert A.FAILED in ATTEMPT_MOVES[state]


@pytest.mark.parametrize(("current", "intent", "expected"), [
    (A.INITIATED, "succeeded", [A.AUTHORIZING, A.AUTHORIZED, A.CAPTURED]),
    (A.AUTHORIZING, "succeeded", [A.AUTHORIZED, A.CAPTURED]),
    (A.INITIATED, "processing", [A.AUTHORIZING]),
    (A.INITIATED, "requires_action", [A.AUTHORIZING]),
    (A.INITIATED, "requires_capture", [A.AUTHORIZING, A.AUTHORIZED]),
    (A.CAPTURED, "processing", []),  # stale event after success: nothing moves back
    (A.CAPTURED, "requires_payment_method", []),
    (A.AUTHORIZED, "processing", []),
    (A.AUTHORIZING, "requires_payment_method", [A.INITIATED]),  # declined: try again
    (A.INITIATED, "requires_payment_method", []),
    (A.INITIATED, "canceled", [A.CANCELED]),
    (A.AUTHORIZING, "canceled", [A.CANCELED]),  # same end whether we saw it in progress
    (A.AUTHORIZED, "canceled", [A.CANCELED]),
    (A.CANCELED, "succeeded", []),
    (A.INITIATED, "no_such_status", []),
])
def test_plan_moves_forward_only(current, intent, expected):
    assert plan_attempt_moves(current, intent) == expected


def test_payment_status_follows_attempt():
    assert payment_status_for(A.CAPTURED, failed=False) == P.PAID
    assert payment_status_for(A.AUTHORIZING, failed=False) == P.PROCESSING
    assert payment_status_for(A.INITIATED, failed=True) == P.FAILED
    assert payment_status_for(A.INITIATED, failed=False) is None
    assert payment_status_for(A.CANCELED, failed=False) == P.UNPAID  # nothing was taken


@pytest.mark.parametrize("current", list(A))
def test_staff_void_only_initiated_or_authorized(current):
    """AUTHORIZING is not a valid state for void (Stripe may still cancel it itself)."""
    assert can_void(current) is (current in (A.INITIATED, A.AUTHORIZED))
    if can_void(current):
        assert void_transition(current) == A.CANCELED
    else:
        with pytest.raises(IllegalTransition):
            void_transition(current)
    assert VOIDABLE <= {s for s in A if A.CANCELED in ATTEMPT_MOVES[s]}
