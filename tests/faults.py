"""A fault-injecting HTTP proxy in front of the Stripe sandbox, on its own loopback port.

The app's gateway is pointed at ``proxy.url`` (not a mock: the stripe SDK makes real HTTP
requests). Each rule matches a method and a path pattern and, for its next ``times`` matches
(``None``: until ``clear()``), does one of:

- ``"drop"``: close the connection without forwarding or answering (the SDK raises
  APIConnectionError; Stripe did nothing);
- ``"status"``: answer ``status`` with a Stripe-shaped error without forwarding (429 rate
  limit, 500 api_error…); ``"error500"`` is ``"status"`` with 500;
- ``"hold"``: keep the request until ``clear()`` (or the rule's ``gate`` is set), then forward
  it; ``rule.held`` is released when a request is being held;
- ``"forward_then_drop"``: forward (Stripe does the work) and close without answering;
- ``"forward_then_hold"``: forward, then hold the answer until the next request arrives (the
  client has given up by then: a timeout) or ``clear()``, and close without answering.

Everything else is forwarded unchanged. Every request is recorded (``seen``, ``count``).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ACTIONS = {"drop", "status", "error500", "hold", "forward_then_drop", "forward_then_hold"}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Rule:
    method: str
    path: re.Pattern
    action: str
    status: int = 500
    times: int | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    held: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    action: str


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self._added: list[Rule] = []  # every rule, so that clear() releases spent ones too
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        parts = urlsplit(self.upstream)
        self._upstream = (parts.hostname, parts.port)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _handle(self):
                proxy._serve(self)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, method: str, path: str, action: str, *, status: int = 500,
            times: int | None = None) -> Rule:
        assert action in ACTIONS, action
        rule = Rule(method, re.compile(path), "status" if action == "error500" else action,
                    status, times)
        with self._lock:
            self.rules.append(rule)
            self._added.append(rule)
        return rule

    def clear(self) -> None:
        """Forget the rules and let every held request go on."""
        with self._lock:
            rules, self._added, self.rules = self._added, [], []
            for rule in rules:
                rule.gate.set()
            self._arrived.notify_all()

    def reset(self) -> None:
        """``clear()`` and forget the requests seen."""
        self.clear()
        with self._lock:
            self.requests.clear()

    def seen(self, method: str, path: str) -> list[Seen]:
        pattern = re.compile(path)
        with self._lock:
            return [s for s in self.requests if s.method == method and pattern.fullmatch(s.path)]

    def count(self, method: str, path: str) -> int:
        return len(self.seen(method, path))

    def close(self) -> None:
        self.reset()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _take(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.method == method and rule.path.fullmatch(path):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                return rule
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path.split("?")[0]
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._lock:
            rule = self._take(method, path)
            action = rule.action if rule else "forward"
            index = len(self.requests)
            self.requests.append(Seen(method, path, handler.headers.get("Idempotency-Key"),
                                      "error500" if action == "status" and rule.status == 500
                                      else action))
            self._arrived.notify_all()
        if action == "drop":
            handler.close_connection = True
            return
        if action == "status":
            self._reply(handler, rule.status, json.dumps({"error": {
                "type": "api_error" if rule.status >= 500 else "invalid_request_error",
                "code": "rate_limit" if rule.status == 429 else None,
                "message": f"injected {rule.status}"}}).encode(), [])
            return
        if action == "hold":
            rule.held.release()
            rule.gate.wait(30)
        status, headers, payload = self._forward(method, handler.path, handler.headers, body)
        if action == "forward_then_hold":
            with self._lock:
                self._arrived.wait_for(lambda: len(self.requests) > index + 1
                                       or rule.gate.is_set(), timeout=60)
        if action in ("forward_then_drop", "forward_then_hold"):
            handler.close_connection = True
            return
        self._reply(handler, status, payload, headers)

    def _forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(method, path, body=body or None, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: bytes,
               headers: list[tuple[str, str]]) -> None:
        handler.send_response(status)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                handler.send_header(name, value)
        if "content-type" not in names:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
