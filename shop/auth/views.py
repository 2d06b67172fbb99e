from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..links import external_url
from ..services.accounts.users import (
    EmailTaken,
    InvalidEmail,
    WeakPassword,
    authenticate,
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
        user = register_shopper(email=form.email.data, password=form.password.data,
                                name=form.name.data,
                                login_link=external_url("auth.login"))
    except (EmailTaken, InvalidEmail) as exc:
        form.email.errors.append(f"{exc} Sign in, or reset your password, instead."
                                 if isinstance(exc, EmailTaken) else str(exc))
        return render_template("auth/register.html", form=form), 409
    except WeakPassword as exc:
        form.password.errors.append(str(exc))
        return render_template("auth/register.html", form=form), 400
    return _signed_in(sign_in(user), "Welcome! Your account is ready.", form.next.data)


@bp.post("/account/logout")
def logout():
    if LogoutForm().validate_on_submit():
        end_session()
        flash("You are signed out.", "success")
    return redirect(url_for("storefront.index"), 303)


from . import password_views  # noqa: E402,F401
