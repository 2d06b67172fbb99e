"""What search engines and link previews read: descriptions, the product's schema.org data
(price and availability as the shop itself would charge and hold them), the sitemap and the
paths robots should leave alone. Links are given by the caller, built on BASE_URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ...domain.money import minor_to_decimal
from ...extensions import db
from ...models import Category, Product
from .browse import ProductDetail, VariantOption

# Search engines show about this many characters of a description.
DESCRIPTION_LENGTH = 160
# Pages of one shopper (or of staff): never in a search index. Prefixes of the URL map's
# rules (tests/integration/test_seo.py checks that every such route falls under one).
PRIVATE_PATHS = ("/admin", "/account", "/cart", "/checkout", "/orders", "/api")
SCHEMA = "https://schema.org"


def description(text: str, fallback: str) -> str:
    """``text`` on one line, cut at a word before DESCRIPTION_LENGTH; ``fallback`` if empty."""
    text = re.sub(r"\s+", " ", text or "").strip() or fallback
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    return text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _offer(product: ProductDetail, variant: VariantOption, url: str) -> dict:
    availability = "InStock" if variant.available > 0 else "OutOfStock"
    offer = {"@type": "Offer", "url": url, "sku": variant.sku,
             "price": minor_to_decimal(variant.price, product.currency),
             "priceCurrency": product.currency.upper(),
             "availability": f"{SCHEMA}/{availability}"}
    if variant.name:
        offer["name"] = variant.name
    return offer


def product_json_ld(product: ProductDetail, *, url: str, image: str | None) -> dict:
    """schema.org ``Product`` with its ``Offer``: the catalog price in major units as a
    decimal string, and InStock only while a unit is available (on hand minus live holds).
    A product with options has one ``Offer`` per active variant (its SKU, price and
    availability) in an ``offers`` list; without, one ``Offer``."""
    offers = [_offer(product, variant, url) for variant in product.variants]
    data: dict = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": product.name,
        "description": description(product.description, product.name),
        "sku": product.variants[0].sku if len(product.variants) == 1 else product.slug,
        "url": url,
        "offers": offers if product.has_options else (offers[0] if offers else []),
    }
    if image:
        data["image"] = image
    if product.category is not None:
        data["category"] = product.category.name
    return data


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    kind: str  # "product" or "category"
    slug: str
    lastmod: datetime


def sitemap_entries(store_id: int) -> list[SitemapEntry]:
    """Every active product, then every category, with when its page last changed (a
    category's page changes with its active products)."""
    products = db.session.execute(
        select(Product.slug, Product.updated_at, Product.category_id)
        .where(Product.store_id == store_id, Product.active.is_(True))
        .order_by(Product.slug)).all()
    newest = (select(Product.category_id, func.max(Product.updated_at).label("changed"))
              .where(Product.store_id == store_id, Product.active.is_(True))
              .group_by(Product.category_id).subquery())
    categories = db.session.execute(
        select(Category.slug, Category.updated_at, newest.c.changed)
        .outerjoin(newest, newest.c.category_id == Category.id)
        .where(Category.store_id == store_id).order_by(Category.slug)).all()
    return ([SitemapEntry("product", row.slug, row.updated_at) for row in products]
            + [SitemapEntry("category", row.slug, max(filter(None, (row.updated_at,
                                                                     row.changed))))
               for row in categories])
