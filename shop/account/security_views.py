"""The account's sign-in settings: change the password, sign out everywhere."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..auth.session import end_session, start_session
from ..services.accounts.sessions import active_sessions, sign_out_everywhere
from ..services.accounts.users import WeakPassword, WrongPassword, change_password
from . import bp
from .forms import ChangePasswordForm, SignOutEverywhereForm


def _security_page(form: ChangePasswordForm | None = None, status: int = 200,
                   error: str | None = None):
    return render_template(
        "account/security.html", form=form or ChangePasswordForm(formdata=None),
        everywhere=SignOutEverywhereForm(formdata=None), error=error,
        sessions=active_sessions(current_user.id)), status


@bp.get("/security")
@login_required
def security():
    return _security_page()


@bp.post("/password", endpoint="change_password")
@login_required
def change_password_view():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _security_page(form, 400)
    try:
        change_password(user_id=current_user.id, current_password=form.current.data,
                        new_password=form.password.data)
    except WrongPassword as exc:  # a 401 counts against RATELIMIT_LOGIN_PER_ACCOUNT
        form.current.errors.append(str(exc))
        return _security_page(form, 401)
    except WeakPassword as exc:
        form.password.errors.append(str(exc))
        return _security_page(form, 400)
    # Every login session ended with the change: this browser gets a fresh one.
    start_session(current_user._get_current_object())
    flash("Your password is changed, and every other browser signed in to your account "
          "is signed out.", "success")
    return redirect(url_for("account.security"), 303)


@bp.post("/sign-out-everywhere", endpoint="sign_out_everywhere")
@login_required
def sign_out_everywhere_view():
    if not SignOutEverywhereForm().validate_on_submit():
        return _security_page(status=400, error="The form expired. Please try again.")
    sign_out_everywhere(user_id=current_user.id)
    end_session()
    flash("You are signed out everywhere, on this device too.", "success")
    return redirect(url_for("auth.login"), 303)
