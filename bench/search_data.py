"""The search benchmark's catalog: one store of a million products on PostgreSQL, made by
INSERT ... SELECT over generate_series (a few minutes, all in the server).

Names are a roaster's: an adjective, an origin and a kind ("Bright Yirgacheffe Espresso
Blend"), a lot number; descriptions two tasting notes and a brewing word, so that a word
of the name is also found in other products' descriptions (name above description is a
real ranking, not a formality). With 40 adjectives, 60 origins and 50 kinds, one common
word matches 2 % to 3 % of the catalog (20 000 to 30 000 products), two words a few hundred.
The search indexes are dropped for the load and built again after it, as a bulk import
would do (building a GIN index once is far quicker than a million insertions).
"""

from __future__ import annotations

from sqlalchemy import text

from bench.catalog_data import CATEGORIES
from bench.schema import rebuild_schema

ADJECTIVES = (
    "Bright", "Dark", "Classic", "Reserve", "Single", "Smooth", "Bold", "Mellow", "Wild",
    "Velvet", "Golden", "Royal", "Rustic", "Fresh", "Honey", "Natural", "Washed", "Organic",
    "Rare", "House", "Morning", "Evening", "Sunrise", "Midnight", "Daily", "Heritage",
    "Artisan", "Estate", "Highland", "Lowland", "Spiced", "Sweet", "Crisp", "Deep", "Light",
    "Medium", "Roasted", "Premium", "Signature", "Select")
ORIGINS = (
    "Kenya", "Ethiopia", "Colombia", "Sumatra", "Assam", "Darjeeling", "Yirgacheffe", "Sidamo",
    "Huila", "Antigua", "Tarrazu", "Kona", "Java", "Sulawesi", "Nyeri", "Kirinyaga", "Cauca",
    "Nariño", "Cajamarca", "Yunnan", "Uji", "Shizuoka", "Nilgiri", "Ceylon", "Rwanda",
    "Burundi", "Malawi", "Tanzania", "Uganda", "Brazil", "Minas", "Cerrado", "Honduras",
    "Guatemala", "Salvador", "Nicaragua", "Panama", "Boquete", "Peru", "Bolivia", "Mexico",
    "Chiapas", "Oaxaca", "Veracruz", "Jamaica", "Haiti", "Yemen", "Mocha", "India", "Mysore",
    "Vietnam", "Laos", "Thailand", "Myanmar", "Nepal", "Taiwan", "Fujian", "Anhui", "Hunan",
    "Café")
KINDS = (
    "Espresso", "Blend", "Filter", "Roast", "Decaf", "Beans", "Ground", "Capsules", "Sencha",
    "Matcha", "Oolong", "Chai", "Earl", "Breakfast", "Green", "Black", "White", "Herbal",
    "Rooibos", "Cocoa", "Chocolate", "Syrup", "Grinder", "Kettle", "Dripper", "Chemex",
    "Aeropress", "Press", "Moka", "Scale", "Filters", "Mug", "Cup", "Tumbler", "Teapot",
    "Infuser", "Canister", "Tamper", "Pitcher", "Thermometer", "Sampler", "Gift", "Box",
    "Subscription", "Cold", "Brew", "Concentrate", "Pods", "Sachets", "Tin")
NOTES = (
    "cherry", "blueberry", "jasmine", "caramel", "toffee", "hazelnut", "almond", "citrus",
    "lemon", "bergamot", "peach", "apricot", "plum", "fig", "raisin", "molasses", "cedar",
    "tobacco", "cocoa", "vanilla", "honey", "maple", "malt", "biscuit", "brown sugar",
    "grapefruit", "lime", "orange", "rose", "hibiscus", "blackcurrant", "strawberry",
    "pineapple", "mango", "coconut", "cinnamon", "clove", "ginger", "pepper", "smoke")
BREWS = (
    "espresso", "filter", "french press", "pour over", "aeropress", "moka pot", "cold brew",
    "grinder", "kettle", "gaiwan", "teapot", "latte", "cappuccino", "iced")

# The search indexes of migration 0017_search, built again after the load.
SEARCH_INDEXES = {
    "ix_products_search": "CREATE INDEX ix_products_search ON products USING gin "
                          "(search_vector)",
    "ix_products_name_trgm": "CREATE INDEX ix_products_name_trgm ON products USING gin "
                             "(shop_fold(name) gin_trgm_ops)",
}


def _pick(words: tuple[str, ...], multiplier: int, offset: int = 0) -> str:
    # hashint4 spreads the words independently of each other: any two meet in about
    # 1 / (k1 * k2) of the products, as in a real catalog (a modulus of n would tie them).
    array = "ARRAY[" + ", ".join("'" + word.replace("'", "''") + "'" for word in words) + "]"
    return f"({array})[1 + abs(hashint4(n * {multiplier} + {offset}) % {len(words)})]"


def _products_sql() -> str:
    name = (f"{_pick(ADJECTIVES, 7)} || ' ' || {_pick(ORIGINS, 13, 5)} || ' ' || "
            f"{_pick(KINDS, 31, 11)} || ' ' || lpad(n::text, 7, '0')")
    description = (f"'Notes of ' || {_pick(NOTES, 17, 3)} || ' and ' || {_pick(NOTES, 29, 7)}"
                   f" || '. Made for ' || {_pick(BREWS, 11, 1)} || '.'")
    return ("INSERT INTO products (store_id, category_id, slug, name, description, price, "
            "currency, stock_on_hand, active, updated_at) "
            f"SELECT :store_id, :first_category + n % :categories, 'product-' || n, {name}, "
            f"{description}, 500 + (n * 37) % 5000, 'USD', n % 40, n % 50 <> 0, now() "
            "FROM generate_series(1, :products) AS n")


def fill(app, *, products: int, store_slug: str = "main") -> dict:
    """Empty the database, migrate, and add one store with ``products`` products (and one
    image row each) over the categories. Returns the category slugs."""
    from shop.extensions import db
    from shop.models import Category, Store

    rebuild_schema(app)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("the search benchmark runs on PostgreSQL (BENCH_DATABASE_URL)")
        store = Store(slug=store_slug, name="Bench Shop", currency="USD")
        db.session.add(store)
        db.session.flush()
        categories = [Category(store_id=store.id, slug=name.lower(), name=name)
                      for name in CATEGORIES]
        db.session.add_all(categories)
        db.session.commit()
        store_id, first_category = store.id, categories[0].id
        slugs = [c.slug for c in categories]
        # Nothing left open: a transaction idle beside the load would keep VACUUM from
        # marking the new rows all-visible (no index-only count for the category page).
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            for name in SEARCH_INDEXES:
                conn.execute(text(f"DROP INDEX {name}"))
            conn.execute(text(_products_sql()), {
                "store_id": store_id, "first_category": first_category,
                "categories": len(slugs), "products": products})
            conn.execute(text(
                "INSERT INTO product_images (product_id, position, stem, original, width, "
                "height, alt, created_at) SELECT id, 0, 'bench' || id, "
                "'originals/bench' || id || '.png', 1200, 900, 'Picture ' || id, now() "
                "FROM products"))
            for statement in SEARCH_INDEXES.values():
                conn.execute(text(statement))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return {"categories": slugs, "store_id": store_id}
