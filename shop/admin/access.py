"""Who may use the admin, and on which store. The one place access is decided.

Every /admin request: anonymous → the login page (with ``next=``); signed in without a
store membership → 403; otherwise the current admin store is the one kept in the session
if the user still belongs to it (checked against the memberships on every request), else
their first store. Owner-only pages add ``@owner_only``; rows reached by id go through
``in_store`` so that another store's order or product is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, g, render_template, session
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ..domain.errors import NotFound
from ..extensions import db, login_manager
from ..models import Role, Store, StoreMembership, User
from . import bp

STORE_KEY = "admin_store_id"


@dataclass(frozen=True)
class Admin:
    user: User
    store: Store
    role: Role
    stores: list[Store]  # every store the user belongs to, for the switcher

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def sees_unmatched_events(self) -> bool:
        """Stripe events that match no store are the platform's, not any store's: only
        platform admins see and replay them (store owners included, nobody else does)."""
        return self.user.is_platform_admin

    @property
    def actor(self) -> str:
        """How audit rows name this person."""
        return f"staff:{self.user.email}"


def admin() -> Admin:
    return g.admin


@bp.before_request
def load_admin():
    if not current_user.is_authenticated or not current_user.is_active:
        return login_manager.unauthorized()
    # One query, every request: a membership removed a second ago no longer counts.
    rows = db.session.execute(
        select(Store, StoreMembership.role).join(StoreMembership)
        .where(StoreMembership.user_id == current_user.id).order_by(Store.name, Store.id)).all()
    if not rows:
        abort(403, description="This area is for shop staff. Your account is not a member "
                               "of any store.")
    roles = {store.id: Role(role) for store, role in rows}
    stores = [store for store, _ in rows]
    wanted = session.get(STORE_KEY)
    store = next((s for s in stores if s.id == wanted), stores[0])
    if wanted != store.id:
        session[STORE_KEY] = store.id
    g.admin = Admin(current_user._get_current_object(), store, roles[store.id], stores)


@bp.context_processor
def inject_admin():
    return {"admin": g.get("admin"), "open_alert_count": open_alert_count}


def open_alert_count() -> int:
    """The navigation's badge: one COUNT, only on pages that draw the navigation."""
    from ..services.platform.alerts import count_open

    current = g.get("admin")
    return count_open(store_id=current.store.id) if current is not None else 0


def owner_only(view):
    """Settings and staff: owners only, a 403 for staff."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not admin().is_owner:
            abort(403, description="Only the store's owners can open this page.")
        return view(*args, **kwargs)
    return wrapper


def in_store(lookup, **kwargs):
    """``lookup(store_id=<current store>, **kwargs)``, a 404 if the row is not this store's."""
    try:
        return lookup(store_id=admin().store.id, **kwargs)
    except NotFound as exc:
        abort(404, description=str(exc))


def switch_store(store_id: int) -> Store | None:
    """Make ``store_id`` the current admin store if the user belongs to it."""
    store = next((s for s in admin().stores if s.id == store_id), None)
    if store is not None:
        session[STORE_KEY] = store.id
    return store


@bp.errorhandler(HTTPException)
def admin_error(exc: HTTPException):
    """Errors inside the admin keep the admin's layout (once we know who is asking)."""
    if g.get("admin"):
        return render_template("admin/error.html", http_error=exc), exc.code
    return render_template("error.html", error=exc), exc.code
