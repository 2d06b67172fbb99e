"""The sandbox's refunds and disputes, and the events they emit, through the official SDK."""

from __future__ import annotations

import pytest
import stripe

from .conftest import Sandbox
from .test_stripe_sandbox import create_intent

PENDING_REFUND_CARD = "4000000000007726"


def paid_intent(client, sandbox: Sandbox, *, amount: int = 2000, card: str | None = None):
    intent = create_intent(client, amount=amount)
    method = sandbox.card(card) if card else "pm_card_visa"
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": method})
    return client.v1.payment_intents.retrieve(intent.id)


def delivered(webhook_receiver, intent_id: str, types: list[str]) -> list[stripe.Event]:
    """Wait until the receiver has every event of ``types`` for the intent, in that order."""
    def ours(receiver):
        return [e for e in receiver.events_for(intent_id) if e.type in types]

    webhook_receiver.wait_for(lambda r: len(ours(r)) >= len(types),
                              what=f"{types} of {intent_id}")
    return ours(webhook_receiver)


def test_a_refund_emits_refund_created_and_charge_refunded(client, sandbox, webhook_receiver):
    intent = paid_intent(client, sandbox)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500,
                                              "metadata": {"transaction_id": "7"}})
    assert (refund.status, refund.failure_reason) == ("succeeded", None)
    events = delivered(webhook_receiver, intent.id, ["refund.created", "charge.refunded"])
    assert [e.type for e in events] == ["refund.created", "charge.refunded"]
    assert events[0].data.object.id == refund.id
    assert events[0].data.object.metadata["transaction_id"] == "7"
    assert events[1].data.object.id == intent.latest_charge
    assert events[1].data.object.amount_refunded == 500
    listed = client.v1.refunds.list(params={"charge": intent.latest_charge})
    assert [r.id for r in listed.data] == [refund.id]
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"


def test_a_pending_refund_settles_later_with_refund_updated(client, sandbox, webhook_receiver):
    intent = paid_intent(client, sandbox, card=PENDING_REFUND_CARD)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "pending"
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 2000
    settled = sandbox.http("POST", f"/v1/refunds/{refund.id}/_settle", {"success": "true"},
                           headers={"Authorization": "Bearer sk_test_sandbox"})
    assert settled.status == 200 and settled.body["status"] == "succeeded"
    events = delivered(webhook_receiver, intent.id,
                       ["refund.created", "charge.refunded", "refund.updated"])
    assert events[0].data.object.status == "pending"
    assert events[2].data.object.status == "succeeded"
    again = sandbox.http("POST", f"/v1/refunds/{refund.id}/_settle", {"success": "true"},
                         headers={"Authorization": "Bearer sk_test_sandbox"})
    assert (again.status, again.body["error"]["code"]) == (400, "refund_unexpected_state")


def test_a_refund_that_fails_later_gives_the_money_back_to_the_charge(client, sandbox,
                                                                       webhook_receiver):
    intent = paid_intent(client, sandbox)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 800})
    failed = sandbox.http("POST", f"/v1/refunds/{refund.id}/_fail",
                          {"failure_reason": "lost_or_stolen_card"},
                          headers={"Authorization": "Bearer sk_test_sandbox"})
    assert failed.status == 200
    assert (failed.body["status"], failed.body["failure_reason"]) == ("failed",
                                                                      "lost_or_stolen_card")
    events = delivered(webhook_receiver, intent.id,
                       ["refund.created", "refund.updated", "refund.failed"])
    assert [e.type for e in events] == ["refund.created", "refund.updated", "refund.failed"]
    assert events[-1].data.object.status == "failed"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    again = sandbox.http("POST", f"/v1/refunds/{refund.id}/_fail", {},
                         headers={"Authorization": "Bearer sk_test_sandbox"})
    assert (again.status, again.body["error"]["code"]) == (400, "refund_unexpected_state")
    # The money is back on the charge: all of it may be refunded again.
    assert client.v1.refunds.create(params={"payment_intent": intent.id}).amount == 2000


def test_a_refund_failure_reason_must_be_one_of_stripes(client, sandbox):
    intent = paid_intent(client, sandbox)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    bad = sandbox.http("POST", f"/v1/refunds/{refund.id}/_fail", {"failure_reason": "nope"},
                       headers={"Authorization": "Bearer sk_test_sandbox"})
    assert (bad.status, bad.body["error"]["param"]) == (400, "failure_reason")
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"


