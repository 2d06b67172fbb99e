"""What the search box's text becomes: words only, bounded, quoted for either index (no app)."""

from __future__ import annotations

import unicodedata

import pytest

from shop.domain.search_text import (
    FOLD_FROM,
    FOLD_TO,
    MAX_TYPED,
    MAX_WORDS,
    fold,
    fts5_match,
    has_prefix,
    parse_search,
    respell,
    ts_query,
)


def test_the_fold_table_is_unicodes_own_decomposition():
    # The same table is written into migration 0017_search's shop_fold().
    assert len(FOLD_FROM) == len(FOLD_TO)
    for accented, plain in zip(FOLD_FROM, FOLD_TO, strict=True):
        bare = "".join(c for c in unicodedata.normalize("NFKD", accented)
                       if not unicodedata.combining(c))
        assert bare == plain, accented


def test_the_migration_folds_with_the_same_table():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0017_search.py"
    spec = importlib.util.spec_from_file_location("m0017", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.FOLD_FROM, module.FOLD_TO) == (FOLD_FROM, FOLD_TO)


def test_fold():
    assert fold("Café CRÈME Brûlée") == "cafe creme brulee"


@pytest.mark.parametrize("typed", ['"*()', "!!!", "   ", "&&&", "— –", "_", "'", ""])
def test_punctuation_has_no_words(typed):
    terms = parse_search(typed)
    assert not terms and terms.words == ()


def test_words_are_letters_and_digits_folded_and_unique():
    terms = parse_search('  Green "TEA" & tea:* NEAR(café 2kg  ')
    assert terms.words == ("green", "tea", "near", "cafe", "2kg")
    assert terms.text == 'Green "TEA" & tea:* NEAR(café 2kg' and not terms.shortened


def test_a_long_query_keeps_its_first_words_and_says_so():
    terms = parse_search(" ".join(f"word{n}" for n in range(50)))
    assert len(terms.words) == MAX_WORDS and terms.shortened
    pasted = parse_search("x" * 1000)
    assert len(pasted.text) == MAX_TYPED and pasted.shortened and len(pasted.words[0]) == 40


def test_queries_quote_every_word_and_star_the_last_as_a_prefix():
    assert fts5_match(("green", "tea", "bag")) == '"green" "tea" "bag"*'
    assert ts_query(("green", "tea", "bag")) == "'green' & 'tea' & 'bag':*"
    assert fts5_match(("green", "te")) == '"green" "te"'  # too short to be a prefix
    assert ts_query(("grind",)) == "'grind':*"
    # Whole words (best match tries them first): no prefix anywhere.
    assert ts_query(("green", "tea", "bag"), whole=True) == "'green' & 'tea' & 'bag'"
    assert fts5_match(("grind",), whole=True) == '"grind"'
    assert has_prefix(("grind",)) and not has_prefix(("green", "te"))


def test_respell_takes_the_closest_catalog_word():
    vocabulary = {"expreso": ["espresso", "blend", "dark"], "tee": ["tea"]}
    assert respell(("expreso", "tee"), lambda word: vocabulary.get(word, [])) == \
        ("espresso", "tee")  # "tee" is too short to guess
    assert respell(("zzzzzz",), lambda word: ["espresso"]) == ("zzzzzz",)
