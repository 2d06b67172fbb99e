"""A loopback Flutterwave (API v3): ``python -m sandbox.flutterwave --port 8422
--secret FLWSECK_TEST-... --secret-hash HASH --webhook-url http://127.0.0.1:5000/webhooks/flutterwave``.

The endpoints the shop calls, in Flutterwave's v3 shapes: ``POST /v3/payments`` (Standard,
answers a hosted link), ``GET /v3/transactions/verify_by_reference?tx_ref=``,
``GET /v3/transactions/:id/verify``, ``POST /v3/transactions/:id/refund``, ``GET /v3/refunds/:id``,
``GET /v3/refunds`` (list; ``?id=`` a transaction id);
errors as ``{"status": "error", "message", "data": null}``. Amounts are decimal major units.
Webhooks carry the secret hash in ``verif-hash``.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import secrets
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from babel.numbers import get_currency_precision

from .hosted import Webhooks, answer_or_drop, control_routes, hosted_page, parser, serve

CURRENCIES = {"NGN", "GHS", "KES", "ZAR", "UGX", "TZS", "RWF", "XAF", "XOF", "USD", "EUR", "GBP"}
PAYMENT_PARAMS = {"tx_ref", "amount", "currency", "redirect_url", "customer", "meta",
                  "customizations", "payment_options", "session_duration", "max_retry_attempt",
                  "payment_plan", "subaccounts", "link_expiration"}
CUSTOMER_PARAMS = {"email", "name", "phonenumber"}
REFUND_PARAMS = {"amount", "comments"}
LIST_REFUND_PARAMS = {"from", "to", "page", "status", "currency", "id", "flw_ref"}
NOT_FOUND = "No transaction was found for this id"
_ids = itertools.count(288_200_108)


class FlutterwaveError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.response = web.json_response({"status": "error", "message": message, "data": None},
                                          status=status)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _closes_at(minutes: Any) -> float | None:
    """When a page with this ``session_duration`` stops taking payment (epoch seconds)."""
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        raise FlutterwaveError(400, "session_duration must be a whole number of minutes "
                               "from 1 to 1440")
    return time.time() + minutes * 60


def _number(value: Decimal) -> int | float:
    # Flutterwave answers amounts as JSON numbers (7500, 75.5).
    return int(value) if value == value.to_integral_value() else float(value)


def _amount(value: Any, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FlutterwaveError(400, "amount must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise FlutterwaveError(400, "amount must be a number") from exc
    exponent = get_currency_precision(currency)
    if not amount.is_finite() or amount <= 0 or amount != round(amount, exponent):
        raise FlutterwaveError(400, f"amount must be a positive {currency} amount with at most "
                               f"{exponent} decimals")
    return amount


async def _json_body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise FlutterwaveError(400, "Invalid JSON body") from exc
    if not isinstance(body, dict):
        raise FlutterwaveError(400, "Invalid JSON body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise FlutterwaveError(400, f"{unknown[0]} is not allowed")
    return body


class Flutterwave:
    def __init__(self, secret: str, webhooks: Webhooks):
        self.secret = secret
        self.webhooks = webhooks
        self.payments: dict[str, dict[str, Any]] = {}  # by tx_ref
        self.by_token: dict[str, str] = {}
        self.transactions: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, dict[str, Any]] = {}
        self.state: dict[str, Any] = {"fail_next_refund": False}

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            if request.path.startswith("/v3/") and not request.path.startswith("/v3/hosted/"):
                self._authorize(request)
                # Only verify-by-reference and the refund list take a query (their own checks
                # say which).
                if request.query and request.path not in ("/v3/transactions/verify_by_reference",
                                                          "/v3/refunds"):
                    raise FlutterwaveError(400, f"{sorted(request.query)[0]} is not allowed")
            return await handler(request)
        except FlutterwaveError as exc:
            return exc.response
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            if request.path.startswith("/v3/hosted/"):
                raise
            return FlutterwaveError(exc.status, f"Route not found: {request.method} "
                                    f"{request.path}").response

    def _authorize(self, request: web.Request) -> None:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not hmac.compare_digest(key.encode(), self.secret.encode()):
            raise FlutterwaveError(401, "Invalid authorization key")

    async def create_payment(self, request: web.Request) -> web.Response:
        body = await _json_body(request, PAYMENT_PARAMS)
        for name in ("tx_ref", "amount", "redirect_url", "customer"):
            if body.get(name) in (None, ""):
                raise FlutterwaveError(400, f"{name} is required")
        currency = str(body.get("currency") or "NGN")
        if currency not in CURRENCIES:
            raise FlutterwaveError(400, f"Invalid currency {currency}")
        amount = _amount(body["amount"], currency)
        customer = body["customer"]
        if not isinstance(customer, dict) or "@" not in str(customer.get("email") or ""):
            raise FlutterwaveError(400, "customer.email is required")
        if set(customer) - CUSTOMER_PARAMS:
            raise FlutterwaveError(400, f"customer.{sorted(set(customer) - CUSTOMER_PARAMS)[0]} "
                                   "is not allowed")
        if urlsplit(str(body["redirect_url"])).scheme not in ("http", "https"):
            raise FlutterwaveError(400, "redirect_url must be a valid url")
        closes_at = _closes_at(body.get("session_duration"))
        tx_ref = str(body["tx_ref"])
        if tx_ref in self.payments and self.payments[tx_ref]["transaction"] is not None:
            raise FlutterwaveError(400, "A transaction with this tx_ref already exists")
        token = secrets.token_hex(12)
        self.payments[tx_ref] = {"tx_ref": tx_ref, "amount": amount, "currency": currency,
                                 "redirect_url": str(body["redirect_url"]), "customer": customer,
                                 "meta": body.get("meta") or {}, "transaction": None,
                                 "closes_at": closes_at}
        self.by_token[token] = tx_ref
        return web.json_response({"status": "success", "message": "Hosted Link", "data": {
            "link": f"{request.app['public_url']}/v3/hosted/pay/{token}"}})

    def _public(self, tx: dict[str, Any]) -> dict[str, Any]:
        payment = self.payments[tx["tx_ref"]]
        return {
            "id": tx["id"], "tx_ref": tx["tx_ref"], "flw_ref": tx["flw_ref"],
            "device_fingerprint": "N/A", "amount": _number(payment["amount"]),
            "currency": payment["currency"], "charged_amount": _number(payment["amount"]),
            "app_fee": 0, "merchant_fee": 0, "processor_response": tx["processor_response"],
            "auth_model": "NOAUTH", "ip": "127.0.0.1", "narration": "Sandbox checkout",
            "status": tx["status"], "payment_type": "card", "created_at": tx["created_at"],
            "account_id": 17321, "amount_settled": _number(payment["amount"]),
            "meta": payment["meta"],
            "customer": {"id": 215604089, "name": payment["customer"].get("name", "Anonymous"),
                         "phone_number": "N/A", "email": payment["customer"]["email"],
                         "created_at": tx["created_at"]}}

    async def verify_by_reference(self, request: web.Request) -> web.Response:
        extra = sorted(set(request.query) - {"tx_ref"})
        if extra:
            raise FlutterwaveError(400, f"{extra[0]} is not allowed")
        if not request.query.get("tx_ref"):
            raise FlutterwaveError(400, "tx_ref is required")
        payment = self.payments.get(request.query["tx_ref"])
        if payment is None or payment["transaction"] is None:
            raise FlutterwaveError(400, NOT_FOUND)
        return web.json_response({"status": "success", "message": "Transaction fetched "
                                  "successfully", "data": self._public(payment["transaction"])})

    def _transaction(self, request: web.Request) -> dict[str, Any]:
        tx = self.transactions.get(int(request.match_info["id"]))
        if tx is None:
            raise FlutterwaveError(400, NOT_FOUND)
        return tx

    async def verify(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "message": "Transaction fetched "
                                  "successfully", "data": self._public(self._transaction(request))})

    async def refund(self, request: web.Request) -> web.Response:
        tx = self._transaction(request)
        body = await _json_body(request, REFUND_PARAMS)
        if self.state.pop("unavailable_next_refund", False):
            raise FlutterwaveError(503, "Service unavailable")
        payment = self.payments[tx["tx_ref"]]
        if tx["status"] != "successful":
            raise FlutterwaveError(400, "Only successful transactions can be refunded")
        left = payment["amount"] - tx["refunded"]
        amount = left if body.get("amount") is None else _amount(body["amount"],
                                                                  payment["currency"])
        if amount > left:
            raise FlutterwaveError(400, "Refund amount is greater than the amount left to refund")
        tx["refunded"] += amount
        refund = {"id": next(_ids), "account_id": 17321, "tx_id": tx["id"],
                  "flw_ref": f"URF_{secrets.token_hex(6)}", "wallet_id": 17803,
                  "amount_refunded": _number(amount), "status": "pending",
                  "destination": "payment_source", "meta": {"source": "availablebalance"},
                  "created_at": _now(), "comments": body.get("comments") or ""}
        self.refunds[refund["id"]] = refund
        fails = self.state["fail_next_refund"]
        self.state["fail_next_refund"] = False
        asyncio.get_running_loop().call_later(self.webhooks.delay, self._settle_refund, refund,
                                              amount, fails)
        return answer_or_drop(request, self.state, web.json_response(
            {"status": "success", "message": "Transaction refund initiated", "data": refund}))

    async def list_refunds(self, request: web.Request) -> web.Response:
        unknown = sorted(set(request.query) - LIST_REFUND_PARAMS)
        if unknown:
            raise FlutterwaveError(400, f"{unknown[0]} is not allowed")
        query = request.query
        tx_id = query.get("id")
        if tx_id is not None and not tx_id.isdigit():
            raise FlutterwaveError(400, "id must be a transaction id")
        found = [self._listed(r) for r in sorted(self.refunds.values(), key=lambda r: -r["id"])
                 if (tx_id is None or r["tx_id"] == int(tx_id))
                 and query.get("flw_ref") in (None, r["flw_ref"])
                 and query.get("status") in (None, r["status"])
                 and query.get("currency") in (None, self._currency_of(r))
                 and query.get("from", "") <= r["created_at"][:10]
                 and r["created_at"][:10] <= query.get("to", "9999")]
        page = int(query["page"]) if query.get("page", "").isdigit() else 1
        shown = found[(page - 1) * 20:page * 20]
        return web.json_response({"status": "success", "message": "Refunds fetched", "meta": {
            "page_info": {"total": len(found), "current_page": page,
                          "total_pages": max(1, -(-len(found) // 20)), "page_size": 20}},
            "data": shown})

    def _currency_of(self, refund: dict[str, Any]) -> str:
        return self.payments[self.transactions[refund["tx_id"]]["tx_ref"]]["currency"]

    @staticmethod
    def _listed(refund: dict[str, Any]) -> dict[str, Any]:
        # The list's words for a refund differ from the refund call's answer.
        return {"id": refund["id"], "amount_refunded": refund["amount_refunded"],
                "status": refund["status"], "flw_ref": refund["flw_ref"],
                "comment": refund["comments"], "settlement_id": "NEW", "meta": refund["meta"],
                "created_at": refund["created_at"], "account_id": refund["account_id"],
                "transaction_id": refund["tx_id"]}

    def _settle_refund(self, refund: dict[str, Any], amount: Decimal, fails: bool) -> None:
        refund["status"] = "failed" if fails else "completed"
        tx = self.transactions[refund["tx_id"]]
        if fails:
            tx["refunded"] -= amount
        self.webhooks.send({"event": "refund.completed", "data": {
            **refund, "tx_ref": tx["tx_ref"],
            "currency": self.payments[tx["tx_ref"]]["currency"]}})

    async def fetch_refund(self, request: web.Request) -> web.Response:
        refund = self.refunds.get(int(request.match_info["id"]))
        if refund is None:
            raise FlutterwaveError(404, "Refund not found")
        return web.json_response({"status": "success", "message": "Refund fetched",
                                  "data": refund})

    def _payment_for_page(self, request: web.Request) -> dict[str, Any]:
        tx_ref = self.by_token.get(request.match_info["token"])
        if tx_ref is None:
            raise web.HTTPNotFound(text="No such payment link")
        payment = self.payments[tx_ref]
        closes_at = payment["closes_at"]
        if payment["transaction"] is None and closes_at is not None and time.time() >= closes_at:
            raise web.HTTPGone(text="This payment session has expired.")
        return payment

    async def session(self, request: web.Request) -> web.Response:
        """Sandbox-only: the page's session (``closes_at``), and ``?close=1`` to end it now
        (as if its session_duration had run out: tests do not wait)."""
        payment = self.payments.get(request.match_info["tx_ref"])
        if payment is None:
            raise web.HTTPNotFound(text="No such payment")
        if request.query.get("close") == "1":
            payment["closes_at"] = time.time()
        return web.json_response({"tx_ref": payment["tx_ref"],
                                  "closes_at": payment["closes_at"]})

    async def page(self, request: web.Request) -> web.Response:
        payment = self._payment_for_page(request)
        tx = payment["transaction"]
        return web.Response(content_type="text/html", text=hosted_page(
            provider="Flutterwave", merchant_ref=payment["tx_ref"],
            amount_text=f"{payment['currency']} {payment['amount']}",
            email=payment["customer"]["email"], action=request.path,
            done=f"This payment is {tx['status']}." if tx else None,
            choices=[("pay", "Pay"), ("fail", "Decline the card"), ("cancel", "Cancel payment")]))

    async def submit(self, request: web.Request) -> web.StreamResponse:
        payment = self._payment_for_page(request)
        outcome = (await request.post()).get("outcome")
        if payment["transaction"] is not None:
            return web.Response(status=409, text="This payment is already "
                                f"{payment['transaction']['status']}.")
        query: dict[str, Any] = {"status": "cancelled", "tx_ref": payment["tx_ref"]}
        if outcome in ("pay", "fail"):
            status = "successful" if outcome == "pay" else "failed"
            tx = {"id": next(_ids), "tx_ref": payment["tx_ref"], "status": status,
                  "flw_ref": f"FLW-MOCK-{secrets.token_hex(8)}", "created_at": _now(),
                  "processor_response": "Approved" if outcome == "pay" else "Declined",
                  "refunded": Decimal(0)}
            payment["transaction"] = tx
            self.transactions[tx["id"]] = tx
            self.webhooks.send({"event": "charge.completed", "data": self._public(tx),
                                "event.type": "CARD_TRANSACTION"})
            query = {"status": status, "tx_ref": payment["tx_ref"], "transaction_id": tx["id"]}
        elif outcome != "cancel":
            return web.Response(status=400, text="Choose pay, fail or cancel.")
        target = payment["redirect_url"]
        raise web.HTTPSeeOther(f"{target}{'&' if '?' in target else '?'}{urlencode(query)}")


def create_app(*, secret: str, secret_hash: str, webhook_url: str | None,
               webhook_delay: float = 0.3, retry_base: float = 1.0) -> web.Application:
    webhooks = Webhooks(webhook_url, lambda _body: {"verif-hash": secret_hash},
                        delay=webhook_delay, retry_base=retry_base)
    flw = Flutterwave(secret, webhooks)
    app = web.Application(middlewares=[flw.middleware])
    app["public_url"] = ""
    app.router.add_post("/v3/payments", flw.create_payment)
    app.router.add_get("/v3/transactions/verify_by_reference", flw.verify_by_reference)
    app.router.add_get(r"/v3/transactions/{id:\d+}/verify", flw.verify)
    app.router.add_post(r"/v3/transactions/{id:\d+}/refund", flw.refund)
    app.router.add_get(r"/v3/refunds/{id:\d+}", flw.fetch_refund)
    app.router.add_get("/v3/refunds", flw.list_refunds)
    app.router.add_get("/v3/hosted/pay/{token}", flw.page)
    app.router.add_post("/v3/hosted/pay/{token}", flw.submit)
    control_routes(app, webhooks, flw.state)
    app.router.add_route("*", "/_sandbox/payments/{tx_ref}/session", flw.session)
    return app


def main(argv: list[str] | None = None) -> int:
    arg_parser = parser("python -m sandbox.flutterwave",
                        "A loopback Flutterwave (v3) for tests and make dev.", 8422)
    arg_parser.add_argument("--secret-hash", required=True,
                            help="the hash sent in verif-hash (FLUTTERWAVE_SECRET_HASH)")
    args = arg_parser.parse_args(argv)
    app = create_app(secret=args.secret, secret_hash=args.secret_hash,
                     webhook_url=args.webhook_url, webhook_delay=args.webhook_delay,
                     retry_base=args.webhook_retry_base)
    return serve(app, args, "flutterwave-sandbox")


if __name__ == "__main__":
    sys.exit(main())
