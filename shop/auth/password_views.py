from functools import partial

from flask import flash, redirect, render_template, url_for

from ..after_response import defer_until_sent
from ..services.accounts.passwords import (
    InvalidResetToken,
    request_password_reset,
    reset_password,
    user_for_reset_token,
)
from ..services.accounts.users import WeakPassword
from . import bp
from .forms import ForgotPasswordForm, ResetPasswordForm


@bp.route("/account/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 400 if form.errors else 200
    # Looked up and mailed after the answer is sent: the same page, in the same time,
    # whether or not the address has an account.
    defer_until_sent(partial(request_password_reset, email=form.email.data))
    return render_template("auth/forgot_sent.html", email=form.email.data)


@bp.route("/account/password/reset/<token>", methods=["GET", "POST"],
          endpoint="reset_password")
def reset_password_view(token: str):
    form = ResetPasswordForm()
    try:
        if not form.validate_on_submit():
            user_for_reset_token(token)
            return render_template("auth/reset.html", form=form, token=token), \
                400 if form.errors else 200
        reset_password(token=token, password=form.password.data)
    except InvalidResetToken as exc:
        return render_template("auth/reset.html", form=None, error=str(exc),
                               forgot=ForgotPasswordForm()), 400
    except WeakPassword as exc:
        form.password.errors.append(str(exc))
        return render_template("auth/reset.html", form=form, token=token), 400
    flash("Your password is changed. Sign in with your new password.", "success")
    return redirect(url_for("auth.login"), 303)
