"""A loopback Paystack: ``python -m sandbox.paystack --port 8421 --secret sk_test_...
--webhook-url http://127.0.0.1:5000/webhooks/paystack``.

The endpoints the shop calls, in Paystack's request and response shapes (api.paystack.co):
``POST /transaction/initialize``, ``GET /transaction/verify/:reference``, ``POST /refund``,
``GET /refund/:id``, ``GET /refund`` (list, ``?transaction=`` id or reference); errors as
``{"status": false, "message", "type", "code"}``. Strict: an unknown or missing parameter, or
a wrong key, is refused. ``/checkout/:access_code`` is the
hosted page; webhooks are signed with HMAC-SHA512 of the body keyed by the secret key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import secrets
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from .hosted import Webhooks, answer_or_drop, control_routes, hosted_page, parser, serve

CURRENCIES = {"NGN", "GHS", "ZAR", "KES", "USD"}
INITIALIZE_PARAMS = {"email", "amount", "currency", "reference", "callback_url", "plan",
                     "invoice_limit", "metadata", "channels", "split_code", "subaccount",
                     "transaction_charge", "bearer", "label"}
REFUND_PARAMS = {"transaction", "amount", "currency", "customer_note", "merchant_note"}
LIST_REFUND_PARAMS = {"transaction", "currency", "from", "to", "perPage", "page"}
_REFERENCE = re.compile(r"^[A-Za-z0-9.=-]{1,100}$")
_ids = itertools.count(4_099_260_516)


class PaystackError(Exception):
    def __init__(self, status: int, message: str, code: str = "invalid_params",
                 type_: str = "validation_error"):
        super().__init__(message)
        self.response = web.json_response(
            {"status": False, "message": message, "meta": {"nextStep": "Fix the request"},
             "type": type_, "code": code}, status=status)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ok(message: str, data: dict[str, Any]) -> web.Response:
    return web.json_response({"status": True, "message": message, "data": data})


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() \
            or int(value) <= 0:
        raise PaystackError(400, f"Invalid {name.capitalize()} Sent", code="invalid_" + name)
    return int(value)


async def _json_body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise PaystackError(400, "Invalid JSON body") from exc
    if not isinstance(body, dict):
        raise PaystackError(400, "Invalid JSON body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise PaystackError(400, f"Unknown parameter: {unknown[0]}", code="unknown_parameter")
    return body


class Paystack:
    def __init__(self, secret: str, webhooks: Webhooks):
        self.secret = secret
        self.webhooks = webhooks
        self.transactions: dict[str, dict[str, Any]] = {}  # by reference
        self.by_code: dict[str, str] = {}  # access_code -> reference
        self.refunds: dict[int, dict[str, Any]] = {}
        self.state: dict[str, Any] = {"fail_next_refund": False}

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            if not request.path.startswith(("/checkout/", "/_sandbox/")):
                self._authorize(request)
                # Only the refund list takes a query (its own check says which).
                if request.query and (request.method, request.path) != ("GET", "/refund"):
                    raise PaystackError(400, f"Unknown parameter: {sorted(request.query)[0]}",
                                        code="unknown_parameter")
            return await handler(request)
        except PaystackError as exc:
            return exc.response
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            if request.path.startswith("/checkout/"):
                raise
            return PaystackError(exc.status, f"Route not found: {request.method} "
                                 f"{request.path}", code="not_found").response

    def _authorize(self, request: web.Request) -> None:
        auth = request.headers.get("Authorization")
        if not auth:
            raise PaystackError(401, "No Authorization header was found", code="unauthorized",
                                type_="api_error")
        scheme, _, key = auth.partition(" ")
        if scheme != "Bearer" or not hmac.compare_digest(key.encode(), self.secret.encode()):
            raise PaystackError(401, "Invalid key", code="unauthorized", type_="api_error")

    async def initialize(self, request: web.Request) -> web.Response:
        body = await _json_body(request, INITIALIZE_PARAMS)
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise PaystackError(400, "Invalid Email Address Passed", code="invalid_email")
        amount = _whole(body.get("amount"), "amount")
        currency = str(body.get("currency") or "NGN")
        if currency not in CURRENCIES:
            raise PaystackError(400, "Currency not supported by merchant",
                                code="unsupported_currency")
        reference = body.get("reference") or secrets.token_hex(8)
        if not isinstance(reference, str) or not _REFERENCE.match(reference):
            raise PaystackError(400, "Invalid transaction reference", code="invalid_reference")
        if reference in self.transactions:
            raise PaystackError(400, "Duplicate Transaction Reference",
                                code="duplicate_reference")
        callback = body.get("callback_url")
        if callback is not None and urlsplit(str(callback)).scheme not in ("http", "https"):
            raise PaystackError(400, "Invalid callback_url", code="invalid_callback_url")
        metadata = body.get("metadata") or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError as exc:
                raise PaystackError(400, "Invalid metadata") from exc
        if not isinstance(metadata, dict):
            raise PaystackError(400, "Invalid metadata")
        code = secrets.token_hex(8)
        self.transactions[reference] = {
            "id": next(_ids), "domain": "test", "status": "abandoned", "reference": reference,
            "amount": amount, "currency": currency, "email": email, "callback_url": callback,
            "metadata": metadata, "gateway_response": "The transaction was not completed",
            "paid_at": None, "created_at": _now(), "channel": "card", "access_code": code,
            "refunded": 0}
        self.by_code[code] = reference
        return _ok("Authorization URL created", {
            "authorization_url": f"{request.app['public_url']}/checkout/{code}",
            "access_code": code, "reference": reference})

    def _public(self, tx: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": tx["id"], "domain": tx["domain"], "status": tx["status"],
            "reference": tx["reference"], "amount": tx["amount"], "currency": tx["currency"],
            "gateway_response": tx["gateway_response"], "paid_at": tx["paid_at"],
            "created_at": tx["created_at"], "channel": tx["channel"],
            "metadata": tx["metadata"], "fees": None, "message": None,
            "customer": {"email": tx["email"], "customer_code": "CUS_sandbox"},
            "authorization": {"card_type": "visa", "last4": "4081", "reusable": True}
            if tx["status"] == "success" else {}}

    async def verify(self, request: web.Request) -> web.Response:
        if request.query:
            raise PaystackError(400, f"Unknown parameter: {next(iter(request.query))}",
                                code="unknown_parameter")
        tx = self.transactions.get(request.match_info["reference"])
        if tx is None:
            raise PaystackError(400, "Transaction reference not found",
                                code="transaction_not_found")
        return _ok("Verification successful", self._public(tx))

    def _find(self, key: Any) -> dict[str, Any] | None:
        key = str(key)
        return self.transactions.get(key) or next(
            (tx for tx in self.transactions.values() if str(tx["id"]) == key), None)

    async def refund(self, request: web.Request) -> web.Response:
        body = await _json_body(request, REFUND_PARAMS)
        if self.state.pop("unavailable_next_refund", False):
            raise PaystackError(503, "Service unavailable", code="service_unavailable",
                                type_="api_error")
        if not body.get("transaction"):
            raise PaystackError(400, "Transaction is required", code="missing_params")
        tx = self._find(body["transaction"])
        if tx is None:
            raise PaystackError(404, "Transaction not found", code="transaction_not_found")
        if tx["status"] != "success":
            raise PaystackError(400, "Cannot refund a transaction that has not succeeded",
                                code="transaction_not_refundable")
        if body.get("currency") not in (None, tx["currency"]):
            raise PaystackError(400, "Currency does not match the transaction's",
                                code="invalid_currency")
        left = tx["amount"] - tx["refunded"]
        amount = left if body.get("amount") is None else _whole(body["amount"], "amount")
        if amount > left:
            raise PaystackError(400, "Refund amount cannot be more than the unrefunded balance",
                                code="invalid_amount")
        tx["refunded"] += amount
        refund = {
            "id": next(_ids), "integration": 412829, "domain": "test",
            "transaction": {"id": tx["id"], "reference": tx["reference"],
                            "amount": tx["amount"], "currency": tx["currency"]},
            "dispute": None, "amount": amount, "deducted_amount": amount,
            "currency": tx["currency"], "channel": "card", "fully_deducted": True,
            "refunded_by": "sandbox@example.test", "status": "pending",
            "merchant_note": body.get("merchant_note") or "",
            "customer_note": body.get("customer_note") or "",
            "createdAt": _now(), "updatedAt": _now()}
        self.refunds[refund["id"]] = refund
        fails = self.state["fail_next_refund"]
        self.state["fail_next_refund"] = False
        asyncio.get_running_loop().call_later(self.webhooks.delay, self._settle_refund, refund,
                                              fails)
        return answer_or_drop(request, self.state,
                              _ok("Refund has been queued for processing", refund))

    async def list_refunds(self, request: web.Request) -> web.Response:
        unknown = sorted(set(request.query) - LIST_REFUND_PARAMS)
        if unknown:
            raise PaystackError(400, f"Unknown parameter: {unknown[0]}",
                                code="unknown_parameter")
        per_page = _whole(request.query.get("perPage", "50"), "perPage")
        page = _whole(request.query.get("page", "1"), "page")
        wanted = request.query.get("transaction")
        tx = self._find(wanted) if wanted else None
        if wanted and tx is None:
            raise PaystackError(404, "Transaction not found", code="transaction_not_found")
        found = [self._listed(r) for r in sorted(self.refunds.values(), key=lambda r: -r["id"])
                 if (tx is None or r["transaction"]["id"] == tx["id"])
                 and request.query.get("currency") in (None, r["currency"])
                 and request.query.get("from", "") <= r["createdAt"][:10]
                 and r["createdAt"][:10] <= request.query.get("to", "9999")]
        shown = found[(page - 1) * per_page:page * per_page]
        return web.json_response({"status": True, "message": "Refunds retrieved", "data": shown,
                                  "meta": {"total": len(found), "skipped": (page - 1) * per_page,
                                           "perPage": per_page, "page": page,
                                           "pageCount": max(1, -(-len(found) // per_page))}})

    @staticmethod
    def _listed(refund: dict[str, Any]) -> dict[str, Any]:
        # The list names the refund's transaction by id, where a created refund embeds it.
        return {**refund, "transaction": refund["transaction"]["id"]}

    def _settle_refund(self, refund: dict[str, Any], fails: bool) -> None:
        refund["status"] = "failed" if fails else "processed"
        refund["updatedAt"] = _now()
        if fails:
            self.transactions[refund["transaction"]["reference"]]["refunded"] -= refund["amount"]
        self.webhooks.send({"event": f"refund.{refund['status']}", "data": {
            "status": refund["status"], "transaction_reference": refund["transaction"]["reference"],
            "refund_reference": f"RFD_{refund['id']}", "amount": str(refund["amount"]),
            "currency": refund["currency"], "processor": "sandbox",
            "customer": {"email": "sandbox@example.test"}, "integration": 412829,
            "domain": "test"}})

    async def fetch_refund(self, request: web.Request) -> web.Response:
        refund = self.refunds.get(int(request.match_info["id"]))
        if refund is None:
            raise PaystackError(404, "Refund not found", code="not_found")
        return _ok("Refund retrieved", refund)

    def _tx_for_page(self, request: web.Request) -> dict[str, Any]:
        reference = self.by_code.get(request.match_info["code"])
        if reference is None:
            raise web.HTTPNotFound(text="No such checkout")
        return self.transactions[reference]

    async def page(self, request: web.Request) -> web.Response:
        tx = self._tx_for_page(request)
        done = None if tx["status"] == "abandoned" else f"This payment is {tx['status']}."
        return web.Response(content_type="text/html", text=hosted_page(
            provider="Paystack", merchant_ref=tx["reference"],
            amount_text=f"{tx['currency']} {Decimal(tx['amount']).scaleb(-2):.2f}",
            email=tx["email"],
            action=request.path, done=done,
            choices=[("pay", "Pay"), ("fail", "Decline the card"), ("abandon", "Cancel payment")]))

    async def submit(self, request: web.Request) -> web.StreamResponse:
        tx = self._tx_for_page(request)
        outcome = (await request.post()).get("outcome")
        if tx["status"] != "abandoned":
            return web.Response(status=409, text=f"This payment is already {tx['status']}.")
        if outcome == "pay":
            tx.update(status="success", gateway_response="Successful", paid_at=_now())
            self.webhooks.send({"event": "charge.success", "data": self._public(tx)})
        elif outcome == "fail":
            tx.update(status="failed", gateway_response="Declined")
        elif outcome != "abandon":
            return web.Response(status=400, text="Choose pay, fail or abandon.")
        target = tx["callback_url"]
        if outcome == "abandon" and tx["metadata"].get("cancel_action"):
            target = tx["metadata"]["cancel_action"]
        elif target:
            query = urlencode({"trxref": tx["reference"], "reference": tx["reference"]})
            target = f"{target}{'&' if '?' in target else '?'}{query}"
        if not target:
            return web.Response(text=f"Payment {tx['status']}.")
        raise web.HTTPSeeOther(target)


def create_app(*, secret: str, webhook_url: str | None, webhook_delay: float = 0.3,
               retry_base: float = 1.0) -> web.Application:
    webhooks = Webhooks(webhook_url, lambda body: {"x-paystack-signature": hmac.new(
        secret.encode(), body, hashlib.sha512).hexdigest()},
        delay=webhook_delay, retry_base=retry_base)
    paystack = Paystack(secret, webhooks)
    app = web.Application(middlewares=[paystack.middleware])
    app["public_url"] = ""
    app.router.add_post("/transaction/initialize", paystack.initialize)
    app.router.add_get("/transaction/verify/{reference}", paystack.verify)
    app.router.add_post("/refund", paystack.refund)
    app.router.add_get(r"/refund/{id:\d+}", paystack.fetch_refund)
    app.router.add_get("/refund", paystack.list_refunds)
    app.router.add_get("/checkout/{code}", paystack.page)
    app.router.add_post("/checkout/{code}", paystack.submit)
    control_routes(app, webhooks, paystack.state)
    return app


def main(argv: list[str] | None = None) -> int:
    args = parser("python -m sandbox.paystack", "A loopback Paystack for tests and make dev.",
                  8421).parse_args(argv)
    app = create_app(secret=args.secret, webhook_url=args.webhook_url,
                     webhook_delay=args.webhook_delay, retry_base=args.webhook_retry_base)
    return serve(app, args, "paystack-sandbox")


if __name__ == "__main__":
    sys.exit(main())
