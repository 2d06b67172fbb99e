"""Money in integer minor units, with the one rounding rule of the shop."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BASIS_POINTS = 10_000

# Currencies with no minor unit need a different exponent when formatting.
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF"}

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$"}


def apply_rate(amount_minor: int, rate_bp: int) -> int:
    """``amount × rate`` rounded half up to a whole minor unit: the only rounding in the shop."""
    if amount_minor < 0 or rate_bp < 0:
        raise ValueError("amounts and rates are never negative here")
    return (amount_minor * rate_bp * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)


def format_money(amount_minor: int, currency: str) -> str:
    """Display form, e.g. ``$1,234.50``; never used for arithmetic."""
    currency = currency.upper()
    exponent = 0 if currency in ZERO_DECIMAL else 2
    value = Decimal(amount_minor).scaleb(-exponent).quantize(
        Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP
    )
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.{exponent}f}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency}"
