"""Owners manage who works in the store."""

from flask import flash, redirect, render_template, url_for

from ..models import Role
from ..services.accounts import staff as team
from ..services.accounts.users import InvalidEmail
from . import bp
from .access import admin, owner_only
from .forms import ActionForm
from .forms.staff import AddMemberForm, RoleForm


def staff_page(form: AddMemberForm | None = None, status: int = 200, added=None,
               error: str | None = None):
    return render_template(
        "admin/staff.html", members=team.members(admin().store.id), added=added, error=error,
        form=form or AddMemberForm(formdata=None), role_form=RoleForm(formdata=None),
        action_form=ActionForm(formdata=None)), status


def _back(message: str):
    flash(message, "success")
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
        added = team.add_member(store_id=admin().store.id, email=form.email.data,
                                role=Role(form.role.data), actor=admin().actor)
    except (InvalidEmail, team.AlreadyMember) as exc:
        form.email.errors.append(str(exc))
        return staff_page(form, 400)
    # Rendered, not redirected: a temporary password is shown on this one response only.
    return staff_page(added=added)


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
