"""Saleor's side of the peer benchmark: its storefront GraphQL queries and its checkout.

Saleor is served by ``bench/peers/saleor.sh`` (gunicorn, 4 uvicorn workers, its demo
catalog); nothing of it is imported here, only its HTTP API is spoken. The checkout pays
through the Transactions API with the token of the app the script creates (Saleor's main
branch no longer has the dummy gateway).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx

SALEOR_URL = os.environ.get("SALEOR_URL", "http://127.0.0.1:8530")
SALEOR_DIR = Path(os.environ.get("SALEOR_DIR", "/work/peers/saleor"))
CHANNEL = os.environ.get("SALEOR_CHANNEL", "default-channel")

PRODUCT_LIST = """query ProductList($channel: String!) {
  products(first: 24, channel: $channel) { edges { node {
    id name slug thumbnail { url alt } category { name }
    isAvailableForPurchase
    pricing { onSale priceRange {
      start { gross { amount currency } } stop { gross { amount currency } } } }
  } } } }"""

PRODUCT_BY_SLUG = """query Product($slug: String!, $channel: String!) {
  product(slug: $slug, channel: $channel) {
    id name slug description seoTitle seoDescription category { name slug }
    media { url alt } isAvailableForPurchase
    pricing { priceRange { start { gross { amount currency } } } }
    variants { id name sku quantityAvailable
      pricing { price { gross { amount currency } } } }
  } }"""

VARIANTS = """query Variants($channel: String!) {
  products(first: 100, channel: $channel) { edges { node { slug isAvailableForPurchase
    variants { id quantityAvailable preorder { endDate } } } } } }"""

ADDRESS = {"firstName": "Bench", "lastName": "Shopper", "streetAddress1": "1 Bench St",
           "city": "SPRINGFIELD", "postalCode": "62701", "country": "US", "countryArea": "IL"}

CHECKOUT_CREATE = """mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkout { id shippingMethods { id } } errors { field code message } } }"""

DELIVERY = """mutation Delivery($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) {
    checkout { id totalPrice { gross { amount currency } } } errors { field code message } } }"""

PAY = """mutation Pay($id: ID!, $amount: PositiveDecimal!, $currency: String!, $psp: String!) {
  transactionCreate(id: $id, transaction: {name: "bench", pspReference: $psp,
      amountCharged: {amount: $amount, currency: $currency}}) {
    transaction { id } errors { field code message } } }"""

COMPLETE = """mutation Complete($id: ID!) {
  checkoutComplete(id: $id) { order { id status chargeStatus } errors { field code message } } }"""


def graphql_request(query: str, variables: dict) -> dict:
    """A request for ``bench.loadgen``: one GraphQL POST."""
    return {"method": "POST", "path": "/graphql/",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"query": query, "variables": variables})}


def running() -> bool:
    try:
        return httpx.get(f"{SALEOR_URL}/health/", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def app_token() -> str:
    path = SALEOR_DIR / "app-token"
    token = path.read_text().strip() if path.exists() else ""
    if not token:
        raise RuntimeError(f"no payment app token in {path}: run bench/peers/saleor.sh")
    return token


class GraphQLError(RuntimeError):
    pass


def call(client: httpx.Client, query: str, variables: dict, *, token: str = "") -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql/", json={"query": query, "variables": variables},
                           headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise GraphQLError(f"{response.status_code}: {body.get('errors')}")
    data = body["data"]
    for result in data.values():
        if isinstance(result, dict) and result.get("errors"):
            raise GraphQLError(str(result["errors"]))
    return data


def catalog() -> dict:
    """Slugs of the products the product query cycles over, and variants a checkout may
    buy (in stock, not pre-order: a pre-order has its own limit)."""
    with httpx.Client(base_url=SALEOR_URL, timeout=60) as client:
        edges = call(client, VARIANTS, {"channel": CHANNEL})["products"]["edges"]
    slugs = [edge["node"]["slug"] for edge in edges]
    variants = [variant["id"] for edge in edges if edge["node"]["isAvailableForPurchase"]
                for variant in edge["node"]["variants"]
                if not variant["preorder"] and (variant["quantityAvailable"] or 0) > 0]
    if not slugs or not variants:
        raise RuntimeError("Saleor has no products in stock: run bench/peers/saleor.sh")
    return {"slugs": slugs, "variants": variants}


def check_queries(slugs: list[str]) -> None:
    """The measured queries answer without errors (GraphQL says so in a 200's body)."""
    with httpx.Client(base_url=SALEOR_URL, timeout=60) as client:
        edges = call(client, PRODUCT_LIST, {"channel": CHANNEL})["products"]["edges"]
        product = call(client, PRODUCT_BY_SLUG, {"slug": slugs[0], "channel": CHANNEL})
    if len(edges) != 24 or not product["product"]:
        raise RuntimeError(f"Saleor's list gave {len(edges)} products, not 24")


class Checkout:
    """One client buying one unit per checkout, as a storefront and a payment app do."""

    def __init__(self, variants: list[str], token: str):
        self.variants = variants
        self.token = token
        self.client = httpx.Client(base_url=SALEOR_URL, timeout=60)
        self.turn = 0

    def __call__(self) -> None:
        self.turn += 1
        variant = self.variants[self.turn % len(self.variants)]
        created = call(self.client, CHECKOUT_CREATE, {"input": {
            "channel": CHANNEL, "email": "bench@example.com",
            "lines": [{"quantity": 1, "variantId": variant}],
            "shippingAddress": ADDRESS, "billingAddress": ADDRESS}})["checkoutCreate"]
        checkout_id = created["checkout"]["id"]
        method = created["checkout"]["shippingMethods"][0]["id"]
        total = call(self.client, DELIVERY, {"id": checkout_id, "method": method})[
            "checkoutDeliveryMethodUpdate"]["checkout"]["totalPrice"]["gross"]
        call(self.client, PAY, {"id": checkout_id, "amount": total["amount"],
                                "currency": total["currency"], "psp": uuid.uuid4().hex},
             token=self.token)
        order = call(self.client, COMPLETE, {"id": checkout_id})["checkoutComplete"]["order"]
        if not order or order["chargeStatus"] != "FULL":
            raise GraphQLError(f"checkoutComplete gave {order}, not a fully charged order")

    def close(self) -> None:
        self.client.close()
