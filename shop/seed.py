"""Demo catalogs: the first store (US dollars, paid by Stripe) and ``lagos`` (naira, paid by
Paystack, Flutterwave, bank transfer or cash on delivery), several categories, some items
scarce or sold out, each with a picture drawn at seed time (shop/seed_images.py). The coffees
come in four variants (250 g or 1 kg, whole bean or ground), each with its own SKU, price
and stock; everything else is a product without options (one default variant)."""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import Category, Product, ProductImage, ProductVariant, Store, StoreSettings
from .seed_images import draw_product
from .services.catalog.media import store_image

CATALOG = {
    "Coffee": [
        ("Ethiopia Yirgacheffe", 1650, 40), ("Colombia Huila", 1450, 35),
        ("Kenya Nyeri AA", 1850, 3), ("Guatemala Antigua", 1550, 25),
        ("Espresso Blend", 1350, 60), ("Decaf Swiss Water", 1500, 0),
    ],
    "Tea": [
        ("Sencha Kyoto", 1200, 20), ("Assam Breakfast", 950, 50), ("Darjeeling First Flush",
        2200, 2), ("Jasmine Pearls", 1800, 15), ("Rooibos Vanilla", 900, 0),
        ("Earl Grey Supreme", 1100, 30),
    ],
    "Brewing": [
        ("Pour-Over Dripper", 2800, 12), ("Gooseneck Kettle", 6500, 6),
        ("Burr Grinder", 14900, 4), ("French Press 1L", 3400, 10),
        ("Paper Filters (100)", 650, 80), ("Digital Scale", 3900, 1),
    ],
    "Mugs": [
        ("Stoneware Mug", 2200, 18), ("Double-Wall Glass", 1900, 22),
        ("Travel Tumbler", 2900, 9), ("Espresso Cups (set of 2)", 2400, 0),
    ],
    "Gifts": [
        ("Tasting Flight", 3900, 7), ("Gift Card Box", 5000, 100),
        ("Barista Apron", 3200, 5), ("Coffee Journal", 1400, 14),
    ],
}

DESCRIPTIONS = {
    "Coffee": "Roasted to order in small batches, whole bean or ground for filter.",
    "Tea": "Loose leaf, packed in a resealable tin. 100 g.",
    "Brewing": "Tools we use every morning in our own kitchen.",
    "Mugs": "Made to keep your drink at the right temperature.",
    "Gifts": "Ready to give, wrapped in recycled paper.",
}


LAGOS_SLUG = "lagos"
# Prices in kobo (₦1 = 100 kobo).
LAGOS_CATALOG = {
    "Coffee": [
        ("Mambilla Highland", 14_000_00, 24), ("Jos Plateau Arabica", 12_500_00, 3),
        ("Lagos Espresso Blend", 11_000_00, 40),
    ],
    "Tea": [
        ("Zobo Hibiscus Blend", 4_500_00, 25), ("Lemongrass & Ginger", 3_800_00, 0),
        ("Mambilla Black Tea", 5_200_00, 18),
    ],
    "Brewing": [
        ("Pour-Over Dripper", 28_000_00, 6), ("French Press 1L", 32_000_00, 2),
        ("Paper Filters (100)", 6_500_00, 50),
    ],
    "Mugs": [("Stoneware Mug", 15_000_00, 10), ("Travel Tumbler", 21_000_00, 4)],
}
LAGOS_BANK_ACCOUNT = ("Bean & Leaf Lagos Ltd\nDemo Bank Plc\nAccount number 0123456789\n"
                      "(a demo account: do not send money)")
# What the lagos store offers (store_settings): the gateways that take naira, then the
# manual methods; cash on delivery up to ₦200,000 with a ₦500 fee.
LAGOS_PAYMENTS = {"payment_methods": ["paystack", "flutterwave", "bank_transfer", "cod"],
                  "default_payment_method": "paystack", "cod_max_amount": 200_000_00,
                  "cod_fee": 500_00, "bank_account": LAGOS_BANK_ACCOUNT}

# (SKU suffix, name, price of the 250 g bag → this variant's given the 1 kg bag's extra,
# share of the product's stock)
COFFEE_VARIANTS = (
    ("250g-whole", "250 g · whole bean", lambda p, extra: p, 2),
    ("250g-ground", "250 g · ground", lambda p, extra: p, 1),
    ("1kg-whole", "1 kg · whole bean", lambda p, extra: p * 3 + extra, 1),
    ("1kg-ground", "1 kg · ground", lambda p, extra: p * 3 + extra, 0),
)


