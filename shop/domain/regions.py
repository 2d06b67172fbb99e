"""Countries and their states or provinces (ISO 3166-1 and 3166-2), from ``pycountry``.

A shipping address names its region (``US-TX``) only where the shop serves a list:

- United States: the 50 states and DC. The six ISO "outlying areas" (US-AS, US-GU, US-MP,
  US-PR, US-UM, US-VI) are left out on purpose: each also has a country code of its own
  (PR, GU, ...), which is how carriers and Stripe address mail to it; no state sales tax
  applies there; and US-UM has no postal addresses at all. A shop that ships there adds
  the country (``PR``...) to its rate table like any other.
- Canada: its 10 provinces and 3 territories (every first-level subdivision).

Other countries get no region: the postal address there does not need one and the shop's
tax there is national, so asking would only lengthen checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

from .errors import InvalidRegion

# pycountry's subdivision types kept per country (its ``type`` field, first level only).
SERVED_KINDS = {
    "US": frozenset({"State", "District"}),
    "CA": frozenset({"Province", "Territory"}),
}
REGION_WORD = {"US": "state", "CA": "province or territory"}


@dataclass(frozen=True)
class Region:
    code: str  # ISO 3166-2, e.g. "US-TX"
    name: str

    @property
    def country(self) -> str:
        return self.code.split("-", 1)[0]


@cache
def regions_of(country: str) -> tuple[Region, ...]:
    """The regions an address in ``country`` chooses from, by name; () where none is asked."""
    kinds = SERVED_KINDS.get(country)
    if kinds is None:
        return ()
    found = pycountry.subdivisions.get(country_code=country) or []
    return tuple(sorted((Region(s.code, s.name) for s in found
                         if s.parent_code is None and s.type in kinds),
                        key=lambda region: region.name))


@cache
def _served_codes(country: str) -> frozenset[str]:
    return frozenset(region.code for region in regions_of(country))


@cache
def country_name(code: str) -> str:
    """The country's name in full ("United States"); the code itself if ISO has no such."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


@cache
def region_name(code: str) -> str:
    """The region's name in full ("Texas"); "" for none, the code itself if ISO has no such."""
    if not code:
        return ""
    region = pycountry.subdivisions.get(code=code)
    return region.name if region is not None else code


def check_region(country: str, region: str | None) -> str:
    """The region to keep for an address in ``country``, or ``InvalidRegion`` saying why not.

    Required, and one of the country's, where the country has a list; empty otherwise.
    """
    region = (region or "").strip().upper()
    if country not in SERVED_KINDS:
        if region:
            raise InvalidRegion("Leave the state or province empty for this country.")
        return ""
    word = REGION_WORD[country]
    if not region:
        raise InvalidRegion(f"Choose a {word} for this address.")
    if region not in _served_codes(country):
        raise InvalidRegion(f"Choose a {word} listed under {country_name(country)}: "
                            f"{region_name(region)} is not one of them.")
    return region


def address_lines(*, name: str, line1: str, line2: str, city: str, region: str,
                  postal_code: str, country: str) -> list[str]:
    """An address as printed on a parcel, names in full (the country last, never a code:
    "Austin, CA" once read as California for an order to Canada)."""
    if region:
        locality = f"{city}, {region_name(region)} {postal_code}"
    else:
        locality = f"{postal_code} {city}"
    return [part for part in (name, line1, line2, locality.strip(), country_name(country))
            if part]
