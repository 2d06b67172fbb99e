"""The load of ``make cluster-test``, run by deploy/cluster.sh against the topology it
started: shoppers after the last units through haproxy, one web node killed mid-burst,
the orders paid and one webhook delivered many times at once, then the invariants.

    python -m deploy.cluster_load seed --database-url ... --stock 10
    python -m deploy.cluster_load run --proxy http://127.0.0.1:PORT ...

Prints one JSON line per phase and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select

from bench.load_checkout import ADDRESS, PRODUCT_SLUG, pay_and_get_event, sign

CHECKOUT_RETRIES = 3  # a shopper who sees an error posts the same form again, as a person would


STARTED = time.monotonic()


def emit(**fields) -> None:
    print(json.dumps({**fields, "elapsed_s": round(time.monotonic() - STARTED, 1)}),
          flush=True)


def _token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


class Log:
    """Every request of the run: when it started and ended, its status, the node that served
    it (haproxy's X-Served-By), so a 5xx can be matched against the moment of the kill."""

    def __init__(self):
        self.rows: list[dict] = []
        self.lock = threading.Lock()

    def send(self, http: requests.Session, method: str, url: str, **kwargs):
        started = time.monotonic()
        try:
            response = http.request(method, url, timeout=60, allow_redirects=False, **kwargs)
            status, node = response.status_code, response.headers.get("X-Served-By", "")
        except requests.RequestException as exc:
            response, status, node = None, f"error:{type(exc).__name__}", ""
        with self.lock:
            self.rows.append({"method": method, "path": url.split("/", 3)[-1],
                              "started": started, "ended": time.monotonic(),
                              "status": status, "node": node})
        return response


def shopper(base: str, log: Log, barrier: threading.Barrier, result: dict) -> None:
    http = requests.Session()
    try:
        page = log.send(http, "GET", f"{base}/products/{PRODUCT_SLUG}").text
        added = log.send(http, "POST", f"{base}/cart/add", data={
            "csrf_token": _token(page, "csrf_token"),
            "product_id": _token(page, "product_id"), "quantity": 1})
        assert added is not None and added.status_code == 303, "cart/add"
        form = log.send(http, "GET", f"{base}/checkout").text
        data = {"csrf_token": _token(form, "csrf_token"),
                "checkout_token": _token(form, "checkout_token"), **ADDRESS}
    except Exception as exc:  # this shopper never reached the checkout: reported, not hidden
        result["outcome"] = f"setup_error:{exc!r}"
        barrier.abort()
        return
    barrier.wait()
    for _ in range(CHECKOUT_RETRIES):
        response = log.send(http, "POST", f"{base}/checkout", data=data)
        if response is not None and response.status_code == 303:
            match = re.search(r"/orders/([^/?]+)", response.headers.get("Location", ""))
            result.update(outcome="placed", token=match.group(1) if match else None)
            return
        if response is not None and response.status_code == 409 \
                and "sold out" in response.text:
            result["outcome"] = "sold_out"
            return
    result["outcome"] = "gave_up"


def kill_node(pidfile: Path) -> int:
    """The node dies as a machine would: gunicorn's master and workers at once (the start
    script gave it a process group of its own)."""
    pid = int(pidfile.read_text().strip())
    os.killpg(pid, signal.SIGKILL)
    return pid


def checkout_burst(args, log: Log) -> tuple[list[dict], dict]:
    results: list[dict] = [{} for _ in range(args.shoppers)]
    barrier = threading.Barrier(args.shoppers)
    threads = [threading.Thread(target=shopper, args=(args.proxy, log, barrier, results[i]))
               for i in range(args.shoppers)]
    for thread in threads:
        thread.start()
    kill: dict = {}
    deadline = time.monotonic() + 120
    while args.kill_after and time.monotonic() < deadline and any(t.is_alive()
                                                                  for t in threads):
        answered = sum(1 for r in list(log.rows) if r["path"] == "checkout"
                       and r["method"] == "POST")
        if answered >= args.kill_after:
            kill = {"pid": kill_node(Path(args.kill_pidfile)), "at": time.monotonic(),
                    "after_checkouts_answered": answered}
            break
        time.sleep(0.005)
    for thread in threads:
        thread.join(180)
    return results, kill


def wait_until_up(stats_url: str, servers: tuple[str, ...], timeout: float = 90) -> bool:
    """haproxy's own view (its CSV stats): every server of the web backend is UP again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = requests.get(f"{stats_url};csv", timeout=5).text.splitlines()
        status = {line.split(",")[1]: line.split(",")[17] for line in rows
                  if line.startswith("web,")}
        if all(status.get(name) == "UP" for name in servers):
            return True
        time.sleep(0.2)
    return False


def deliver(base: str, log: Log, payload: bytes, copies: int) -> list[dict]:
    barrier = threading.Barrier(copies)
    outcomes: list[dict] = [{} for _ in range(copies)]

    def one(i: int) -> None:
        http = requests.Session()
        headers = {"Stripe-Signature": sign(payload), "Content-Type": "application/json"}
        barrier.wait()
        response = log.send(http, "POST", f"{base}/webhooks/stripe", data=payload,
                            headers=headers)
        body = response.json() if response is not None and response.headers.get(
            "Content-Type", "").startswith("application/json") else {}
        outcomes[i] = {"status": getattr(response, "status_code", None),
                       "outcome": body.get("outcome")}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return outcomes


def intents_of(engine, tokens: list[str]) -> dict[str, str]:
    from shop.models import Order, PaymentAttempt

    with engine.connect() as conn:
        rows = conn.execute(select(Order.token, PaymentAttempt.provider_reference).join(
            PaymentAttempt, PaymentAttempt.order_id == Order.id)
            .where(Order.token.in_(tokens))).all()
    return {token: intent for token, intent in rows}


def stored_state(engine, event_ids: list[str]) -> dict:
    from shop.models import (
        AuditEvent,
        InventoryHold,
        Order,
        PaymentAttempt,
        Product,
        SentEmail,
        StripeEvent,
    )

    with engine.connect() as conn:
        def one(query):
            return conn.execute(query).scalar()

        return {
            "orders": one(select(func.count(Order.id))),
            "paid_orders": one(select(func.count(Order.id)).where(
                Order.payment_status == "paid")),
            "units_sold": one(select(func.coalesce(func.sum(InventoryHold.quantity), 0))
                              .where(InventoryHold.status == "converted")),
            "distinct_carts": one(select(func.count(func.distinct(Order.cart_id)))),
            "attempts": one(select(func.count(PaymentAttempt.id))),
            "distinct_intents": one(select(func.count(func.distinct(
                PaymentAttempt.provider_reference)))),
            "active_holds": one(select(func.count(InventoryHold.id)).where(
                InventoryHold.status == "active")),
            "stock_on_hand": one(select(Product.stock_on_hand)),
            "event_rows": one(select(func.count(StripeEvent.id)).where(
                StripeEvent.id.in_(event_ids))),
            "captured_audits": one(select(func.count(AuditEvent.id)).where(
                AuditEvent.to_state == "captured")),
            "receipts": one(select(func.count(SentEmail.id)).where(
                SentEmail.kind == "receipt")),
            "orders_with_two_receipts": one(select(func.count()).select_from(
                select(SentEmail.order_id).where(SentEmail.kind == "receipt")
                .group_by(SentEmail.order_id).having(func.count() > 1).subquery())),
        }


def wait_for_receipts(engine, expected: int, timeout: float = 90) -> int:
    """Receipts go out from the RQ workers after the webhook's commit: poll, with a limit."""
    from shop.models import SentEmail

    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            sent = conn.execute(select(func.count(SentEmail.id))
                                .where(SentEmail.kind == "receipt")).scalar() or 0
        if sent >= expected or time.monotonic() > deadline:
            return sent
        time.sleep(0.2)


def escaped_5xx(log: Log, kill: dict) -> tuple[list[dict], list[dict]]:
    """5xx answers the shoppers saw: those in flight when the node died, and the others."""
    bad = [r for r in log.rows if not isinstance(r["status"], int) or r["status"] >= 500]
    in_flight = [r for r in bad if kill and r["started"] <= kill["at"] <= r["ended"]]
    return in_flight, [r for r in bad if r not in in_flight]


HAPROXY_LINE = re.compile(r'\d+/\d+/\d+/\d+/(\+?)(\d+) \d+/\d+ "(\S+) (\S+)')


def proxy_retries(haproxy_log: Path) -> Counter:
    """Requests haproxy sent again (to the other node when ``+``), from its access log."""
    counts: Counter = Counter()
    for line in haproxy_log.read_text(errors="replace").splitlines():
        match = HAPROXY_LINE.search(line)
        if match and int(match.group(2)):
            counts[f"{match.group(3)} {match.group(4)}"] += 1
    return counts


def run(args) -> bool:
    engine = create_engine(args.database_url)
    log = Log()
    results, kill = checkout_burst(args, log)
    outcomes = Counter(r.get("outcome", "none") for r in results)
    checkout_nodes = Counter(r["node"] for r in log.rows if r["path"] == "checkout")
    in_flight, other_5xx = escaped_5xx(log, kill)
    emit(phase="checkout", shoppers=args.shoppers, stock=args.stock,
         outcomes=dict(outcomes), served_by=dict(checkout_nodes), kill=kill,
         requests=len(log.rows), http_5xx_in_flight=dict(Counter(
             f"{r['method']} /{r['path']} {r['status']}" for r in in_flight)),
         http_5xx_other=other_5xx[:5])
    retried = proxy_retries(Path(args.haproxy_log))
    emit(phase="failover", sent_again_by_haproxy=dict(retried))
    tokens = [r["token"] for r in results if r.get("outcome") == "placed"]
    back_up = wait_until_up(args.stats_url, ("a", "b"))
    emit(phase="recovery", node_a_back_in_haproxy=back_up)

    intents = intents_of(engine, tokens)
    events = [pay_and_get_event(args.sandbox_url, intents[t]) for t in tokens if t in intents]
    storm_at = len(log.rows)
    webhook_results: list[dict] = []
    for index, event in enumerate(events):
        copies = args.deliveries if index == 0 else 1
        webhook_results += deliver(args.proxy, log, json.dumps(event).encode(), copies)
    storm = webhook_results[:args.deliveries]
    storm_nodes = Counter(r["node"] for r in log.rows[storm_at:storm_at + args.deliveries])
    webhook_outcomes = Counter(str(r.get("outcome")) for r in webhook_results)
    emit(phase="webhooks", events=len(events), deliveries=len(webhook_results),
         storm_outcomes=dict(Counter(str(r.get("outcome")) for r in storm)),
         served_by=dict(storm_nodes), outcomes=dict(webhook_outcomes))

    receipts = wait_for_receipts(engine, len(tokens))
    state = stored_state(engine, [e["id"] for e in events])
    engine.dispose()
    expected = min(args.stock, args.shoppers)
    checks = {
        f"{expected} placed, {args.shoppers - expected} refused as sold out, none lost":
            outcomes == Counter({"placed": expected, "sold_out": args.shoppers - expected}),
        "0 oversold: units sold + on hand = stock, no hold left active":
            state["units_sold"] == expected and state["stock_on_hand"] == args.stock - expected
            and state["active_holds"] == 0,
        "one order per shopper who got one, one PaymentIntent per order":
            state["orders"] == state["distinct_carts"] == len(set(tokens)) == expected
            and state["attempts"] == state["distinct_intents"] == expected,
        "both nodes served checkouts": len([n for n in checkout_nodes if n]) == 2,
        "a node was killed mid-burst": bool(kill) and 0 < kill["after_checkouts_answered"]
            < args.shoppers,
        "the kill caught requests in flight, which haproxy sent to the other node":
            retried["POST /checkout"] > 0,
        "no 5xx reached a shopper except requests in flight at the kill": not other_5xx,
        "the killed node came back (haproxy health check)": back_up,
        f"{expected} paid": state["paid_orders"] == expected and len(events) == expected,
        "webhooks all acknowledged": all(r.get("status") == 200 for r in webhook_results),
        f"one effect of {args.deliveries} deliveries":
            Counter(str(r.get("outcome")) for r in storm)
            == Counter({"processed": 1, "duplicate": args.deliveries - 1})
            and state["event_rows"] == expected and state["captured_audits"] == expected,
        "webhook storm spread over both nodes": len([n for n in storm_nodes if n]) == 2,
        "one receipt per paid order": receipts == state["receipts"] == expected
            and state["orders_with_two_receipts"] == 0
            and len(list(Path(args.mail_dir).glob("*"))) == expected,
    }
    for name, ok in checks.items():
        emit(check=name, ok=ok)
    ok = all(checks.values())
    emit(phase="invariants", ok=ok, state=state)
    return ok


def seed(args) -> None:
    """One store, one product with ``stock`` units (the schema comes from the migrations)."""
    from shop import create_app
    from shop.extensions import db
    from shop.models import Product, ProductVariant, Store

    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": args.database_url,
                      "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        store = Store(slug="main", name="Cluster", currency="USD")
        db.session.add(store)
        db.session.flush()
        product = Product(store_id=store.id, slug=PRODUCT_SLUG, name="Last Units",
                          price=2500, currency="USD", stock_on_hand=args.stock,
                          description="Few left")
        db.session.add(product)
        db.session.flush()
        # A product without options sells through its one default variant (0017_variants).
        db.session.add(ProductVariant(store_id=store.id, product_id=product.id,
                                      sku=PRODUCT_SLUG, name="", price=2500,
                                      stock_on_hand=args.stock, position=0, active=True))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster_load")
    parser.add_argument("command", choices=("seed", "run"))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--shoppers", type=int, default=50)
    parser.add_argument("--deliveries", type=int, default=50)
    parser.add_argument("--proxy", help="haproxy's URL")
    parser.add_argument("--stats-url", help="haproxy's stats page")
    parser.add_argument("--sandbox-url")
    parser.add_argument("--mail-dir")
    parser.add_argument("--haproxy-log", help="haproxy's access log (httplog format)")
    parser.add_argument("--kill-pidfile", help="gunicorn pid file of the node to kill")
    parser.add_argument("--kill-after", type=int, default=10,
                        help="kill it once this many checkout POSTs were answered (0: never)")
    args = parser.parse_args(argv)
    if args.command == "seed":
        seed(args)
        return 0
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
