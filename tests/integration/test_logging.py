"""Real flows with every log record captured: no secret, client secret or card number gets
through, and each line of a request carries its request id."""

import logging
import re

import pytest
import stripe

from ..shopper import CARD_DECLINED, CARD_OK, intent_id_from_secret, post_event, sandbox_events

LEAKS = [
    re.compile(r"_secret_(?!\[REDACTED\])[A-Za-z0-9]"),
    re.compile(r"\bsk_(live|test)_(?!\[REDACTED\])"),
    re.compile(r"\bwhsec_(?!\[REDACTED\])"),
]


def everything_logged(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(record.exc_text or "")
        lines.extend(str(v) for k, v in vars(record).items() if k not in ("msg", "args"))
    return "\n".join(lines)


def test_payment_flows_leak_nothing_into_the_logs(caplog, shopper, browser, client,
                                                  stripe_client, product):
    caplog.set_level(logging.DEBUG)  # the stripe SDK logs request and response bodies
    shopper.add(product)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    with pytest.raises(stripe.CardError):
        browser.confirm(secret, CARD_DECLINED)
    browser.confirm(secret, CARD_OK)
    # Stripe's redirect carries the client secret in the query string.
    shopper.client.get(f"/orders/{token}?payment_intent={intent_id}"
                       f"&payment_intent_client_secret={secret}&redirect_status=succeeded")
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    post_event(client, event)
    logging.getLogger("shop.test").warning("shopper typed %s into a form", CARD_OK)

    text = everything_logged(caplog)
    for leak in LEAKS:
        assert not leak.search(text), leak.search(text)
    for card in (CARD_OK, CARD_DECLINED):
        assert card not in text
    # The secrets were there to be caught (the SDK logs the intent it got back).
    assert f"{intent_id}_secret_[REDACTED]" in text
    assert "[CARD REDACTED]" in text


def test_every_line_of_a_request_has_its_request_id(caplog, client, store):
    caplog.set_level(logging.INFO)
    response = client.get("/", headers={"X-Request-ID": "req-abc.123"})
    assert response.headers["X-Request-ID"] == "req-abc.123"
    mine = [r for r in caplog.records if getattr(r, "request_id", "-") == "req-abc.123"]
    assert any(r.name == "shop.access" for r in mine)
    assert all(r.request_id in ("req-abc.123", "-") for r in caplog.records)


@pytest.mark.parametrize("header", ["has spaces", "x" * 200, "<script>\"quoted\"</script>", ""])
def test_an_insane_request_id_is_replaced(client, store, header):
    response = client.get("/healthz", headers={"X-Request-ID": header} if header else {})
    generated = response.headers["X-Request-ID"]
    assert generated != header and re.fullmatch(r"[0-9a-f]{32}", generated)
