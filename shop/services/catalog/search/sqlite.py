"""SQLite's half of the search: ``products_fts``, an FTS5 table over the products' name and
description (external content, kept in step by triggers, prefix indexes; migration
0017_search), ranked by bm25 with the name weighted ten times the description.

What SQLite cannot do that PostgreSQL does: no trigram index of misspellings. A misspelt
word is compared (difflib) with the index's own vocabulary (``products_fts_terms``) of
about the same length; that vocabulary is every store's, so a respelling is only used when
it finds this store's products.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, column, func, literal_column, select, table
from sqlalchemy.sql.expression import ColumnClause

from ....domain.search_text import fts5_match
from ....models import Product
from ...platform.tx import read_alone

FTS = table("products_fts", column("rowid"))
_FTS_NAME: ColumnClause[Any] = literal_column("products_fts")
_TERMS = table("products_fts_terms", column("term"))
_NAME_WEIGHT, _DESCRIPTION_WEIGHT = 10.0, 1.0
_NEAR_TERMS = 5000  # a shop's vocabulary on SQLite is far smaller; a bound all the same


def read(statement, params: dict) -> list[Row]:
    return read_alone(statement, params)


def params(words: tuple[str, ...], whole: bool = False) -> dict:
    return {"match": fts5_match(words, whole)}


# bm25 is only allowed in the FTS table's own query (not beside a window function, say):
# the matches and their score are a subquery of their own. bm25 is lower for a better
# match; negated, every backend's rank is best-highest.
_matches = (select(FTS.c.rowid.label("id"),
                   (-func.bm25(_FTS_NAME, _NAME_WEIGHT, _DESCRIPTION_WEIGHT)).label("score"))
            .where(_FTS_NAME.op("MATCH")(bindparam("match"))).subquery("matches"))


def matching(statement):
    return statement.join_from(Product, _matches, _matches.c.id == Product.id)


def rank():
    return _matches.c.score


_near = (select(_TERMS.c.term)
         .where(func.length(_TERMS.c.term).between(bindparam("shortest"), bindparam("longest")))
         .limit(_NEAR_TERMS))


def neighbours(store_id: int, word: str) -> set[str]:
    """The indexed words within two letters of ``word``'s length."""
    rows = read_alone(_near, {"shortest": len(word) - 2, "longest": len(word) + 2})
    return {row.term for row in rows}