def open_dispute(sandbox: Sandbox, charge_id: str, **params) -> dict:
    result = sandbox.http("POST", f"/v1/charges/{charge_id}/_dispute", params,
                          headers={"Authorization": "Bearer sk_test_sandbox"})
    assert result.status == 200, result.body
    return result.body


def close_dispute(sandbox: Sandbox, dispute_id: str, status: str):
    return sandbox.http("POST", f"/v1/disputes/{dispute_id}/_close?status={status}", {},
                        headers={"Authorization": "Bearer sk_test_sandbox"})


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_is_opened_and_closed_with_its_events(client, sandbox, webhook_receiver,
                                                        outcome):
    intent = paid_intent(client, sandbox)
    dispute = open_dispute(sandbox, intent.latest_charge, amount="1500",
                           reason="product_not_received")
    assert (dispute["object"], dispute["status"], dispute["amount"]) == \
        ("dispute", "needs_response", 1500)
    assert (dispute["charge"], dispute["payment_intent"]) == (intent.latest_charge, intent.id)
    assert client.v1.charges.retrieve(intent.latest_charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert info.value.code == "charge_disputed"

    closed = close_dispute(sandbox, dispute["id"], outcome)
    assert closed.status == 200 and closed.body["status"] == outcome
    events = delivered(webhook_receiver, intent.id,
                       ["charge.dispute.created", "charge.dispute.closed"])
    assert [(e.type, e.data.object.status) for e in events] == [
        ("charge.dispute.created", "needs_response"), ("charge.dispute.closed", outcome)]
    fetched = client.v1.disputes.retrieve(dispute["id"])
    assert (fetched.status, fetched.reason) == (outcome, "product_not_received")
    listed = client.v1.disputes.list(params={"payment_intent": intent.id})
    assert [d.id for d in listed.data] == [dispute["id"]]
    again = close_dispute(sandbox, dispute["id"], "won")
    assert (again.status, again.body["error"]["code"]) == (400, "dispute_already_closed")
    if outcome == "won":
        assert client.v1.refunds.create(params={"payment_intent": intent.id}).amount == 2000
    else:
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.refunds.create(params={"payment_intent": intent.id})


def test_accepting_a_dispute_through_the_api_loses_it(client, sandbox):
    intent = paid_intent(client, sandbox)
    dispute = open_dispute(sandbox, intent.latest_charge)
    assert dispute["reason"] == "fraudulent" and dispute["amount"] == 2000
    assert client.v1.disputes.close(dispute["id"]).status == "lost"


def test_dispute_input_is_checked(client, sandbox):
    intent = create_intent(client)
    unpaid = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "capture_method": "manual"})
    result = sandbox.http("POST", f"/v1/charges/{unpaid.latest_charge}/_dispute", {},
                          headers={"Authorization": "Bearer sk_test_sandbox"})
    assert (result.status, result.body["error"]["code"]) == (400, "charge_not_disputable")
    paid = paid_intent(client, sandbox)
    for params, param in (({"amount": "2001"}, "amount"), ({"reason": "bored"}, "reason")):
        bad = sandbox.http("POST", f"/v1/charges/{paid.latest_charge}/_dispute", params,
                           headers={"Authorization": "Bearer sk_test_sandbox"})
        assert (bad.status, bad.body["error"]["param"]) == (400, param)
    dispute = open_dispute(sandbox, paid.latest_charge)
    twice = sandbox.http("POST", f"/v1/charges/{paid.latest_charge}/_dispute", {},
                         headers={"Authorization": "Bearer sk_test_sandbox"})
    assert (twice.status, twice.body["error"]["code"]) == (400, "charge_disputed")
    assert close_dispute(sandbox, dispute["id"], "maybe").status == 400
    assert client.v1.disputes.retrieve(dispute["id"]).status == "needs_response"


def test_a_partial_capture_leaves_no_refund_and_bounds_the_refunds(client, sandbox):
    intent = create_intent(client, amount=4000, capture_method="manual")
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 3000})
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded) == (3000, 0)
    assert client.v1.refunds.list(params={"charge": charge.id}).data == []
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 3001})
    assert info.value.code == "amount_too_large"
    assert client.v1.refunds.create(params={"payment_intent": intent.id}).amount == 3000
    assert client.v1.charges.retrieve(charge.id).refunded is True
