"""Accepting a staff invitation from its e-mailed link."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..services.accounts.invites import (
    InvalidInvite,
    InviteForAnotherAccount,
    accept_invite,
    live_invite,
)
from ..services.accounts.users import WeakPassword, user_by_email
from . import bp
from .forms import AcceptInviteForm, JoinForm
from .session import sign_in, signed_in_user_id


def _page(status: int = 200, **context):
    return render_template("auth/invite.html", **context), status


@bp.route("/account/invite/<token>", methods=["GET", "POST"], endpoint="accept_invite")
def accept_invite_view(token: str):
    try:
        invite = live_invite(token)
    except InvalidInvite as exc:
        return _page(400, error=str(exc))
    account = user_by_email(invite.email)
    me = signed_in_user_id()
    if me is not None and (account is None or account.id != me):
        return _page(403, invite=invite, other_user=current_user.email)
    if account is None:
        return _new_account(token, invite)
    if me is None:
        return _page(invite=invite, token=token, sign_in=True)
    return _join(token, invite)


def _new_account(token: str, invite):
    form = AcceptInviteForm()
    if not form.validate_on_submit():
        return _page(400 if form.errors else 200, invite=invite, token=token, form=form)
    try:
        user = accept_invite(token=token, password=form.password.data)
    except WeakPassword as exc:
        form.password.errors.append(str(exc))
        return _page(400, invite=invite, token=token, form=form)
    except (InvalidInvite, InviteForAnotherAccount) as exc:
        return _page(400, error=str(exc))
    sign_in(user)
    return _welcome()


def _join(token: str, invite):
    form = JoinForm()
    if not form.validate_on_submit():
        return _page(400 if form.errors else 200, invite=invite, token=token, join=form)
    try:
        accept_invite(token=token, user_id=current_user.id)
    except (InvalidInvite, InviteForAnotherAccount) as exc:
        return _page(400, error=str(exc))
    return _welcome()


def _welcome():
    flash("Welcome aboard: you now have access to the store's admin.", "success")
    return redirect(url_for("admin.dashboard"), 303)
