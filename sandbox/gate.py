"""The sandbox's front gate: every ``/v1`` request is held to the pinned API version's contract
before a handler sees it, and each distinct call is recorded (``STRIPE_SANDBOX_CALL_LOG``).

- A ``Stripe-Version`` other than the one the contract describes is refused: the sandbox can
  only vouch for the version whose generated types it reads.
- A path the SDK has no service for answers 404, as Stripe does.
- Sandbox-only helpers (a path segment starting with ``_``, e.g. ``/_settle``) are not Stripe's
  API and are recorded as such.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading

from aiohttp import web
from localstripe.errors import UserError
from localstripe.server import get_post_data, unflatten_data

from . import contract
from .errors import invalid

CALL_LOG_ENV = "STRIPE_SANDBOX_CALL_LOG"
_written: set[tuple] = set()
_write_lock = threading.Lock()


def _template(request: web.Request) -> str | None:
    route = request.match_info.route
    resource = getattr(route, "resource", None)
    canonical = getattr(resource, "canonical", None) if resource is not None else None
    return contract.normalize(canonical) if canonical else None


def _sandbox_only(path: str) -> bool:
    return any(part.startswith("_") for part in path.split("/"))


async def _params(request: web.Request) -> dict:
    if request.method in ("POST", "DELETE"):
        data = await get_post_data(request, remove_auth=False) or {}
        return dict(data) if hasattr(data, "keys") else {}
    return unflatten_data(request.query)


def _record(call: dict) -> None:
    path = os.environ.get(CALL_LOG_ENV)
    key = (call["method"], call["route"], tuple(call["params"]), call["refused"],
           call["client"])
    if not path or key in _written:
        return
    with _write_lock:
        _written.add(key)
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(call) + "\n")


def _version_error(request: web.Request) -> UserError | None:
    asked = request.headers.get("Stripe-Version")
    if asked is None or asked == contract.API_VERSION:
        return None
    return invalid(f"Invalid Stripe API version: {asked}. This sandbox checks requests against "
                   f"{contract.API_VERSION} only (the installed stripe SDK's generated types); "
                   "pin that version or upgrade the SDK.", param="Stripe-Version")


@web.middleware
async def contract_gate(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/v1/"):
        return await handler(request)
    template = _template(request)
    # Calls through the official SDK (the shop's, and the tests' own Stripe.js and
    # dashboard) versus hand-made probes of the sandbox itself.
    client = "sdk" if request.headers.get("User-Agent", "").startswith("Stripe/v1") \
        else "other"
    call = {"method": request.method, "route": template or request.path, "params": [],
            "contract": None, "refused": None, "client": client}
    request["call"] = call
    try:
        error = _version_error(request)
        if error:
            raise error
        if template and _sandbox_only(template):
            call["contract"] = "sandbox-only"
        else:
            endpoint = contract.endpoints().get((request.method, template or ""))
            if endpoint is None:
                raise invalid(f"Unrecognized request URL ({request.method}: {request.path}).",
                              status=404)
            call["contract"] = endpoint.params
            data = await _params(request)
            call["params"] = sorted(set(contract.param_paths(data)))
            contract.check(endpoint, data, publishable=request.get("auth") == "publishable")
    except asyncio.CancelledError:
        raise
    except UserError as exc:
        call["refused"] = exc.body["error"].get("code") or exc.body["error"]["message"]
        _record(call)
        return exc.to_response()
    response = await handler(request)
    _record(call)
    return response
