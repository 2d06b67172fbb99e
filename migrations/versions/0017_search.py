"""search: full-text search of the products' names and descriptions

PostgreSQL: products.search_vector, a stored generated tsvector (name weighted A above the
description's B, 'simple' configuration over shop_fold(): lower case without accents) with
a GIN index, and a trigram GIN index on shop_fold(name) (pg_trgm) for misspellings.
unaccent() is not IMMUTABLE, so it cannot feed a generated column or an index: shop_fold()
is translate() over a fixed table of accented Latin letters (shop/domain/search_text.py
keeps the same table; a test compares them).

SQLite: products_fts, an FTS5 table over the products' name and description (external
content: the text stays in products), kept in step by triggers, with prefix indexes; and
products_fts_terms, its vocabulary (fts5vocab), which the typo fallback compares words
with. Existing products are indexed here ('rebuild'). A later migration that alters
products in batch mode on SQLite (which copies the table and drops the old one) drops these
triggers with it: it must create them again and rebuild products_fts.

Revision ID: 0017_search
Revises: 0016_archive
Create Date: 2026-12-07 17:00:00

"""
from alembic import op


revision = '0017_search'
down_revision = '0017_cards'
branch_labels = None
depends_on = None

FOLD_FROM = ("àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţť"
             "ũūŭůűųŵŷźżžſơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳ")
FOLD_TO = ("aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuu"
           "uuuuwyzzzsouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooy")

POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE FUNCTION shop_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    f"AS $$ SELECT pg_catalog.translate(pg_catalog.lower($1), '{FOLD_FROM}', '{FOLD_TO}') $$",
    "ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, shop_fold(name)), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, shop_fold(coalesce(description, ''))), 'B')"
    ") STORED",
    "CREATE INDEX ix_products_search ON products USING gin (search_vector)",
    "CREATE INDEX ix_products_name_trgm ON products USING gin (shop_fold(name) gin_trgm_ops)",
)
POSTGRES_DOWN = (
    "DROP INDEX ix_products_name_trgm",
    "DROP INDEX ix_products_search",
    "ALTER TABLE products DROP COLUMN search_vector",
    "DROP FUNCTION shop_fold(text)",
)

SQLITE_UP = (
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, description, content='products', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='3 4')",
    "CREATE VIRTUAL TABLE products_fts_terms USING fts5vocab(products_fts, 'row')",
    "CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN "
    "INSERT INTO products_fts (rowid, name, description) "
    "VALUES (new.id, new.name, new.description); END",
    "CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN "
    "INSERT INTO products_fts (products_fts, rowid, name, description) "
    "VALUES ('delete', old.id, old.name, old.description); END",
    # Only a change of the text: stock and price move far more often than names.
    "CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description ON products BEGIN "
    "INSERT INTO products_fts (products_fts, rowid, name, description) "
    "VALUES ('delete', old.id, old.name, old.description); "
    "INSERT INTO products_fts (rowid, name, description) "
    "VALUES (new.id, new.name, new.description); END",
    "INSERT INTO products_fts (products_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER products_fts_update",
    "DROP TRIGGER products_fts_delete",
    "DROP TRIGGER products_fts_insert",
    "DROP TABLE products_fts_terms",
    "DROP TABLE products_fts",
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    name = op.get_bind().dialect.name
    if name == 'postgresql':
        _run(POSTGRES_UP)
    elif name == 'sqlite':
        _run(SQLITE_UP)


def downgrade():
    name = op.get_bind().dialect.name
    if name == 'postgresql':
        _run(POSTGRES_DOWN)
    elif name == 'sqlite':
        _run(SQLITE_DOWN)
