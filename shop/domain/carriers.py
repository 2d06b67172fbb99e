"""Carriers staff may name when they ship, and where their tracking pages live."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    name: str
    tracking_url: str  # {number} is replaced by the URL-quoted tracking number


CARRIERS = {
    "ups": Carrier("UPS", "https://www.ups.com/track?tracknum={number}"),
    "usps": Carrier("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    "fedex": Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "dhl": Carrier("DHL", "https://www.dhl.com/global-en/home/tracking.html"
                          "?tracking-id={number}"),
    "royal_mail": Carrier("Royal Mail", "https://www.royalmail.com/track-your-item#/"
                                        "tracking-results/{number}"),
    "canada_post": Carrier("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/"
                                          "en#/search?searchFor={number}"),
}


def _key(carrier: str) -> str:
    return carrier.strip().lower().replace("-", "_").replace(" ", "_")


def carrier_name(carrier: str | None) -> str | None:
    if not carrier:
        return None
    known = CARRIERS.get(_key(carrier))
    return known.name if known else carrier.strip()


def tracking_link(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for ``number``; None for an unknown carrier."""
    known = CARRIERS.get(_key(carrier or ""))
    if known is None or not number:
        return None
    return known.tracking_url.format(number=quote(number.strip(), safe=""))
