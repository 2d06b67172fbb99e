"""What the log redaction removes, and what it leaves alone."""

import json
import logging

import pytest

from shop.logs import JsonFormatter, luhn_valid, redact, redact_record


@pytest.mark.parametrize("secret,kept", [
    ("sk_live_51HxYzAbCdEf0123456789", "sk_live_"),
    ("sk_test_sandbox", "sk_test_"),
    ("rk_live_abcDEF123", "rk_live_"),
    ("whsec_abc123XYZ", "whsec_"),
    ("pi_3Nabc123_secret_XyZ987abc", "pi_3Nabc123_secret_"),
])
def test_stripe_secrets_are_redacted(secret, kept):
    text = redact(f"calling with {secret}, done")
    assert secret not in text
    assert f"{kept}[REDACTED]" in text and text.endswith(", done")


@pytest.mark.parametrize("card", ["4242424242424242", "4242 4242 4242 4242",
                                  "4242-4242-4242-4242", "378282246310005",
                                  "4000002500003155", "6011111111111117"])
def test_card_numbers_are_redacted(card):
    text = redact(f"card[number]={card}&cvc=123")
    assert card not in text and "[CARD REDACTED]" in text


@pytest.mark.parametrize("harmless", ["order 000042", "1700000000", "4242424242424241",
                                      "pi_3Nabc123", "127.0.0.1:5000", "amount=4076"])
def test_other_numbers_and_ids_are_kept(harmless):
    assert redact(f"x {harmless} y") == f"x {harmless} y"


def test_luhn():
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")


def test_record_arguments_traceback_and_extras_are_redacted():
    try:
        raise ValueError("bad key sk_live_abcdef")
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "paid with %s", (
            "4242424242424242",), sys.exc_info())
    record.client_secret = "pi_1_secret_2"
    redact_record(record)
    formatted = logging.Formatter().format(record)
    assert "4242424242424242" not in formatted and "sk_live_abcdef" not in formatted
    assert "ValueError" in formatted and record.client_secret == "pi_1_secret_[REDACTED]"


def test_json_formatter_writes_one_object_with_extras():
    record = logging.LogRecord("shop.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id, record.order_id = "abc", 7
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you" and entry["level"] == "INFO"
    assert entry["request_id"] == "abc" and entry["order_id"] == 7
