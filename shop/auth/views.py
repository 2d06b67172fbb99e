from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..after_response import defer_until_sent
from ..services.accounts.users import (
    InvalidEmail,
    WeakPassword,
    authenticate,
    check_registration,
    register_shopper,
)
from ..web import safe_next
from . import bp
from .forms import LoginForm, LogoutForm, RegisterForm
from .session import end_session, sign_in


def _signed_in(notes: list[str], message: str, target: str | None):
    flash(message, "success")
    for note in notes:
        flash(note, "info")
    return redirect(safe_next(target) or url_for("storefront.index"), 303)


@bp.route("/account/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("storefront.index"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    user = authenticate(email=form.email.data, password=form.password.data)
    if user is None:
        return render_template("auth/login.html", form=form,
                               error="That email and password do not match an account."), 401
    return _signed_in(sign_in(user), "You are signed in.", form.next.data)


@bp.route("/account/register", methods=["GET", "POST"])
def register():
    form = RegisterForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 400 if form.errors else 200
    try:
        check_registration(email=form.email.data, password=form.password.data)
    except (InvalidEmail, WeakPassword) as exc:
        (form.email if isinstance(exc, InvalidEmail) else form.password).errors.append(str(exc))
        return render_template("auth/register.html", form=form), 400
    # The account (or the "you already have one" e-mail) is made after the answer is sent:
    # the same page, in the same time, whether or not the address has an account.
    defer_until_sent(partial(register_shopper, email=form.email.data,
                             password=form.password.data, name=form.name.data))
    return render_template("auth/register_sent.html", email=form.email.data,
                           next=safe_next(form.next.data))


@bp.post("/account/logout")
def logout():
    if LogoutForm().validate_on_submit():
        end_session()
        flash("You are signed out.", "success")
    return redirect(url_for("storefront.index"), 303)


from . import invite_views, password_views, verify_views  # noqa: E402,F401
