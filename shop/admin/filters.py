"""Template filters for the admin pages."""

from datetime import datetime

from ..services.payments.methods import LABELS
from . import bp


@bp.app_template_filter("admin_dt")
def admin_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


@bp.app_template_filter("provider_label")
def provider_label(provider: str) -> str:
    """Who an attempt is with: "Stripe" for both card methods, else the method's name."""
    return "Stripe" if provider == "stripe" else LABELS.get(provider, provider)
