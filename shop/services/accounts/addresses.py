"""Saved addresses of signed-in shoppers. Every lookup is scoped to the owner: another user's
address id behaves exactly like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.regions import check_region
from ...extensions import db
from ...models import Address
from ..platform.tx import write_transaction

MAX_ADDRESSES = 20
FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country")


class UnknownAddress(DomainError):
    code = "unknown_address"


class TooManyAddresses(DomainError):
    code = "too_many_addresses"


@dataclass(frozen=True)
class AddressData:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    region: str = ""  # ISO 3166-2, checked by the form against the country (domain/regions.py)

    def matches(self, address: Address) -> bool:
        return all(getattr(address, f).strip().lower() == getattr(self, f).strip().lower()
                   for f in FIELDS)


def addresses_for(user_id: int) -> list[Address]:
    """The user's addresses, the default first, then newest first."""
    return list(db.session.scalars(select(Address).where(Address.user_id == user_id)
                                   .order_by(Address.is_default.desc(), Address.id.desc())))


def address_for(*, user_id: int, address_id: int) -> Address | None:
    return db.session.scalar(select(Address).where(
        Address.id == address_id, Address.user_id == user_id))


def _owned(session: Session, user_id: int, address_id: int) -> Address:
    address = session.scalar(select(Address).where(
        Address.id == address_id, Address.user_id == user_id))
    if address is None:
        raise UnknownAddress("We could not find that address.")
    return address


def _make_default(session: Session, address: Address) -> None:
    # Clear the old default in its own statement first: the partial unique index is checked
    # per statement on PostgreSQL, so two defaults must never exist even for a moment.
    session.execute(update(Address).where(Address.user_id == address.user_id,
                                          Address.is_default.is_(True))
                    .values(is_default=False))
    session.flush()
    address.is_default = True


def _fill(address: Address, data: AddressData) -> None:
    """Raises ``InvalidRegion`` for a region that is not the country's (the forms check it
    first, with the same rule)."""
    for name in FIELDS:
        setattr(address, name, getattr(data, name).strip())
    address.region = check_region(address.country, address.region)


def remember_address(session: Session, *, user_id: int, data: AddressData,
                     strict: bool = True) -> Address | None:
    """Add ``data`` to the user's book inside the caller's transaction (checkout's "save this
    address"); an identical saved address is reused rather than duplicated. A full book
    raises ``TooManyAddresses``, or with ``strict=False`` saves nothing (checkout must not
    fail over a convenience)."""
    existing = session.scalars(select(Address).where(Address.user_id == user_id)).all()
    for address in existing:
        if data.matches(address):
            return address
    if len(existing) >= MAX_ADDRESSES:
        if not strict:
            return None
        raise TooManyAddresses(f"You can keep up to {MAX_ADDRESSES} addresses.")
    address = Address(user_id=user_id, is_default=False)
    _fill(address, data)
    session.add(address)
    session.flush()
    if not any(a.is_default for a in existing):
        _make_default(session, address)
    return address


def add_address(*, user_id: int, data: AddressData, make_default: bool = False) -> Address:
    """Save a new address; the first one becomes the default."""
    with write_transaction() as session:
        address = remember_address(session, user_id=user_id, data=data)
        assert address is not None, "strict: a full book raised TooManyAddresses"
        if make_default and not address.is_default:
            _make_default(session, address)
    return address


def update_address(*, user_id: int, address_id: int, data: AddressData,
                   make_default: bool = False) -> Address:
    with write_transaction() as session:
        address = _owned(session, user_id, address_id)
        _fill(address, data)
        if make_default and not address.is_default:
            _make_default(session, address)
    return address


def delete_address(*, user_id: int, address_id: int) -> None:
    """Forget an address; if it was the default, the newest remaining one takes its place."""
    with write_transaction() as session:
        address = _owned(session, user_id, address_id)
        was_default = address.is_default
        session.delete(address)
        session.flush()
        if was_default:
            successor = session.scalar(select(Address).where(Address.user_id == user_id)
                                       .order_by(Address.id.desc()).limit(1))
            if successor is not None:
                _make_default(session, successor)


def set_default_address(*, user_id: int, address_id: int) -> None:
    with write_transaction() as session:
        _make_default(session, _owned(session, user_id, address_id))
