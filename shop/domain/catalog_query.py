"""How the catalog page is sorted and filtered, read from its query string.

Public parameters (links to them may be shared or bookmarked): ``sort`` (``name``,
``price_asc``, ``price_desc``, ``newest``; and ``relevance``, a search's default),
``in_stock=1`` and ``min_price`` /
``max_price`` in major units (``12.50``). Nothing a shopper types makes an error page: an
unknown sort is the default one, and a price that is not one (or is out of range) is left
out of the filter with a message saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .money import InvalidAmount, minor_to_decimal, parse_money

SORTS = {
    "name": "Name, A to Z",
    "price_asc": "Price, low to high",
    "price_desc": "Price, high to low",
    "newest": "Newest first",
}
DEFAULT_SORT = "name"
SEARCH_SORTS = {"relevance": "Best match", **SORTS}
SEARCH_SORT = "relevance"
PRICE_FIELDS = {"min_price": "lowest price", "max_price": "highest price"}
_MAX_TYPED = 20  # characters of a price worth reading


@dataclass(frozen=True)
class CatalogQuery:
    sort: str = DEFAULT_SORT
    in_stock: bool = False
    min_price: int | None = None  # minor units
    max_price: int | None = None
    # What was typed into a price box, to show it back, and why a price was left out.
    typed: tuple[tuple[str, str], ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    searching: bool = False  # a search's results: best match first unless asked otherwise

    def args(self, currency: str) -> dict[str, str]:
        """The query arguments that give this sort and these filters (links, pages)."""
        found = {}
        if self.sort != (SEARCH_SORT if self.searching else DEFAULT_SORT):
            found["sort"] = self.sort
        if self.in_stock:
            found["in_stock"] = "1"
        for name in PRICE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                found[name] = minor_to_decimal(value, currency)
        return found

    def problem(self, name: str) -> str | None:
        return dict(self.problems).get(name)

    def typed_value(self, name: str) -> str:
        return dict(self.typed).get(name, "")


    def sorts(self) -> dict[str, str]:
        return SEARCH_SORTS if self.searching else SORTS


def parse_catalog_query(args: Mapping[str, str], currency: str, *,
                        searching: bool = False) -> CatalogQuery:
    sort = args.get("sort", "")
    sorts, default = (SEARCH_SORTS, SEARCH_SORT) if searching else (SORTS, DEFAULT_SORT)
    prices: dict[str, int | None] = {}
    typed, problems = [], []
    for name, label in PRICE_FIELDS.items():
        raw = (args.get(name) or "").strip()
        prices[name] = None
        if not raw:
            continue
        typed.append((name, raw[:_MAX_TYPED]))
        try:
            if len(raw) > _MAX_TYPED:
                raise InvalidAmount("That amount is too large.")
            prices[name] = parse_money(raw, currency)
        except InvalidAmount as exc:
            problems.append((name, f"The {label} was left out: {_lower_first(str(exc))}"))
    low, high = prices["min_price"], prices["max_price"]
    if low is not None and high is not None and low > high:
        problems.append(("max_price", "The highest price is below the lowest: both were "
                                      "left out."))
        low = high = None
    return CatalogQuery(sort=sort if sort in sorts else default,
                        in_stock=args.get("in_stock") == "1", min_price=low, max_price=high,
                        typed=tuple(typed), problems=tuple(problems), searching=searching)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
