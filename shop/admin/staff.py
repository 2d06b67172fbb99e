"""Owners manage who works in the store: invite by e-mail, change roles, remove."""

from flask import current_app, flash, redirect, render_template, url_for

from ..models import Role
from ..models.types import utcnow
from ..services.accounts import invites
from ..services.accounts import staff as team
from ..services.accounts.users import InvalidEmail
from . import bp
from .access import admin, owner_only
from .forms import ActionForm
from .forms.staff import AddMemberForm, RoleForm


def staff_page(form: AddMemberForm | None = None, status: int = 200,
               error: str | None = None):
    store_id = admin().store.id
    return render_template(
        "admin/staff.html", members=team.members(store_id), error=error,
        invites=invites.pending_invites(store_id), now=utcnow(),
        invite_hours=max(1, current_app.config["STAFF_INVITE_MAX_AGE_SECONDS"] // 3600),
        form=form or AddMemberForm(formdata=None), role_form=RoleForm(formdata=None),
        action_form=ActionForm(formdata=None)), status


def _back(message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("admin.staff"), 303)


@bp.get("/staff")
@owner_only
def staff():
    return staff_page()


@bp.post("/staff")
@owner_only
def add_staff():
    form = AddMemberForm()
    if not form.validate_on_submit():
        return staff_page(form, 400)
    try:
        invited = invites.invite_member(store_id=admin().store.id, email=form.email.data,
                                        role=Role(form.role.data), actor=admin().actor)
    except (InvalidEmail, invites.AlreadyMember) as exc:
        form.email.errors.append(str(exc))
        return staff_page(form, 400)
    if not invited.mailed:
        return _back(f"The invitation for {invited.email} is saved, but its e-mail could not "
                     "be sent. Invite them again to resend it.", "error")
    return _back(f"Invitation sent to {invited.email}. They get access as "
                 f"{invited.role.value} once they follow the link in it.")


@bp.post("/staff/invites/<int:invite_id>/revoke")
@owner_only
def revoke_staff_invite(invite_id: int):
    if not ActionForm().validate_on_submit():
        return staff_page(status=400, error="The form expired. Please try again.")
    try:
        email = invites.revoke_invite(store_id=admin().store.id, invite_id=invite_id,
                                      actor=admin().actor)
    except invites.InviteNotFound as exc:
        return staff_page(status=404, error=str(exc))
    return _back(f"The invitation for {email} is withdrawn: its link no longer works.")


@bp.post("/staff/<int:membership_id>/role")
@owner_only
def change_staff_role(membership_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        return staff_page(status=400, error="Choose a role.")
    try:
        team.change_role(store_id=admin().store.id, membership_id=membership_id,
                         role=Role(form.role.data), actor=admin().actor)
    except team.MemberNotFound as exc:
        return staff_page(status=404, error=str(exc))
    except team.LastOwner as exc:
        return staff_page(status=409, error=str(exc))
    return _back("Role changed.")


@bp.post("/staff/<int:membership_id>/remove")
@owner_only
def remove_staff(membership_id: int):
    if not ActionForm().validate_on_submit():
        return staff_page(status=400, error="The form expired. Please try again.")
    try:
        email = team.remove_member(store_id=admin().store.id, membership_id=membership_id,
                                   actor=admin().actor)
    except team.MemberNotFound as exc:
        return staff_page(status=404, error=str(exc))
    except team.LastOwner as exc:
        return staff_page(status=409, error=str(exc))
    return _back(f"{email} no longer has access to this store.")
