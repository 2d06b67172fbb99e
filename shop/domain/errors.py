"""Errors raised by domain rules and services. Each carries what the edge needs: ``code``,
stable and public (JSON bodies), and ``status``, the HTTP status of a request it refuses. One
edge module per kind of page (``shop/admin/refusals.py`` for HTML, ``shop/payments/errors.py``
for JSON) turns them into responses; each area's own errors live beside its use cases."""


class DomainError(Exception):
    """Base of every rule violation."""

    code = "domain_error"
    status = 422


class NotFound(DomainError):
    """No such thing among what the caller may see (never says whether it exists elsewhere)."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request fits, but not the thing's present state (a state machine, a race)."""

    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    """A state machine refused a move."""

    code = "illegal_transition"

    def __init__(self, machine: str, current: str, target: str):
        super().__init__(f"{machine}: cannot move from {current} to {target}")
        self.machine = machine
        self.current = current
        self.target = target


class OutOfStock(DomainError):
    """Not enough stock is available for a line."""

    code = "out_of_stock"

    def __init__(self, product_name: str, requested: int, available: int):
        if available <= 0:
            message = f"{product_name} is sold out."
        else:
            message = f"Only {available} of {product_name} left."
        super().__init__(message)
        self.product_name = product_name
        self.requested = requested
        self.available = available


class TooManyUnits(DomainError):
    """More units of one product than one order may hold (the store's per-order cap)."""

    code = "too_many_units"

    def __init__(self, product_name: str, limit: int):
        super().__init__(f"You can buy at most {limit} of {product_name} in one order.")
        self.product_name = product_name
        self.limit = limit


class UnsupportedDestination(DomainError):
    code = "unsupported_destination"


class InvalidRegion(DomainError):
    """A shipping address's state or province is missing, or not one of its country's."""

    code = "invalid_region"


class EmptyCart(DomainError):
    code = "empty_cart"
