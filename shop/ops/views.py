import hmac

from flask import Response, abort, current_app, request

from ..metrics import exposition
from ..ratelimit import rate_limit_scope
from . import bp
from .checks import readiness


@bp.get("/healthz")
def healthz():
    """The process is up and answering; touches nothing else."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    # rate_limits is not a check: per-process limits are weaker, not broken
    # (docs/operations.md).
    return {"status": "ready" if ready else "unavailable", "checks": checks,
            "stripe_api_version": current_app.config["STRIPE_API_VERSION"],
            "rate_limits": rate_limit_scope()}, 200 if ready else 503


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return Response("metrics need a bearer token\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"'})
    elif current_app.config["SHOP_ENV"] == "production":
        abort(404)  # not served in production until METRICS_TOKEN is set
    body, content_type = exposition()
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})
