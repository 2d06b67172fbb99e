"""What search engines and link previews read: meta tags, the product's JSON-LD (against the
live price and stock), /sitemap.xml, /robots.txt and the favicon."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from xml.etree import ElementTree

import pytest
from sqlalchemy import update

from shop.extensions import db
from shop.models import Category, Product
from shop.services.catalog.seo import DESCRIPTION_LENGTH, PRIVATE_PATHS, description

from ..factories import make_product, set_price

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def page(client, path: str, **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def json_ld(html: str) -> dict:
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1, scripts
    return json.loads(scripts[0])


def meta(html: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    assert match, name
    return unescape(match[1])


def canonical(html: str) -> str | None:
    match = re.search(r'<link rel="canonical" href="([^"]*)">', html)
    return unescape(match[1]) if match else None


def test_product_page_carries_its_own_text_and_links_on_base_url(client, product):
    base = client.application.config["BASE_URL"]
    html = page(client, f"/products/{product.slug}", Host="attacker.example")
    url = f"{base}/products/{product.slug}"
    assert canonical(html) == url and meta(html, "property", "og:url") == url
    assert meta(html, "name", "description") == product.description
    assert meta(html, "property", "og:description") == product.description
    assert meta(html, "name", "twitter:description") == product.description
    assert meta(html, "property", "og:title").startswith(product.name)
    assert meta(html, "property", "og:type") == "product"
    assert meta(html, "property", "og:image") == f"{base}/static/img/og-default.png"
    assert meta(html, "name", "twitter:image") == f"{base}/static/img/og-default.png"
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    assert "attacker.example" not in html


def test_json_ld_follows_the_live_price_and_stock(client, shopper, store):
    product = make_product(store, name="Last Bag", price=1650, stock=1)
    data = json_ld(page(client, f"/products/{product.slug}"))
    assert data["@type"] == "Product" and data["name"] == "Last Bag"
    assert data["url"] == f"{client.application.config['BASE_URL']}/products/{product.slug}"
    offer = data["offers"]
    assert offer == {"@type": "Offer", "url": data["url"], "price": "16.50",
                     "priceCurrency": "USD", "availability": "https://schema.org/InStock",
                     "sku": product.slug}
    set_price(product, 1999)
    assert json_ld(page(client, f"/products/{product.slug}"))["offers"]["price"] == "19.99"
    # A checkout holds the last unit: on hand 1, held 1, so none is available.
    shopper.add(product, 1)
    shopper.checkout()
    offer = json_ld(page(client, f"/products/{product.slug}"))["offers"]
    assert offer["availability"] == "https://schema.org/OutOfStock"
    assert offer["price"] == "19.99"


def test_the_catalog_pages_have_a_description_and_canonical_url(client, store, product):
    base = client.application.config["BASE_URL"]
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    db.session.add(tea)
    db.session.commit()
    html = page(client, "/?q=nyeri&page=1")
    assert canonical(html) == f"{base}/"
    assert meta(html, "name", "description") == client.application.config["SHOP_DESCRIPTION"]
    html = page(client, "/?category=tea")
    assert canonical(html) == f"{base}/?category=tea"
    assert meta(html, "name", "description").startswith("Tea from Bean & Leaf")
    assert "ld+json" not in html


def test_error_and_private_pages_have_no_canonical_url(client, store):
    response = client.get("/products/nothing-here")
    assert response.status_code == 404
    assert canonical(response.get_data(as_text=True)) is None
    for path in ("/cart", "/account/login", "/orders/lookup"):
        html = page(client, path)
        assert canonical(html) is None and 'property="og:url"' not in html
        assert meta(html, "name", "description")  # a description all the same


def test_sitemap_lists_exactly_the_active_products_and_the_categories(client, store):
    base = client.application.config["BASE_URL"]
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    db.session.add(tea)
    db.session.commit()
    shown = [make_product(store, category=tea), make_product(store)]
    hidden = make_product(store, name="Retired")
    hidden.active = False
    db.session.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    urls = ElementTree.fromstring(response.data).findall(f"{SITEMAP}url")
    entries = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urls}
    assert set(entries) == {f"{base}/", f"{base}/?category=tea",
                            *(f"{base}/products/{p.slug}" for p in shown)}
    assert f"{base}/products/{hidden.slug}" not in entries
    for lastmod in entries.values():
        assert datetime.fromisoformat(lastmod).tzinfo is not None
    # A product changes: its lastmod, its category's and the home page's move with it.
    before = entries[f"{base}/products/{shown[0].slug}"]
    db.session.execute(update(Product).where(Product.id == shown[0].id).values(price=1234))
    db.session.commit()
    urls = ElementTree.fromstring(client.get("/sitemap.xml").data).findall(f"{SITEMAP}url")
    after = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urls}
    assert after[f"{base}/products/{shown[0].slug}"] >= before
    assert after[f"{base}/?category=tea"] == after[f"{base}/products/{shown[0].slug}"]
    assert after[f"{base}/"] == max(after.values())


def test_robots_keep_out_of_private_pages_and_point_to_the_sitemap(client, store):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    disallowed = [line.split(": ", 1)[1] for line in lines if line.startswith("Disallow: ")]
    assert disallowed == list(PRIVATE_PATHS)
    assert f"Sitemap: {client.application.config['BASE_URL']}/sitemap.xml" in lines
    for rule in client.application.url_map.iter_rules():
        private = rule.endpoint.split(".")[0] in {"admin", "account", "auth", "cart",
                                                  "checkout", "orders", "payments",
                                                  "api_receipts"}
        covered = any(rule.rule == p or rule.rule.startswith(f"{p}/") for p in disallowed)
        assert private == covered, rule.rule


def test_favicon(client, store):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon" and response.data[:4] == b"\0\0\1\0"
    html = page(client, "/")
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)[1]
    assert client.get(svg).status_code == 200


@pytest.mark.parametrize(("text", "expected"), [
    ("  Bright,\n  juicy   coffee. ", "Bright, juicy coffee."),
    ("", "fallback"),
])
def test_description_is_one_line(text, expected):
    assert description(text, "fallback") == expected


def test_a_long_description_is_cut_at_a_word():
    cut = description("word " * 100, "fallback")
    assert len(cut) <= DESCRIPTION_LENGTH and cut.endswith("word…")
