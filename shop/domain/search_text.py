"""What a shopper typed into the search box, made into words a full-text index can take.

Nothing typed becomes query syntax: the words are runs of letters and digits (the
punctuation, quotes, ``*``, ``&``, ``NEAR`` brackets... of either database's query language
are separators here, as they are to its tokenizer), and each is quoted when the query is
written. The last word (of three letters or more) also matches as a prefix: "grind" finds
Grinder, "green te" does not find Green Tea but "green tea" does. A long paste keeps its
first words; a query of punctuation only has none, and the page says so instead of
searching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches

MAX_TYPED = 100  # characters of the box worth reading (and showing back)
MAX_WORDS = 8
MAX_WORD = 40
PREFIX_FROM = 3  # shorter words match whole: "a*" would be most of the catalog
RESPELL_FROM = 4  # a shorter word has too many near neighbours to guess which one was meant
RESPELL_CUTOFF = 0.7  # difflib's ratio: "expreso"/"espresso" is 0.8, "tea"/"sea" never asked

# Letters and digits: the underscore is a separator to FTS5's unicode61 and to PostgreSQL.
_WORD = re.compile(r"[^\W_]+")

# Accented Latin letters (lower case) and their plain ones: what PostgreSQL's shop_fold()
# of migration 0017_search translates, so that "cafe" finds Café. (SQLite's unicode61
# tokenizer removes the same marks itself.) tests/unit/test_search_text.py checks the two
# strings against Unicode's decompositions.
FOLD_FROM = ("àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţť"
             "ũūŭůűųŵŷźżžſơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳ")
FOLD_TO = ("aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuu"
           "uuuuwyzzzsouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooy")
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


@dataclass(frozen=True)
class SearchTerms:
    """The box's text (trimmed, to show back) and the words searched for."""

    text: str = ""
    words: tuple[str, ...] = ()
    shortened: bool = False  # words were left out of a long query

    def __bool__(self) -> bool:
        return bool(self.words)


def fold(text: str) -> str:
    """Lower case without the accents of Latin letters (PostgreSQL's shop_fold)."""
    return text.lower().translate(_FOLD)


def parse_search(raw: str) -> SearchTerms:
    text = raw.strip()[:MAX_TYPED]
    words = [word[:MAX_WORD] for word in words_of(text)]
    unique = tuple(dict.fromkeys(words))
    shortened = len(unique) > MAX_WORDS or len(raw.strip()) > MAX_TYPED
    return SearchTerms(text, unique[:MAX_WORDS], shortened)


def _prefixes(words: tuple[str, ...], whole: bool = False) -> list[bool]:
    # Only the last word is a prefix, the one still being typed ("green tea", "grind"): a
    # prefix is a range of the index to merge, and on a million products the words before
    # it cost twice the CPU as prefixes (docs/performance.md, issue 23). ``whole``: none.
    return [not whole and n == len(words) - 1 and len(word) >= PREFIX_FROM
            for n, word in enumerate(words)]


def has_prefix(words: tuple[str, ...]) -> bool:
    """Whether the query's last word is matched as a prefix (``whole=True`` differs)."""
    return any(_prefixes(words))


def fts5_match(words: tuple[str, ...], whole: bool = False) -> str:
    """An FTS5 MATCH expression: every word (AND), each a quoted string, the last one a
    prefix (starred) unless ``whole``."""
    return " ".join('"' + word.replace('"', '""') + '"' + ("*" if prefix else "")
                    for word, prefix in zip(words, _prefixes(words, whole), strict=True))


def ts_query(words: tuple[str, ...], whole: bool = False) -> str:
    """A PostgreSQL ``to_tsquery`` text: every word (&), each quoted, the last one a prefix
    (``:*``) unless ``whole``."""
    return " & ".join("'" + word.replace("'", "''") + "'" + (":*" if prefix else "")
                      for word, prefix in zip(words, _prefixes(words, whole), strict=True))


def words_of(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def respell(words: tuple[str, ...],
            neighbours: Callable[[str], Iterable[str]]) -> tuple[str, ...]:
    """The words with each misspelt one replaced by its closest neighbour (the catalog's
    words that ``neighbours`` gives for it), or unchanged when none is close enough."""
    fixed = []
    for word in words:
        if len(word) < RESPELL_FROM:
            fixed.append(word)
            continue
        close = get_close_matches(word, set(neighbours(word)), n=1, cutoff=RESPELL_CUTOFF)
        fixed.append(close[0] if close else word)
    return tuple(fixed)
