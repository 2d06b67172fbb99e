"""Template filters for the admin pages."""

from datetime import datetime

from . import bp


@bp.app_template_filter("admin_dt")
def admin_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"
