"""Money in integer minor units, with the one rounding rule of the shop."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, is_currency

BASIS_POINTS = 10_000

DEFAULT_LOCALE = "en_US"

# Far above any real order, far below what an INTEGER column holds.
MAX_AMOUNT = 100_000_000_00


def apply_rate(amount_minor: int, rate_bp: int) -> int:
    """``amount × rate`` rounded half up to a whole minor unit: the only rounding in the shop."""
    if amount_minor < 0 or rate_bp < 0:
        raise ValueError("amounts and rates are never negative here")
    return (amount_minor * rate_bp * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)


@lru_cache(maxsize=64)
def locale_in(locale: str, country: str) -> str:
    """``locale``'s language as written in ``country`` when CLDR has that pair, else ``locale``.

    One shop in Lagos and one in Ohio share SHOP_LOCALE=en_US; a shopper in Lagos reads
    naira as "₦2,500.00" (en_NG), not "NGN2,500.00" (en_US). A pair CLDR lacks (de in the
    US) keeps the locale configured.
    """
    from babel import localedata

    language = locale.split("_")[0]
    paired = f"{language}_{country.upper()}"
    return paired if country and localedata.exists(paired) else locale


def format_money(amount_minor: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """Display form for ``locale`` (``$1,234.50`` in en_US, ``1.234,50 €`` in de_DE).

    The one formatting function of the shop: the ``money`` template filter calls it too.
    Input stays integer minor units; the currency's own exponent (0 for JPY) scales it.
    Never used for arithmetic.
    """
    return _formatted(int(amount_minor), currency.upper(), locale)


@lru_cache(maxsize=4096)
def _formatted(amount_minor: int, currency: str, locale: str) -> str:
    # Babel's formatting was 6 % of the catalog page's time; its result depends only on
    # these three values, and a page shows many equal prices.
    value = Decimal(amount_minor).scaleb(-minor_exponent(currency))
    return format_currency(value, currency, locale=locale)


# "1180 USD": how audit reasons and older alert messages wrote an amount (minor units, code).
_RAW_AMOUNT = re.compile(r"\b(\d+) ([A-Z]{3})\b")


def format_money_in_text(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """``text`` with each raw "<minor units> <ISO code>" shown as money ("$11.80")."""

    def shown(match: re.Match[str]) -> str:
        amount, currency = match.groups()
        if not is_currency(currency):
            return match.group(0)
        return format_money(int(amount), currency, locale)

    return _RAW_AMOUNT.sub(shown, text)


class InvalidAmount(ValueError):
    """Text that is not an amount of money the shop accepts; the message is for the form."""


_AMOUNT = re.compile(r"^[$€£]?\s*(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?$")


def minor_exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (2 for USD, 0 for JPY), from CLDR."""
    return get_currency_precision(currency.upper())


def parse_money(text: str, currency: str) -> int:
    """``"16.50"`` → ``1650``: the one way an amount typed by staff becomes minor units.

    Accepts an optional currency symbol and thousands commas (``$1,250.00``); refuses
    negatives, a decimal comma and more decimals than the currency has.
    """
    cleaned = (text or "").strip()
    if cleaned.startswith("-"):
        raise InvalidAmount("Enter an amount of 0 or more.")
    match = _AMOUNT.match(cleaned)
    if match is None:
        raise InvalidAmount("Enter an amount like 12.50.")
    exponent = minor_exponent(currency)
    frac = match["frac"] or ""
    if len(frac) > exponent:
        raise InvalidAmount(f"Use at most {exponent} decimals." if exponent
                            else f"{currency.upper()} amounts have no decimals.")
    whole = int(match["whole"].replace(",", ""))
    value = whole * 10**exponent + int(frac.ljust(exponent, "0") or 0)
    if value > MAX_AMOUNT:
        raise InvalidAmount("That amount is too large.")
    return value


def minor_to_decimal(amount_minor: int, currency: str) -> str:
    """``1650`` → ``"16.50"``: form values and CSV cells (no symbol, no separators)."""
    exponent = minor_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def parse_percent(text: str) -> int:
    """``"7.25"`` → ``725`` basis points; 0–100 %, at most two decimals."""
    match = re.fullmatch(r"(\d{1,3})(?:\.(\d{1,2}))?", (text or "").strip().rstrip("%").strip())
    if match is None:
        raise InvalidAmount("Enter a percentage like 7.25.")
    value = int(match[1]) * 100 + int((match[2] or "").ljust(2, "0"))
    if value > 100 * 100:
        raise InvalidAmount("Enter a percentage between 0 and 100.")
    return value


def format_percent(rate_bp: int) -> str:
    return f"{Decimal(rate_bp).scaleb(-2):f}".rstrip("0").rstrip(".") if rate_bp else "0"
