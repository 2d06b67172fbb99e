"""Who works in a store: owners re-role and remove members; a store keeps an owner.

People join by accepting an owner's e-mailed invitation (services/accounts/invites.py).

Changes that could remove the last owner lock every membership of the store (primary-key
order) before counting, so two owners demoting each other at once cannot both succeed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...models import Role, StoreMembership, User
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_transaction


class LastOwner(DomainError):
    code = "last_owner"


class MemberNotFound(NotFound):
    code = "member_not_found"


def members(store_id: int) -> list[StoreMembership]:
    return list(db.session.scalars(
        select(StoreMembership).join(User).where(StoreMembership.store_id == store_id)
        .order_by(StoreMembership.role, User.email)))


def change_role(*, store_id: int, membership_id: int, role: Role, actor: str) -> None:
    """Raises ``MemberNotFound`` or ``LastOwner`` (demoting the only owner)."""
    with write_transaction() as session:
        memberships = _lock_members(session, store_id)
        membership = _find(memberships, membership_id)
        previous = Role(membership.role)
        if previous == role:
            return
        if previous == Role.OWNER:
            _keep_an_owner(memberships, membership)
        membership.role = role
        _audit(session, membership, "staff_role_changed", previous, role, actor,
               membership.user.email)


def remove_member(*, store_id: int, membership_id: int, actor: str) -> str:
    """Remove a member (their account stays); returns their e-mail. Raises ``LastOwner``."""
    with write_transaction() as session:
        memberships = _lock_members(session, store_id)
        membership = _find(memberships, membership_id)
        if membership.role == Role.OWNER:
            _keep_an_owner(memberships, membership)
        email = membership.user.email
        _audit(session, membership, "staff_removed", membership.role, None, actor, email)
        session.delete(membership)
    return email


def _lock_members(session: Session, store_id: int) -> list[StoreMembership]:
    query = (select(StoreMembership).where(StoreMembership.store_id == store_id)
             .order_by(StoreMembership.id))
    return list(session.scalars(lock_rows(query)))


def _find(memberships: list[StoreMembership], membership_id: int) -> StoreMembership:
    for membership in memberships:
        if membership.id == membership_id:
            return membership
    raise MemberNotFound("That person is not a member of this store.")


def _keep_an_owner(memberships: list[StoreMembership], leaving: StoreMembership) -> None:
    if not any(m.role == Role.OWNER and m.id != leaving.id for m in memberships):
        raise LastOwner("A store needs at least one owner. Make someone else an owner first.")


def _audit(session: Session, membership: StoreMembership, action: str, before: str | None,
           after: str | None, actor: str, email: str) -> None:
    record_change(session, store_id=membership.store_id, entity_type="store_membership",
                  entity_id=membership.id, action=action, from_state=before, to_state=after,
                  actor=actor, reason=email)