def variants_for(category: str, slug: str, price: int, stock: int, store_id: int,
                 kilo_extra: int = 500) -> list[ProductVariant]:
    """The product's variants: the coffees' four, sharing out ``stock`` (the last takes
    what is left), or one default variant. ``kilo_extra``: what a 1 kg bag costs over three
    250 g bags, in the store's minor units."""
    if category != "Coffee":
        return [ProductVariant(store_id=store_id, sku=slug, name="", price=price,
                               stock_on_hand=stock, position=0, active=True)]
    variants, left = [], stock
    for position, (suffix, name, priced, share) in enumerate(COFFEE_VARIANTS):
        units = left if position == len(COFFEE_VARIANTS) - 1 else min(left, stock * share // 4)
        left -= units
        variants.append(ProductVariant(store_id=store_id, sku=f"{slug}-{suffix}", name=name,
                                       price=priced(price, kilo_extra), stock_on_hand=units,
                                       position=position, active=True))
    return variants


def slugify(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part)


def seed_demo(store_slug: str = "main") -> tuple[Store, int]:
    """Create the demo store and catalog if missing, and draw a picture for each product
    that has none; returns the store and products added."""
    store = _store(store_slug, "Bean & Leaf", currency="USD", country="US")
    return store, _seed_catalog(store, CATALOG, kilo_extra=5_00)


def seed_lagos() -> tuple[Store, int]:
    """The second demo store, ``lagos``: naira prices, shipping within Nigeria, and the
    payment methods of seed 004 enabled (an owner's later choice is kept on a re-seed)."""
    store = _store(LAGOS_SLUG, "Bean & Leaf Lagos", currency="NGN", country="NG")
    if db.session.get(StoreSettings, store.id) is None:
        db.session.add(StoreSettings(store_id=store.id, **LAGOS_PAYMENTS))
    return store, _seed_catalog(store, LAGOS_CATALOG, kilo_extra=3_000_00)


def _store(slug: str, name: str, *, currency: str, country: str) -> Store:
    store = db.session.scalar(select(Store).where(Store.slug == slug))
    if store is None:
        store = Store(slug=slug, name=name, currency=currency, country=country)
        db.session.add(store)
        db.session.flush()
    return store


def _seed_catalog(store: Store, catalog: dict, *, kilo_extra: int) -> int:
    added = 0
    for category_name, items in catalog.items():
        slug = slugify(category_name)
        category = db.session.scalar(select(Category).where(
            Category.store_id == store.id, Category.slug == slug))
        if category is None:
            category = Category(store_id=store.id, slug=slug, name=category_name)
            db.session.add(category)
            db.session.flush()
        for name, price, stock in items:
            product_slug = slugify(name)
            exists = db.session.scalar(select(Product.id).where(
                Product.store_id == store.id, Product.slug == product_slug))
            if exists:
                continue
            variants = variants_for(category_name, product_slug, price, stock, store.id,
                                    kilo_extra)
            db.session.add(Product(
                store_id=store.id, category_id=category.id, slug=product_slug, name=name,
                description=f"{name}. {DESCRIPTIONS[category_name]}",
                price=min(v.price for v in variants), currency=store.currency,
                stock_on_hand=sum(v.stock_on_hand for v in variants), active=True,
                variants=variants))
            added += 1
    db.session.commit()
    draw_missing_images(store.id)
    return added


def draw_missing_images(store_id: int) -> int:
    """A drawn picture for every product of the store with none (one committed change per
    product: the files are written before their row, as an upload's are)."""
    bare = db.session.execute(
        select(Product.id, Product.name, Category.slug)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.store_id == store_id,
               ~select(ProductImage.id).where(ProductImage.product_id == Product.id).exists())
        .order_by(Product.id)).all()
    for product_id, name, category in bare:
        stored = store_image(draw_product(name, category or ""))
        db.session.add(ProductImage(product_id=product_id, position=0, stem=stored.stem,
                                    original=stored.original, width=stored.width,
                                    height=stored.height, alt=name))
        db.session.commit()
    return len(bare)
