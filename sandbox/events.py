"""The event log (``GET /v1/events``) and signed, retried, per-PaymentIntent-ordered webhooks."""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from functools import partial

import aiohttp
from aiohttp import web
from localstripe import webhooks
from localstripe.resources import store
from localstripe.server import get_post_data, json_response, unflatten_data

from . import contract
from .errors import invalid, to_bool, to_int, unknown_params, unsupported_params

log = logging.getLogger("stripe_sandbox.webhooks")


@dataclass
class Delivery:
    event_id: str
    event_type: str
    endpoint: str
    url: str
    attempts: list[dict] = field(default_factory=list)
    delivered: bool | None = None  # None while attempts remain

    def export(self) -> dict:
        return {"event": self.event_id, "type": self.event_type, "endpoint": self.endpoint,
                "url": self.url, "delivered": self.delivered, "attempts": self.attempts}


def _order_key(event) -> str:
    obj = event.data.get("object") or {}
    # Charges, refunds and disputes share their PaymentIntent's queue, so a receiver sees
    # charge.succeeded, payment_intent.succeeded, charge.refunded... in the order they happened.
    if obj.get("object") in ("charge", "refund", "dispute") and obj.get("payment_intent"):
        return obj["payment_intent"]
    return obj.get("id") or event.id


class Dispatcher:
    def __init__(self) -> None:
        self.delay = 0.5
        self.retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0)
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None
        self._tails: dict[tuple[str, str], asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    def configure(self, *, delay: float, retry_base: float, retries: int = 3) -> None:
        self.delay = delay
        # Capped so that a dead endpoint stops being retried within about a minute.
        self.retry_delays = tuple(min(retry_base * 2**i, 30.0) for i in range(retries))

    def schedule(self, event) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # created outside a request: nothing can deliver it
            return
        endpoints = [(eid, hook) for eid, hook in webhooks._webhooks.items()
                     if hook.events is None or event.type in hook.events]
        event.pending_webhooks = len(endpoints)
        for eid, hook in endpoints:
            delivery = Delivery(event.id, event.type, eid, hook.url)
            self.deliveries.append(delivery)
            key = (eid, _order_key(event))
            task = loop.create_task(self._run(event, eid, hook, delivery, self._tails.get(key)))
            self._tails[key] = task
            self._tasks.add(task)
            task.add_done_callback(partial(self._finished, key))

    def _finished(self, key: tuple[str, str], task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]

    async def _run(self, event, eid: str, hook, delivery: Delivery,
                   previous: asyncio.Task | None) -> None:
        await asyncio.sleep(self.delay)
        if previous is not None:
            await asyncio.wait([previous])
        reason = "no attempts left"
        for pause in (0.0, *self.retry_delays):
            if pause:
                await asyncio.sleep(pause)
            if webhooks._webhooks.get(eid) is not hook:
                reason = "endpoint removed"
                break
            if await self._attempt(event, hook, delivery):
                delivery.delivered = True
                event.pending_webhooks = max(0, event.pending_webhooks - 1)
                return
        delivery.delivered = False
        log.warning("webhook %s %s -> %s: gave up after %d attempt(s), %s", event.id,
                    event.type, hook.url, len(delivery.attempts), reason)

    async def _attempt(self, event, hook, delivery: Delivery) -> bool:
        payload = json.dumps(render_for_endpoint(event, hook), indent=2,
                             sort_keys=True).encode("utf-8")
        timestamp = int(time.time())
        signature = hmac.new(hook.secret.encode("utf-8"), b"%d." % timestamp + payload,
                             hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": f"t={timestamp},v1={signature}",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        record: dict = {"at": timestamp, "status": None, "error": None}
        delivery.attempts.append(record)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(hook.url, data=payload, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=10)) as resp:
                record["status"] = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            record["error"] = str(exc) or type(exc).__name__
            log.info("webhook %s %s -> %s: %s", event.id, event.type, hook.url, record["error"])
            return False
        log.info("webhook %s %s -> %s: %d", event.id, event.type, hook.url, resp.status)
        return 200 <= resp.status < 300

    async def on_cleanup(self, _app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        self.deliveries.clear()


dispatcher = Dispatcher()

# PaymentIntents lost their ``charges`` list for ``latest_charge`` in this version.
LATEST_CHARGE_VERSION = "2022-11-15"


def render_for_endpoint(event, hook) -> dict:
    """The event as Stripe renders it for this endpoint: at the endpoint's API version when
    one is set on it, else at the account's default (the version the sandbox speaks)."""
    body = event._export()
    version = getattr(hook, "api_version", None) or contract.API_VERSION
    body["api_version"] = version
    obj = body["data"]["object"]
    if version < LATEST_CHARGE_VERSION and obj.get("object") == "payment_intent":
        charge = obj.pop("latest_charge", None)
        charge_id = charge["id"] if isinstance(charge, dict) else charge
        data = [{"id": charge_id, "object": "charge"}] if charge_id else []
        obj["charges"] = {"object": "list", "data": data, "has_more": False,
                          "total_count": len(data),
                          "url": f"/v1/charges?payment_intent={obj['id']}"}
    return body


def register_endpoint(endpoint_id: str, url: str, secret: str, types: list | None,
                      api_version: str | None) -> None:
    webhooks.register_webhook(endpoint_id, url, secret, types)
    webhooks._webhooks[endpoint_id].api_version = api_version


async def config_webhook(request: web.Request) -> web.Response:
    """Sandbox-only: ``url``, ``secret``, ``events[]`` and the endpoint's ``api_version``."""
    data = await get_post_data(request) or {}
    unknown_params(data, {"url", "secret", "events", "api_version"})
    url, secret, types = data.get("url"), data.get("secret"), data.get("events")
    if not isinstance(url, str) or not url.startswith("http") or not secret:
        raise invalid("A webhook endpoint needs a url (http...) and a secret.")
    if types is not None and not isinstance(types, list):
        raise invalid("events must be a list", param="events")
    register_endpoint(request.match_info["id"], url, secret, types, data.get("api_version"))
    return web.Response()

_LIST_PARAMS = {"type", "types", "created", "delivery_success", "limit", "starting_after",
                "ending_before", "expand"}


def _created_filter(created):
    if isinstance(created, str):
        value = to_int(created, "created")
        return lambda e: e.created == value
    if not isinstance(created, dict) or set(created) - {"gt", "gte", "lt", "lte"}:
        raise invalid("Invalid created: use created[gt|gte|lt|lte]", param="created")
    bounds = {op: to_int(v, f"created[{op}]") for op, v in created.items()}
    checks = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
              "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
    return lambda e: all(checks[op](e.created, v) for op, v in bounds.items())


def _filters(query: dict) -> list:
    filters = []
    if "type" in query and "types" in query:
        raise invalid("You may only specify one of these parameters: type, types.", param="type")
    patterns = query.get("types") or ([query["type"]] if "type" in query else None)
    if patterns is not None:
        patterns = patterns if isinstance(patterns, list) else [patterns]
        filters.append(lambda e: any(fnmatch.fnmatchcase(e.type, p) for p in patterns))
    if "created" in query:
        filters.append(_created_filter(query["created"]))
    if "delivery_success" in query:
        wanted = to_bool(query["delivery_success"], "delivery_success")
        filters.append(lambda e: (e.pending_webhooks == 0) == wanted)
    return filters


def _position(events: list, object_id: str, param: str) -> int:
    for i, event in enumerate(events):
        if event.id == object_id:
            return i
    raise invalid(f"No such event: '{object_id}'", code="resource_missing", param=param)


async def list_events(request: web.Request) -> web.Response:
    query = unflatten_data(request.query)
    unsupported_params(query, _LIST_PARAMS)
    filters = _filters(query)
    # The store keeps insertion order, so reversing it gives newest first even within a second.
    events = [obj for key, obj in reversed(store.items()) if key.startswith("event:")]
    limit = to_int(query.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")

    def matching(found: list) -> list:
        return [e for e in found if all(f(e) for f in filters)]

    # A cursor is any event, whether or not it matches the filters (as at Stripe).
    if query.get("starting_after"):
        rest = matching(events[_position(events, query["starting_after"],
                                         "starting_after") + 1:])
        page, has_more = rest[:limit], len(rest) > limit
    elif query.get("ending_before"):
        rest = matching(events[:_position(events, query["ending_before"], "ending_before")])
        page, has_more = rest[-limit:], len(rest) > limit
    else:
        events = matching(events)
        page, has_more = events[:limit], len(events) > limit
    return json_response({"object": "list", "url": "/v1/events", "has_more": has_more,
                          "data": [e._export() for e in page]})


async def list_deliveries(request: web.Request) -> web.Response:
    """Sandbox-only: every webhook attempt, newest first; filter with ?event= or ?endpoint=."""
    wanted_event = request.query.get("event")
    wanted_endpoint = request.query.get("endpoint")
    data = [d.export() for d in reversed(dispatcher.deliveries)
            if wanted_event in (None, d.event_id) and wanted_endpoint in (None, d.endpoint)]
    return json_response({"object": "list", "data": data})


async def delete_webhook(request: web.Request) -> web.Response:
    if webhooks._webhooks.pop(request.match_info["id"], None) is None:
        raise invalid("No such webhook endpoint", status=404, code="resource_missing")
    return web.Response()


ROUTES = [
    ("GET", "/v1/events", list_events),
    ("GET", "/_config/deliveries", list_deliveries),
    ("POST", "/_config/webhooks/{id}", config_webhook),
    ("DELETE", "/_config/webhooks/{id}", delete_webhook),
]
