"""PostgreSQL's half of the search: ``products.search_vector`` (a stored generated tsvector,
name A, description B, over shop_fold(): migration 0017_search) matched with ``@@`` through
its GIN index and ranked by ``ts_rank``; misspellings through pg_trgm's index on
shop_fold(name)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, func, literal_column, select, text
from sqlalchemy.sql.expression import ColumnClause

from ....db_setup import AUTOCOMMIT
from ....domain.search_text import ts_query, words_of
from ....extensions import db
from ....models import Product

VECTOR: ColumnClause[Any] = literal_column("products.search_vector")
_QUERY = func.to_tsquery(literal_column("'simple'"), func.shop_fold(bindparam("tsquery")))
# ts_rank's weights for D, C, B (the description) and A (the name): a word of the name
# outweighs the same word said twenty times in the description.
_WEIGHTS: ColumnClause[Any] = literal_column("'{0.01, 0.02, 0.05, 1.0}'::float4[]")
# pg_trgm's word similarity from which a name is a candidate for a misspelt word (its
# default, 0.6, misses "expreso" in "Espresso Blend": 0.31). Loose on purpose: the caller
# keeps only a word close by difflib's measure.
NEAR_THRESHOLD = 0.3
_NEAR_NAMES = 50


def read(statement, params: dict) -> list[Row]:
    """The rows of a search statement, planned for its words every time: a common word is
    best found by reading the table until a page's worth of matches (a few milliseconds),
    a rare one through the GIN index, and only the words' frequencies tell which. psycopg
    prepares a statement run five times on a connection, and PostgreSQL then plans it once
    for any words (the index, always): twice the CPU per search on a million products
    (docs/performance.md, issue 23)."""
    with db.engine.connect().execution_options(isolation_level=AUTOCOMMIT) as connection:
        driver: Any = connection.connection.driver_connection  # a psycopg Connection
        threshold = driver.prepare_threshold
        driver.prepare_threshold = None
        try:
            return list(connection.execute(statement, params).all())
        finally:
            driver.prepare_threshold = threshold


def params(words: tuple[str, ...], whole: bool = False) -> dict:
    return {"tsquery": ts_query(words, whole)}


def matching(statement):
    return statement.where(VECTOR.op("@@")(_QUERY))


def rank():
    return func.ts_rank(_WEIGHTS, VECTOR, _QUERY)


_near = (select(Product.name)
         .where(Product.store_id == bindparam("store_id"), Product.active.is_(True),
                func.shop_fold(Product.name).op("%>")(bindparam("word")))
         .limit(_NEAR_NAMES))


def neighbours(store_id: int, word: str) -> set[str]:
    """The words of some of the store's product names that hold a close spelling of
    ``word`` (the trigram index finds the names; the caller picks the closest word)."""
    # The threshold is a setting of the session: set for this transaction only.
    with db.engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', "
                                ":threshold, true)"), {"threshold": str(NEAR_THRESHOLD)})
        names = connection.execute(_near, {"store_id": store_id, "word": word}).scalars()
        return {found for name in names for found in words_of(name)}
