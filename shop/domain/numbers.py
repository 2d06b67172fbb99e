"""Whole numbers from outside (query strings, paths, cursors, search boxes), parsed and
bounded in one place.

Python's integers have no limit; the database's do. 99999999999999999999 does not fit the
64 bits SQLite and the PostgreSQL driver take (an exception, a 500), and anything past
2**31 - 1 overflows PostgreSQL's INTEGER, the type of every id here. So a number is checked
against its bounds before it gets near a query.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: every primary key, and so every order number
MAX_PAGE = 10_000
MAX_PER_PAGE = 100

# ASCII digits only: "²".isdigit() is True, yet int("²") raises.
_WHOLE = re.compile(r"-?[0-9]{1,18}")


class OutOfBounds(ValueError):
    """Not a whole number within the bounds; the message says which are accepted."""


def bounded_int(raw: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """``raw`` (surrounding spaces allowed) as an int in [minimum, maximum], else
    ``OutOfBounds``."""
    text = raw.strip()
    if _WHOLE.fullmatch(text):
        value = int(text)
        if minimum <= value <= maximum:
            return value
    raise OutOfBounds(f"must be a whole number from {minimum} to {maximum}")


def id_or_none(raw: str) -> int | None:
    """An id typed into a search box (``42``, ``#000042``), or None if it is not one."""
    try:
        return bounded_int(raw.strip().lstrip("#"))
    except OutOfBounds:
        return None
