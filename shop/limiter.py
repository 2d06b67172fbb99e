"""Flask-Limiter with its storage kept per application.

Flask-Limiter keeps the storage it builds in ``init_app`` on the extension object, so a
second app in the same process (a test suite, a CLI beside a server) would silently take
over the first one's storage and its "Redis is down" state. The attributes that describe
the storage live here in ``app.extensions`` instead; everything else is upstream's.
"""

from __future__ import annotations

from flask import Flask, current_app, has_app_context
from flask_limiter import Limiter

_STATE = "shop.limiter_state"


class _PerApp:
    """An attribute of the limiter whose value belongs to the current application."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, limiter, owner=None):
        if limiter is None:
            return self
        state = _app_state(limiter)
        if self.name in state:
            return state[self.name]
        return limiter.__dict__["_unbound_state"].get(self.name)

    def __set__(self, limiter, value) -> None:
        _app_state(limiter)[self.name] = value


def _app_state(limiter) -> dict:
    if has_app_context():
        states = current_app.extensions.setdefault(_STATE, {})
        return states.setdefault(id(limiter), {})
    return limiter.__dict__.setdefault("_unbound_state", {})


class ShopLimiter(Limiter):
    enabled = _PerApp()
    initialized = _PerApp()
    _storage = _PerApp()
    _limiter = _PerApp()
    _storage_dead = _PerApp()
    _fallback_storage = _PerApp()
    _fallback_limiter = _PerApp()
    _in_memory_fallback_enabled = _PerApp()
    _swallow_errors = _PerApp()
    _storage_options = _PerApp()

    def __init__(self, *args, **kwargs):
        self.__dict__["_unbound_state"] = {}
        super().__init__(*args, **kwargs)

    def init_app(self, app: Flask) -> None:
        with app.app_context():
            # Start from upstream's constructor defaults, not from another app's state.
            state = app.extensions.setdefault(_STATE, {}).setdefault(id(self), {})
            state.update({k: v for k, v in self.__dict__["_unbound_state"].items()
                          if k != "_storage_options"})
            state["_storage_options"] = dict(self.__dict__["_unbound_state"]
                                             .get("_storage_options") or {})
            super().init_app(app)
