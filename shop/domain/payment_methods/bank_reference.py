"""Bank-transfer references: an ISO 11649 creditor reference ("RF" + two check digits + the
order number), so that a shopper's typo is caught before staff match a transfer to the wrong
order.

The check is ISO 7064 mod 97-10, the same as an IBAN's: it catches every single changed
character and every swap of two neighbouring characters, the two typos people make most when
copying a reference into their bank's form. Pure: not wired into checkout yet.
"""

from __future__ import annotations

import re

from ..errors import DomainError
from ..numbers import MAX_ID

PREFIX = "RF"
# The store's own mark before the order number: banks strip leading zeros from some fields,
# and a bare number could be mistaken for an amount.
BODY_PREFIX = "SO"
MAX_BODY = 21  # ISO 11649: at most 21 alphanumerics after RF and the check digits
_BODY = re.compile(r"[0-9A-Z]{1,21}")


class InvalidReference(DomainError):
    """Not a reference we issued: wrong shape or a check digit that does not add up."""

    code = "invalid_reference"
    status = 422


def _digits(text: str) -> int:
    # ISO 11649: letters A..Z stand for 10..35, digits for themselves.
    return int("".join(str(int(ch, 36)) for ch in text))


def check_digits(body: str) -> str:
    """The two check digits for ``body`` (upper-case alphanumerics)."""
    if not _BODY.fullmatch(body):
        raise InvalidReference("a reference body is 1 to 21 letters or digits")
    return f"{98 - _digits(body + PREFIX + '00') % 97:02d}"


def make_reference(order_number: int) -> str:
    """The transfer reference for an order, e.g. ``RF47SO42`` for order 42."""
    if isinstance(order_number, bool) or not isinstance(order_number, int) \
            or not 1 <= order_number <= MAX_ID:
        raise InvalidReference(f"an order number is a whole number from 1 to {MAX_ID}")
    body = f"{BODY_PREFIX}{order_number}"
    return f"{PREFIX}{check_digits(body)}{body}"


def normalize(raw: str) -> str:
    """What people type (spaces in groups of four, lower case) as the compact form."""
    return re.sub(r"\s+", "", raw).upper()


def is_valid(raw: str) -> bool:
    """True when ``raw`` is a well-formed creditor reference whose check digits add up."""
    text = normalize(raw)
    if not re.fullmatch(r"RF[0-9]{2}[0-9A-Z]{1,21}", text):
        return False
    return _digits(text[4:] + text[:4]) % 97 == 1


def order_number_of(raw: str) -> int:
    """The order number a typed reference names; ``InvalidReference`` for a typo or a
    reference that is not one of ours."""
    text = normalize(raw)
    if not is_valid(text):
        raise InvalidReference("this transfer reference is mistyped: its check digits "
                               "do not match")
    body = text[4:]
    match = re.fullmatch(BODY_PREFIX + r"([1-9][0-9]{0,9})", body)
    if match is None or int(match.group(1)) > MAX_ID:
        raise InvalidReference("this transfer reference is not one of this store's")
    return int(match.group(1))


def grouped(reference: str) -> str:
    """The printed form, in groups of four as ISO 11649 recommends: ``RF47 SO42``."""
    text = normalize(reference)
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
