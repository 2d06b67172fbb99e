from flask import flash, redirect, render_template, url_for

from ..links import external_url
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
    request_password_reset(email=form.email.data, link_for=lambda token: external_url(
        "auth.reset_password", token=token))
    # The same answer whether or not the address has an account.
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
