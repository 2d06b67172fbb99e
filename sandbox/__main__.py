"""CLI: ``python -m sandbox --port 8420 [--webhook-url URL --webhook-secret S]``."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import queue
import socket
import sys
import threading
import warnings

from . import READY_PREFIX


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Stripe-compatible sandbox (built on localstripe) for tests and make dev.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8420, help="0 picks a free port")
    parser.add_argument("--webhook-url", help="endpoint that receives every event")
    parser.add_argument("--webhook-secret", help="its signing secret (whsec_...)")
    parser.add_argument("--webhook-delay", type=float, default=0.5, metavar="SECONDS",
                        help="wait before delivering each event (default 0.5)")
    parser.add_argument("--webhook-retry-base", type=float, default=1.0, metavar="SECONDS",
                        help="first retry delay after a failed delivery; doubles three times")
    parser.add_argument("--webhook-api-version", metavar="VERSION",
                        help="render events for the endpoint at this API version (default: the "
                             "version the sandbox speaks, the installed SDK's)")
    parser.add_argument("--store-path", metavar="FILE",
                        help="keep the sandbox's objects in this file across restarts "
                             "(default: none, start empty)")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class _BackgroundStderrHandler(logging.Handler):
    """Log to stderr from a daemon thread, dropping lines when it cannot keep up.

    A parent that pipes our stderr and never reads it would otherwise freeze the event loop
    once the pipe buffer fills, and every test would hang on the sandbox. The thread writes
    with os.write so that a blocked write holds no lock that interpreter exit needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lines: queue.Queue[bytes] = queue.Queue(maxsize=10_000)
        self._fd = sys.stderr.fileno()
        threading.Thread(target=self._write_forever, daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "replace")
        except Exception:
            self.handleError(record)
            return
        with contextlib.suppress(queue.Full):
            self._lines.put_nowait(line)

    def _write_forever(self) -> None:
        while True:
            data = self._lines.get()
            with contextlib.suppress(OSError):
                while data:
                    data = data[os.write(self._fd, data):]


def _configure_logging(level: int) -> None:
    handler = _BackgroundStderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    if not _is_loopback(args.host):
        parser.error("the sandbox accepts any API key, so it only listens on loopback")
    host = "127.0.0.1" if args.host == "localhost" else args.host

    _configure_logging(logging.WARNING if args.quiet else logging.INFO)
    # localstripe registers plain-function handlers, which aiohttp flags as deprecated.
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    from aiohttp import web

    from .server import create_app

    app = create_app(webhook_url=args.webhook_url, webhook_secret=args.webhook_secret,
                     webhook_delay=args.webhook_delay, retry_base=args.webhook_retry_base,
                     webhook_api_version=args.webhook_api_version, store_path=args.store_path)
    if args.store_path:
        print(f"stripe-sandbox keeps its objects in {os.path.abspath(args.store_path)} "
              "(make clean removes it)", flush=True)
    try:
        sock = _bind(host, args.port)
    except OSError as exc:
        parser.error(f"cannot listen on {host}:{args.port}: {exc}")
    port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host

    def ready(_banner: str) -> None:
        # aiohttp calls this once every socket is listening: the parent process waits for it.
        print(f"{READY_PREFIX}http://{shown_host}:{port}", flush=True)

    web.run_app(app, sock=sock, print=ready, shutdown_timeout=2,
                access_log=None if args.quiet else logging.getLogger("aiohttp.access"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
