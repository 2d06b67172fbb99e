"""Jobs run inside an app context: the caller's (in-process) or one built once per worker."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context

P = ParamSpec("P")
R = TypeVar("R")

_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The app of an RQ worker process, configured from the environment like the web."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    return _worker_app


def app_job(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in the current app context, or in the worker's app when there is none."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return func(*args, **kwargs)
        from ..extensions import db

        with worker_app().app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


def config(name: str):
    return current_app.config[name]
