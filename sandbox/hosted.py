"""What the Paystack and Flutterwave sandboxes share: the CLI, webhook delivery with a log that
tests can replay, the hosted payment page and the test-control routes under ``/_sandbox/``.

Each sandbox is an aiohttp app started as ``python -m sandbox.paystack --port N
--webhook-url URL --secret KEY`` (``sandbox.flutterwave`` also takes ``--secret-hash``).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import ipaddress
import json
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

log = logging.getLogger("provider_sandbox")

Signer = Callable[[bytes], dict[str, str]]


class Webhooks:
    """Signed deliveries to one URL, each kept so a test can read or resend it."""

    def __init__(self, url: str | None, signer: Signer, *, delay: float, retry_base: float,
                 tries: int = 3):
        self.url = url
        self.signer = signer
        self.delay = delay
        self.retry_base = retry_base
        self.tries = tries
        self.deliveries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task] = set()

    def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        entry = {"n": len(self.deliveries), "event": payload.get("event"), "url": self.url,
                 "body": body.decode(), "statuses": []}
        self.deliveries.append(entry)
        if self.url:
            task = asyncio.get_running_loop().create_task(self._deliver(entry, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, entry: dict[str, Any], body: bytes) -> None:
        await asyncio.sleep(self.delay)
        wait = self.retry_base
        for attempt in range(self.tries):
            if attempt:
                await asyncio.sleep(wait)
                wait *= 2
            status = await self.post(entry["url"], body)
            entry["statuses"].append(status)
            if 200 <= status < 300:
                return

    async def post(self, url: str, body: bytes) -> int:
        """One delivery of ``body``, signed now; the answer's status (0: unreachable)."""
        headers = {"Content-Type": "application/json", **self.signer(body)}
        try:
            async with ClientSession(timeout=ClientTimeout(total=10)) as session, \
                    session.post(url, data=body, headers=headers) as response:
                return response.status
        except (ClientError, TimeoutError) as exc:
            log.warning("webhook to %s failed: %r", url, exc)
            return 0


def control_routes(app: web.Application, webhooks: Webhooks, state: dict[str, Any]) -> None:
    """Sandbox-only routes for tests: list and resend deliveries, make the next refund fail,
    lose its answer or not be reached, and point later deliveries at another URL (one sandbox
    serves many tests)."""

    async def list_deliveries(_request: web.Request) -> web.Response:
        return web.json_response(webhooks.deliveries)

    async def resend(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if not 0 <= n < len(webhooks.deliveries) or not webhooks.deliveries[n]["url"]:
            return web.json_response({"error": "no such delivery"}, status=404)
        entry = webhooks.deliveries[n]
        status = await webhooks.post(entry["url"], entry["body"].encode())
        entry["statuses"].append(status)
        return web.json_response({"n": n, "status": status})

    async def fail_next_refund(_request: web.Request) -> web.Response:
        state["fail_next_refund"] = True
        return web.json_response({"fail_next_refund": True})

    async def lose_next_answer(_request: web.Request) -> web.Response:
        # The next refund is made, but the connection drops before its answer is sent (a
        # timeout or a reset on the way back): the caller cannot know whether it happened.
        state["lose_next_refund_answer"] = True
        return web.json_response({"lose_next_refund_answer": True})

    async def unavailable_next(_request: web.Request) -> web.Response:
        # The next refund call is answered 503 and nothing is refunded.
        state["unavailable_next_refund"] = True
        return web.json_response({"unavailable_next_refund": True})

    async def set_webhook_url(request: web.Request) -> web.Response:
        url = (await request.json()).get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            return web.json_response({"error": "url must be http(s) or null"}, status=400)
        webhooks.url = url
        return web.json_response({"url": url})

    app.router.add_get("/_sandbox/webhooks", list_deliveries)
    app.router.add_post("/_sandbox/webhook-url", set_webhook_url)
    app.router.add_post(r"/_sandbox/webhooks/{n:\d+}/resend", resend)
    app.router.add_post("/_sandbox/refunds/fail-next", fail_next_refund)
    app.router.add_post("/_sandbox/refunds/lose-next-answer", lose_next_answer)
    app.router.add_post("/_sandbox/refunds/unavailable-next", unavailable_next)


def answer_or_drop(request: web.Request, state: dict[str, Any],
                   response: web.Response) -> web.Response:
    """``response``, or (once, after ``lose-next-answer``) a dropped connection instead."""
    if not state.pop("lose_next_refund_answer", False):
        return response
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError  # aiohttp ends the handler without writing an answer


def hosted_page(*, provider: str, merchant_ref: str, amount_text: str, email: str,
                action: str, choices: list[tuple[str, str]], done: str | None = None) -> str:
    """The page where a tester pays, fails or abandons: a plain, accessible HTML form."""
    esc = html.escape
    if done:
        body = f'<p role="status">{esc(done)}</p>'
    else:
        buttons = "\n".join(
            f'<button type="submit" name="outcome" value="{esc(value)}">{esc(label)}</button>'
            for value, label in choices)
        body = (f'<form method="post" action="{esc(action)}">\n<fieldset>\n'
                f"<legend>Choose how this test payment ends</legend>\n{buttons}\n"
                "</fieldset>\n</form>")
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(provider)} sandbox checkout</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111}}
button{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem}}
fieldset{{border:1px solid #555;padding:1rem}}</style></head>
<body><main>
<h1>{esc(provider)} sandbox checkout</h1>
<dl><dt>Amount</dt><dd>{esc(amount_text)}</dd><dt>Reference</dt><dd>{esc(merchant_ref)}</dd>
<dt>Customer</dt><dd>{esc(email)}</dd></dl>
{body}
</main></body></html>"""


def parser(prog: str, description: str, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--webhook-url", help="the shop's webhook endpoint")
    parser.add_argument("--secret", required=True, help="the secret key the sandbox accepts")
    parser.add_argument("--webhook-delay", type=float, default=0.3, metavar="SECONDS",
                        help="wait before delivering each event (default 0.3)")
    parser.add_argument("--webhook-retry-base", type=float, default=1.0, metavar="SECONDS",
                        help="first retry delay after a failed delivery; doubles each time")
    parser.add_argument("--public-url", help="address that links point at (default: the "
                        "listening address)")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser


def serve(app: web.Application, args: argparse.Namespace, name: str) -> int:
    """Listen on loopback only (the sandbox takes a well-known key) and say when ready."""
    try:
        loopback = args.host == "localhost" or ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"{name}: only listens on loopback")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1" if args.host == "localhost" else args.host, args.port))
    port = sock.getsockname()[1]
    app["public_url"] = (args.public_url or f"http://127.0.0.1:{port}").rstrip("/")

    def ready(_banner: str) -> None:
        print(f"{name} ready on http://127.0.0.1:{port}", flush=True)

    web.run_app(app, sock=sock, print=ready, shutdown_timeout=2,
                access_log=None if args.quiet else logging.getLogger("aiohttp.access"))
    return 0
