"""docs/prometheus-alerts.yml: valid for Prometheus, and every metric it names is one the
shop's /metrics exports; the metrics added for it (authorization latency, reconciliation
discrepancy rate, payment tries) measured through the real checkout and the sandbox."""

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import stripe
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from shop.extensions import db
from shop.metrics import try_outcome
from shop.models import PaymentAttempt
from shop.models.types import utcnow
from shop.services.payments.reconciliation import run_reconciliation

from ..services import missing
from ..shopper import CARD_3DS, CARD_OK, Shopper, intent_id_from_secret

RULES = Path(__file__).resolve().parents[2] / "docs" / "prometheus-alerts.yml"
METRIC = re.compile(r"\b(shop_[a-z_]+)\b")
# What Prometheus adds to a histogram's or a counter's family name in the exposition.
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def exported_names(client) -> set[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return {sample.name for family in text_string_to_metric_families(text)
            for sample in family.samples}


def sample(client, name: str, **labels) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def pay(shopper, browser, product, card: str = CARD_OK) -> tuple[str, str]:
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    try:
        browser.confirm(secret, card)
    except stripe.CardError:
        pass  # Stripe.js shows the decline; the return settles it like any outcome
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    return token, secret


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool (Debian package prometheus; `make promtool`)")
    result = subprocess.run([promtool, "check", "rules", str(RULES)],  # noqa: S603
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_the_rules_file_has_the_shape_prometheus_reads():
    document = yaml.safe_load(RULES.read_text())
    assert set(document) == {"groups"}
    names = [rule["alert"] for group in document["groups"] for rule in group["rules"]]
    assert len(names) == len(set(names)) == 7
    for group in document["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["labels"]["severity"] in ("page", "warn", "info")
            assert rule["annotations"]["summary"]


def test_the_thresholds_are_the_issues():
    text = "\n".join(rule_expressions())
    assert ") < 0.90" in text and ">= 20" in text  # success rate, at least 20 tries
    assert ") > 0.05" in text  # webhook processing failures
    assert ") > 0.20" in text  # holds lapsed unpaid over a day
    assert "shop_payment_disputes_total" in text
    assert "shop_payment_attempts_authorizing_too_long" in text


def test_every_metric_the_rules_use_is_exported(client, shopper, browser, product):
    pay(shopper, browser, product)
    client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    run_reconciliation(trigger="test")
    exported = exported_names(client)
    used = {name for expr in rule_expressions() for name in METRIC.findall(expr)}
    assert len(used) >= 7
    unknown = {name for name in used if name not in exported
               and not any(name.removesuffix(s) + s in exported for s in SUFFIXES)}
    assert unknown == set(), f"not in /metrics: {sorted(unknown)}"


def test_authorization_latency_is_observed_when_an_attempt_is_authorized(
        client, shopper, browser, product):
    before = sample(client, "shop_authorization_latency_seconds_count")
    succeeded = sample(client, "shop_payment_tries_total", outcome="succeeded")
    pay(shopper, browser, product)
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.status in ("authorized", "captured")
    assert sample(client, "shop_authorization_latency_seconds_count") == before + 1
    assert sample(client, "shop_authorization_latency_seconds_sum") > 0
    assert sample(client, "shop_payment_tries_total", outcome="succeeded") == succeeded + 1


def test_a_declined_card_counts_as_a_try_and_observes_no_latency(
        client, shopper, browser, product):
    before = sample(client, "shop_authorization_latency_seconds_count")
    declined = sample(client, "shop_payment_tries_total", outcome="declined")
    pay(shopper, browser, product, card="4000000000000002")
    assert sample(client, "shop_payment_tries_total", outcome="declined") == declined + 1
    assert sample(client, "shop_authorization_latency_seconds_count") == before


@pytest.mark.parametrize(("moved", "outcome"), [
    (("authorizing", "authorized"), "succeeded"), (("authorizing", "initiated"), None),
    (("authorized", "failed"), "failed"), (("initiated", "canceled"), "abandoned"),
    (("authorized", "canceled"), None), (("authorized", "captured"), None),
    (("", "initiated"), None)])
def test_which_moves_end_a_try(moved, outcome):
    assert try_outcome(*moved) == outcome


def test_discrepancy_rate_after_a_reconciliation_with_a_planted_discrepancy(
        client, browser, product, store):
    # Two shoppers stuck in 3-D Secure; one finishes it at Stripe and its webhook never
    # reaches us (the planted discrepancy), the other never finishes.
    stuck = []
    for _ in range(2):
        shopper = Shopper(client.application.test_client())
        shopper.add(product, 1)
        token = shopper.checkout()
        secret = shopper.client_secret(token)
        assert browser.confirm(secret, CARD_3DS).status == "requires_action"
        shopper.return_from_stripe(token, intent_id_from_secret(secret))
        stuck.append(secret)
    db.session.rollback()
    assert [a.status for a in db.session.scalars(select(PaymentAttempt))].count(
        "authorizing") == 2
    browser.authenticate(stuck[0], success=True)
    assert sample(client, "shop_reconciliation_discrepancy_ratio") == 0
    [run] = run_reconciliation(trigger="test", now=utcnow() + timedelta(minutes=20))
    assert (run.examined, run.fixed, run.flagged) == (2, 1, 1)
    assert sample(client, "shop_reconciliation_discrepancy_ratio",
                  store_id=str(store.id)) == 0.5
