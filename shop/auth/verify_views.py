"""E-mail verification: the e-mailed link, and asking for a new one."""

from functools import partial

from flask import render_template
from flask_login import current_user

from ..after_response import defer_until_sent
from ..services.accounts.verification import (
    InvalidVerifyToken,
    request_verification,
    verify_email,
)
from ..web import current_store
from . import bp
from .forms import VerifyRequestForm


def _own_address() -> str | None:
    return current_user.email if current_user.is_authenticated else None


@bp.get("/account/verify/<token>", endpoint="verify_email")
def verify_email_view(token: str):
    try:
        verified = verify_email(token=token, store_id=current_store().id)
    except InvalidVerifyToken as exc:
        return render_template("auth/verify.html", error=str(exc), form=VerifyRequestForm(
            formdata=None, email=_own_address())), 400
    return render_template("auth/verified.html", verified=verified)


@bp.route("/account/verify", methods=["GET", "POST"], endpoint="resend_verification")
def resend_verification():
    form = VerifyRequestForm(email=_own_address())
    if not form.validate_on_submit():
        return render_template("auth/verify.html", form=form), 400 if form.errors else 200
    # Looked up and mailed after the answer is sent: the same page, in the same time,
    # whether the address has an account waiting, a verified one, or none.
    defer_until_sent(partial(request_verification, email=form.email.data))
    return render_template("auth/verify_sent.html", email=form.email.data)
