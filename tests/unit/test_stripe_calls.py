"""The end-of-run check of recorded Stripe calls: an SDK call without a contract fails it."""

import json

from tests.stripe_calls import check_recorded_calls, summarize


def write(tmp_path, *calls) -> str:
    path = tmp_path / "calls.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in calls))
    return str(path)


def call(route, contract, client="sdk", refused=None, params=("amount",)):
    return {"method": "POST", "route": route, "params": list(params), "contract": contract,
            "refused": refused, "client": client}


def test_a_checked_call_passes_and_an_unchecked_sdk_call_fails(tmp_path):
    ok = call("/v1/payment_intents", "PaymentIntentCreateParams")
    assert check_recorded_calls(write(tmp_path, ok)) == []
    new = call("/v1/payment_intents/{}/teleport", None, refused="Unrecognized request URL")
    assert check_recorded_calls(write(tmp_path, ok, new)) == [
        "POST /v1/payment_intents/{}/teleport"]


def test_hand_made_probes_of_the_sandbox_do_not_count(tmp_path):
    probe = call("/v1/nowhere", None, client="other", refused="Unrecognized request URL")
    assert check_recorded_calls(write(tmp_path, probe)) == []


def test_the_summary_lists_accepted_parameters_per_call():
    table = summarize([call("/v1/refunds", "RefundCreateParams", params=["amount"]),
                       call("/v1/refunds", "RefundCreateParams", params=["metadata"]),
                       call("/v1/refunds", "RefundCreateParams", params=["x"],
                            refused="parameter_unknown")])
    assert table == {("POST", "/v1/refunds", "RefundCreateParams"): {"amount", "metadata"}}
