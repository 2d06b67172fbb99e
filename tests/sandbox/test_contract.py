"""The sandbox refuses what Stripe refuses at the pinned API version, in Stripe's words."""

from __future__ import annotations

import uuid
import warnings

import pytest
import stripe

from sandbox import contract
from sandbox.contract import API_VERSION

SECRET = {"Authorization": "Bearer sk_test_sandbox"}


def create(sandbox, params: dict, headers: dict | None = None):
    return sandbox.http("POST", "/v1/payment_intents", {"amount": "1500", "currency": "eur",
                                                        **params},
                        headers={**SECRET, **(headers or {})})


def test_the_old_payment_method_types_parameter_is_refused_as_stripe_refuses_it(sandbox):
    result = create(sandbox, {"payment_method_types[0]": "card"})
    assert result.status == 400
    assert result.body == {"error": {
        "type": "invalid_request_error", "code": "parameter_unknown",
        "param": "payment_method_types",
        "message": "Received unknown parameter: payment_method_types"}}


def test_the_sdk_raises_invalid_request_error_for_it(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params={  # type: ignore[typeddict-unknown-key]
            "amount": 1500, "currency": "eur", "payment_method_types": ["card"]})
    assert raised.value.code == "parameter_unknown"
    assert raised.value.http_status == 400


@pytest.mark.parametrize(("params", "param", "code"), [
    ({"capture_method": "later"}, "capture_method", None),
    ({"automatic_payment_methods[enabled]": "true", "automatic_payment_methods[x]": "1"},
     "automatic_payment_methods[x]", "parameter_unknown"),
    ({"automatic_payment_methods[allow_redirects]": "never"},
     "automatic_payment_methods[enabled]", "parameter_missing"),
    ({"allowed_payment_method_types[0]": "cheque"}, "allowed_payment_method_types[0]", None),
    ({"amount": "12.5"}, "amount", "parameter_invalid_integer"),
    ({"confirm": "yes"}, "confirm", "parameter_invalid_boolean"),
])
def test_unknown_nested_parameters_bad_enums_and_types_are_refused(sandbox, params, param, code):
    result = create(sandbox, params)
    assert result.status == 400, result.body
    assert result.body["error"]["param"] == param
    assert result.body["error"].get("code") == code


def test_a_refused_request_creates_nothing(sandbox):
    key = str(uuid.uuid4())
    before = sandbox.http("GET", "/v1/events", {"limit": "1"}, headers=SECRET).body["data"]
    assert create(sandbox, {"metadata[k]": key, "payment_method_types[0]": "card"}).status == 400
    after = sandbox.http("GET", "/v1/events", {"limit": "1"}, headers=SECRET).body["data"]
    assert after == before


def test_cancellation_reasons_are_the_pinned_versions_enum(sandbox, client):
    intent = client.v1.payment_intents.create(params={"amount": 1500, "currency": "eur"})
    refused = sandbox.http("POST", f"/v1/payment_intents/{intent.id}/cancel",
                           {"cancellation_reason": "changed_my_mind"}, headers=SECRET)
    assert refused.status == 400 and refused.body["error"]["param"] == "cancellation_reason"
    canceled = client.v1.payment_intents.cancel(intent.id,
                                                params={"cancellation_reason": "abandoned"})
    assert canceled.cancellation_reason == "abandoned"


def test_another_api_version_is_refused_not_silently_served(sandbox):
    result = create(sandbox, {}, headers={"Stripe-Version": "2022-08-01"})
    assert result.status == 400
    assert API_VERSION in result.body["error"]["message"]
    assert create(sandbox, {}, headers={"Stripe-Version": API_VERSION}).status == 200


def test_a_path_stripe_does_not_have_is_404(sandbox):
    result = sandbox.http("POST", "/v1/payment_intents/pi_x/teleport", {}, headers=SECRET)
    assert result.status == 404
    assert result.body["error"]["message"].startswith("Unrecognized request URL")


def test_a_parameter_stripe_knows_but_the_sandbox_does_not_act_on_is_refused(sandbox):
    result = create(sandbox, {"transfer_group": "g1"})
    assert result.status == 400
    assert result.body["error"]["code"] == "sandbox_unsupported"


def test_events_carry_the_version_the_sandbox_speaks(client):
    intent = client.v1.payment_intents.create(params={"amount": 1500, "currency": "eur"})
    listed = client.v1.events.list(params={"type": "payment_intent.created", "limit": 10})
    event = next(e for e in listed.data if e.data.object.id == intent.id)
    assert event.api_version == API_VERSION == stripe.api_version


def test_every_stripe_route_the_sandbox_serves_has_a_contract():
    with warnings.catch_warnings():  # localstripe registers plain functions as handlers
        warnings.simplefilter("ignore", DeprecationWarning)
        from sandbox import disputes, events, methods, payments, refunds
    served = [(method, path) for module in (payments, methods, refunds, disputes, events)
              for method, path, _handler in module.ROUTES
              if path.startswith("/v1/") and "/_" not in path]
    assert served
    missing = [(m, p) for m, p in served
               if (m, contract.normalize(p)) not in contract.endpoints()]
    assert missing == []


def test_the_contract_is_read_from_the_sdk_not_written_by_hand():
    spec = contract.params_spec("PaymentIntentCreateParams")
    assert "allowed_payment_method_types" in spec.fields
    assert "payment_method_types" not in spec.fields
    assert {"amount", "currency"} <= spec.required
    assert spec.fields["capture_method"].values == {"automatic", "automatic_async", "manual"}
    assert len(contract.endpoints()) > 300  # every v1 call of the SDK


def test_webhooks_are_rendered_at_the_endpoints_api_version(sandbox, client):
    from .conftest import WEBHOOK_SECRET, WebhookReceiver

    old = WebhookReceiver(WEBHOOK_SECRET)
    result = sandbox.http("POST", "/_config/webhooks/old", {
        "url": old.url, "secret": WEBHOOK_SECRET, "api_version": "2022-08-01",
        "events[0]": "payment_intent.succeeded"})
    assert result.status == 200
    try:
        intent = client.v1.payment_intents.create(params={"amount": 1500, "currency": "eur"})
        client.v1.payment_intents.confirm(intent.id, params={
            "payment_method": sandbox.card("4242424242424242"),
            "return_url": "http://shop.test/"})
        old.wait_for(lambda r: r.events_for(intent.id), what="the old endpoint's event")
        raw, _event = next((raw, e) for raw, e in old.events if e.data.object.id == intent.id)
        assert raw["api_version"] == "2022-08-01"
        obj = raw["data"]["object"]
        assert "latest_charge" not in obj  # that version listed charges instead
        assert obj["charges"]["data"][0]["id"].startswith("ch_")
        # The account's own view (and the default endpoint) stay at the pinned version.
        listed = client.v1.events.list(params={"type": "payment_intent.succeeded"})
        assert next(e for e in listed.data
                    if e.data.object.id == intent.id).api_version == API_VERSION
    finally:
        sandbox.unregister_webhook("old")
        old.close()
