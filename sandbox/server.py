"""The sandbox's aiohttp application: localstripe's routes plus our overrides and middlewares."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
from pathlib import Path

from aiohttp import web
from localstripe import server as ls_server
from localstripe.errors import UserError
from localstripe.resources import store
from localstripe.server import get_post_data, json_response

from . import (
    checkout,
    checkout_page,
    customers,
    disputes,
    events,
    methods,
    patches,
    payments,
    persist,
    refunds,
    setups,
)
from .errors import StripeError
from .events import dispatcher
from .gate import contract_gate
from .idempotency import IdempotencyStore

log = logging.getLogger("stripe_sandbox")

# The Stripe.js stand-in: parts of one script, served joined in name order (stripe_js/1-...).
JS_DIR = Path(__file__).with_name("stripe_js")

# Endpoints Stripe.js calls from the browser with the publishable key in the request.
_PUBLISHABLE_POST = re.compile(
    r"^/v1/(tokens|sources|payment_methods|payment_intents/[^/]+/(confirm|_authenticate)"
    r"|setup_intents/[^/]+/(confirm|cancel|_authenticate)|_elements/customer_session)$")
_PUBLISHABLE_GET = re.compile(r"^/v1/(payment|setup)_intents/[^/]+$")
_NO_AUTH_PREFIXES = ("/js.stripe.com/", "/_config/", checkout.PAGE_PREFIX)


def _unexpected(request: web.Request, exc: BaseException) -> web.Response:
    if isinstance(exc, UserError):
        return exc.to_response()
    if isinstance(exc, web.HTTPException):
        message = exc.reason
        if exc.status == 404:
            message = f"Unrecognized request URL ({request.method}: {request.path})."
        elif exc.status == 405:
            message = f"Unrecognized request method ({request.method}: {request.path})."
        return json_response({"error": {"type": "invalid_request_error", "message": message}},
                             status=exc.status)
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return json_response({"error": {"type": "api_error",
                                    "message": f"Stripe sandbox bug: {exc!r}"}}, status=500)


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    request_id = "req_" + secrets.token_hex(7)
    request["request_id"] = request_id
    token = patches.CURRENT_REQUEST.set((request_id, request.headers.get("Idempotency-Key")))
    try:
        if request.method == "OPTIONS":  # CORS preflight; headers added by on_response_prepare
            response = web.Response(status=204)
        else:
            response = await handler(request)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        response = _unexpected(request, exc)
    finally:
        patches.CURRENT_REQUEST.reset(token)
    response.headers["Request-Id"] = request_id
    return response


class RequestLog:
    """Sandbox-only: every API request with its answer, so tests can count calls to Stripe."""

    def __init__(self, limit: int = 10_000) -> None:
        self.entries: list[dict] = []
        self.limit = limit

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        if request.path.startswith("/v1/"):
            call = request.get("call") or {}
            self.entries.append({"method": request.method, "path": request.path,
                                 "idempotency_key": request.headers.get("Idempotency-Key"),
                                 "stripe_version": request.headers.get("Stripe-Version"),
                                 "route": call.get("route"), "contract": call.get("contract"),
                                 "params": call.get("params"), "status": response.status})
            del self.entries[:-self.limit]
        return response

    async def list(self, request: web.Request) -> web.Response:
        """``GET /_config/requests?method=POST&path=/v1/...``, oldest first."""
        method, path = request.query.get("method"), request.query.get("path")
        data = [e for e in self.entries
                if method in (None, e["method"]) and path in (None, e["path"])]
        return json_response({"object": "list", "data": data})


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    """Turns errors into responses inside the idempotency layer, so that they are replayed."""
    try:
        return await handler(request)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return _unexpected(request, exc)


def _header_key(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer":
        return value.strip() or None
    if scheme == "Basic":
        try:
            return base64.b64decode(value).decode("utf-8").split(":")[0] or None
        except ValueError:
            return None
    return None


@web.middleware
async def auth(request: web.Request, handler) -> web.StreamResponse:
    if request.path.startswith(_NO_AUTH_PREFIXES):
        request["auth"] = None
        return await handler(request)
    key = _header_key(request)
    if request.method == "POST":
        pk_allowed = bool(_PUBLISHABLE_POST.match(request.path))
        data = await get_post_data(request, remove_auth=False) or {}
    else:
        pk_allowed = request.method == "GET" and bool(_PUBLISHABLE_GET.match(request.path))
        data = request.query
    if key is None and isinstance(data.get("key"), str):
        key = data["key"]
    if not key or len(key) <= 5 or not key.startswith(("sk_", "rk_", "pk_")):
        raise StripeError(401, "invalid_request_error",
                          "You did not provide an API key. Provide your secret key in the "
                          "Authorization header (Bearer auth), or Stripe.js's publishable key.")
    if key.startswith("pk_") and not pk_allowed:
        raise StripeError(401, "invalid_request_error",
                          "This API call cannot be made with a publishable API key. Please use "
                          "a secret API key.")
    request["auth"] = "publishable" if key.startswith("pk_") else "secret"
    return await handler(request)


async def stripe_js(_request: web.Request) -> web.Response:
    # Read on every request so that edits show up on reload without restarting `make dev`.
    body = b"".join(part.read_bytes() for part in sorted(JS_DIR.glob("*.js")))
    return web.Response(body=body, content_type="application/javascript",
                        charset="utf-8", headers={"Cache-Control": "no-cache"})


def create_app(*, webhook_url: str | None = None, webhook_secret: str | None = None,
               webhook_delay: float = 0.5, retry_base: float = 1.0,
               webhook_api_version: str | None = None,
               store_path: str | None = None) -> web.Application:
    patches.apply(dispatcher.schedule)
    refunds.apply_patches()
    disputes.apply_patches()
    dispatcher.configure(delay=webhook_delay, retry_base=retry_base)
    if webhook_url:
        if not webhook_secret:
            raise ValueError("a webhook URL needs a webhook secret")
        events.register_endpoint("cli", webhook_url, webhook_secret, None,
                                 webhook_api_version)

    idempotency = IdempotencyStore()
    requests_log = RequestLog()

    async def flush_data(_request: web.Request) -> web.Response:
        store.clear()
        idempotency.clear()
        requests_log.entries.clear()
        dispatcher.reset()
        return web.Response()

    middlewares = [request_context, requests_log.middleware, auth, contract_gate,
                   idempotency.middleware, errors]
    if store_path:
        persist.load(Path(store_path))
        middlewares.insert(1, persist.middleware(Path(store_path)))
    app = web.Application(middlewares=middlewares)
    async def forget_idempotency_keys(_request: web.Request) -> web.Response:
        """Sandbox-only: as if Stripe's 24-hour idempotency window had passed for every key."""
        idempotency.clear()
        return web.Response()

    app.on_response_prepare.append(ls_server.add_cors_headers)
    app.on_cleanup.append(dispatcher.on_cleanup)

    overrides = {(method, path): handler for method, path, handler in [
        *payments.ROUTES, *methods.ROUTES, *customers.ROUTES, *setups.ROUTES,
        *refunds.ROUTES, *disputes.ROUTES, *checkout.ROUTES, *checkout_page.ROUTES,
        *events.ROUTES,
        ("GET", "/js.stripe.com/v3/", stripe_js),
        ("GET", "/js.stripe.com/v3", stripe_js),
        ("DELETE", "/_config/data", flush_data),
        ("DELETE", "/_config/idempotency_keys", forget_idempotency_keys),
        ("GET", "/_config/requests", requests_log.list),
    ]}
    # Same order as localstripe (its extra routes must precede /{id} routes); ours replace its
    # handlers in place, and routes it lacks go last.
    for route in ls_server.app.router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical
        handler = overrides.pop((route.method, path), route.handler)
        app.router.add_route(route.method, path, handler)
    for (method, path), handler in overrides.items():
        app.router.add_route(method, path, handler)
    return app
