"""Shoppers for the money benchmarks: a store with plenty of stock, and real HTTP clients
(one cookie jar each, CSRF tokens read from the pages) that fill a cart and check out.

Shared by ``bench.checkout`` (which times the checkout POST) and ``bench.webhook`` (which
uses the real checkout to make the pending orders its events pay).
"""

from __future__ import annotations

import re
import threading
import time

import requests

from bench.schema import add_default_variants, rebuild_schema

STOCK = 10_000_000  # nobody sells out, however long the run
ADDRESS = {"email": "bench@example.com", "name": "Bench Shopper", "line1": "1 Bench St",
           "line2": "", "city": "Springfield", "postal_code": "62701", "country": "US",
           "region": "US-IL",
           "shipping_method": "standard"}
_FIELD = {name: re.compile(rf'name="{name}"[^>]*value="([^"]+)"')
          for name in ("csrf_token", "checkout_token", "product_id")}


def prepare_shop(database_url: str, *, products: int) -> list[str]:
    """Wipe and migrate the database; one store with ``products`` well-stocked products.
    Returns their slugs."""
    from shop import create_app
    from shop.extensions import db
    from shop.models import Product, Store

    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    rebuild_schema(app)
    slugs = [f"bench-product-{i}" for i in range(products)]
    with app.app_context():
        store = Store(slug="main", name="Bench Shop", currency="USD")
        db.session.add(store)
        db.session.flush()
        db.session.add_all(Product(store_id=store.id, slug=slug, name=f"Bench Product {i}",
                                   price=1000 + 100 * i, currency="USD", stock_on_hand=STOCK,
                                   description="Plenty in stock")
                           for i, slug in enumerate(slugs))
        db.session.commit()
        with db.engine.begin() as conn:
            add_default_variants(conn)
        db.session.remove()
        db.engine.dispose()
    return slugs


def field(html: str, name: str) -> str:
    match = _FIELD[name].search(html)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


class Shopper:
    """One browser: its own cookie jar (so its own session and cart), keep-alive."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def fill_cart(self, slug: str) -> dict:
        """A fresh session, one product in its cart, the checkout form: returns the POST
        data of that form (CSRF and one-time checkout token included)."""
        self.http.cookies.clear()  # a new cart each time: no superseding of the last order
        page = self._ok(self.http.get(f"{self.base}/products/{slug}", timeout=60)).text
        self._ok(self.http.post(f"{self.base}/cart/add", allow_redirects=False, timeout=60,
                                data={"csrf_token": field(page, "csrf_token"),
                                      "product_id": field(page, "product_id"),
                                      "quantity": 1}), 303)
        form = self._ok(self.http.get(f"{self.base}/checkout", timeout=60)).text
        return {"csrf_token": field(form, "csrf_token"),
                "checkout_token": field(form, "checkout_token"), **ADDRESS}

    def checkout(self, data: dict) -> requests.Response:
        return self.http.post(f"{self.base}/checkout", data=data, allow_redirects=False,
                              timeout=60)

    @staticmethod
    def _ok(response: requests.Response, status: int = 200) -> requests.Response:
        if response.status_code != status:
            raise RuntimeError(f"{response.request.method} {response.url}: "
                               f"{response.status_code}")
        return response


def order_token(response: requests.Response) -> str | None:
    """The order token of a successful checkout's redirect to ``/orders/<token>/pay``."""
    match = re.search(r"/orders/([^/?]+)", response.headers.get("Location", ""))
    return match.group(1) if response.status_code == 303 and match else None


def run_shoppers(base: str, slugs: list[str], *, shoppers: int, until, on_checkout) -> list:
    """``shoppers`` threads, each repeating cart → checkout page → POST /checkout while
    ``until()`` is true; ``on_checkout(response, seconds)`` is called for every POST (from
    the shopper's thread). Returns the errors raised outside the POST."""
    errors: list[str] = []

    def shopper(index: int) -> None:
        client = Shopper(base)
        turn = 0
        while until():
            try:
                data = client.fill_cart(slugs[(index + turn) % len(slugs)])
            except (requests.RequestException, RuntimeError) as exc:
                errors.append(repr(exc))
                time.sleep(0.1)
                continue
            turn += 1
            started = time.perf_counter()
            try:
                response = client.checkout(data)
            except requests.RequestException as exc:
                errors.append(repr(exc))
                continue
            on_checkout(response, time.perf_counter() - started)

    threads = [threading.Thread(target=shopper, args=(i,), daemon=True)
               for i in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
