"""How residents' words find services: one normal form, typo tolerance, ranking, "did you mean".

The catalog is small (about fifty services), so the whole of it is indexed in memory and ranked
in Python; a database full-text index would behave differently on SQLite and PostgreSQL and
would not know Somali or Hmong. Every language is searched whatever the reader's language: a
Spanish reader may type "basura" or "garbage", and both find garbage collection.
"""

import math
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

#: Longer input is cut here: no service name or keyword is anywhere near this long.
MAX_QUERY_LENGTH = 200
#: Words after this many are ignored (a pasted paragraph is not a search).
MAX_WORDS = 8
#: The shortest word that may match the beginning of a longer one ("recyc" finds "recycling").
MIN_PREFIX = 3


class Field(StrEnum):
    NAME = "name"
    KEYWORD = "keyword"
    #: Description and "what to have ready".
    TEXT = "text"


#: Ranking: a name beats a keyword beats the description; exact beats prefix beats a typo;
#: each weighed by how rare the word is in the catalog.
FIELD_WEIGHTS = {Field.NAME: 10.0, Field.KEYWORD: 6.0, Field.TEXT: 2.0}
EXACT = 1.0
PREFIX = 0.75
TYPO = {1: 0.6, 2: 0.45}
#: The whole query is a service's name, or one of its keywords.
PHRASE_BONUS = {Field.NAME: 20.0, Field.KEYWORD: 8.0}
#: A match in the reader's own language counts a little more.
OWN_LANGUAGE = 1.1
#: Words found in more than this share of the services ("the", "de", "iyo", "311") count for
#: little, and can't make a service a result on their own.
COMMON_SHARE = 0.5
COMMON_WEIGHT = 0.2

_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_SEPARATORS = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Casefolded, without accents, apostrophes or punctuation, words separated by one space.

    NFKD splits "é" into "e" and an accent, which is dropped. Somali and Hmong are written in
    Latin letters; Hmong tone letters (the final b, j, v, s, g, m, d of "khib nyiab") are
    ordinary letters and stay. Somali's apostrophe (a glottal stop) is dropped rather than
    splitting the word, so "la'aan" and "laaan" are the same search.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_SEPARATORS.split(_APOSTROPHES.sub("", bare))).strip()


def typo_allowance(length: int) -> int:
    """How many typing mistakes a word of this length may have and still match."""
    if length < 4:
        return 0
    return 1 if length <= 7 else 2


def edit_distance(first: str, second: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from one word to the other.

    Gives up early: any answer above ``limit`` comes back as ``limit + 1``.
    """
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    before_previous: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                value = min(value, before_previous[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before_previous, previous = previous, current
    return min(previous[-1], limit + 1)


@dataclass(frozen=True)
class CatalogEntry:
    """What the index knows of one service: its words, and what a result shows."""

    code: str
    category: str
    name: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]] = field(default_factory=dict)
    prepare: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    entry: CatalogEntry
    score: float


@dataclass(frozen=True)
class _Posting:
    service: int
    field: Field
    lang: str


class SearchIndex:
    """Every word of every active service, ready to be matched."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries = list(entries)
        self._postings: dict[str, set[_Posting]] = defaultdict(set)
        self._phrases: dict[str, set[_Posting]] = defaultdict(set)
        #: Normal form of each name and keyword → how it is written, and in which language.
        self._spellings: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for number, entry in enumerate(self.entries):
            for lang, name in entry.name.items():
                self._add_phrase(number, Field.NAME, lang, name)
            for lang, words in entry.keywords.items():
                for word in words:
                    self._add_phrase(number, Field.KEYWORD, lang, word)
            for texts in (entry.description, entry.prepare):
                for lang, text in texts.items():
                    for term in normalize(text).split():
                        self._postings[term].add(_Posting(number, Field.TEXT, lang))
        self._terms = sorted(self._postings)
        #: Names and keywords by length: the only words a typo may match, so that a typo
        #: finds what a service is called rather than some word of a description.
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for term, postings in self._postings.items():
            if any(posting.field is not Field.TEXT for posting in postings):
                self._by_length[len(term)].append(term)
        share = COMMON_SHARE * len(self.entries)
        services_with = {
            term: len({posting.service for posting in postings})
            for term, postings in self._postings.items()
        }
        self._common = frozenset(
            term for term, count in services_with.items() if len(term) == 1 or count > share
        )
        #: How telling a word is: 1 for a word of one service, less the more services share
        #: it, so "pothole" outweighs "on" even where "on" is in a service's name.
        most = math.log(1 + len(self.entries))
        self._rarity = {
            term: math.log(1 + len(self.entries) / count) / most
            for term, count in services_with.items()
        }

    def _add_phrase(self, number: int, kind: Field, lang: str, text: str) -> None:
        phrase = normalize(text)
        if not phrase:
            return
        self._phrases[phrase].add(_Posting(number, kind, lang))
        self._spellings[phrase].append((text, lang))
        for term in phrase.split():
            self._postings[term].add(_Posting(number, kind, lang))

    def search(self, text: str, lang: str) -> list[Hit]:
        """The services the words describe, best first; empty when nothing matches."""
        query = normalize(text[:MAX_QUERY_LENGTH])
        words = list(dict.fromkeys(query.split()))[:MAX_WORDS]
        significant = {word for word in words if word not in self._common}
        scores: dict[int, float] = defaultdict(float)
        found: set[int] = set()
        for word in words:
            best: dict[int, tuple[float, Field]] = {}
            for term, quality in self._matching_terms(word):
                rarity = self._rarity[term]
                for posting in self._postings[term]:
                    score = FIELD_WEIGHTS[posting.field] * quality * rarity
                    if posting.lang == lang:
                        score *= OWN_LANGUAGE
                    if score > best.get(posting.service, (0.0, Field.TEXT))[0]:
                        best[posting.service] = (score, posting.field)
            weight = 1.0 if word in significant else COMMON_WEIGHT
            for service, (score, matched_field) in best.items():
                scores[service] += weight * score
                # Only common words ("the", "311"): a service must be named by them.
                if word in significant or (not significant and matched_field is not Field.TEXT):
                    found.add(service)
        bonus: dict[int, float] = {}
        for posting in self._phrases.get(query, ()):
            bonus[posting.service] = max(PHRASE_BONUS[posting.field], bonus.get(posting.service, 0))
        for service, extra in bonus.items():
            scores[service] += extra
            found.add(service)
        ranked = sorted(found, key=lambda n: (-scores[n], self._sort_name(n, lang)))
        return [Hit(self.entries[n], round(scores[n], 3)) for n in ranked]

    def _sort_name(self, number: int, lang: str) -> str:
        names = self.entries[number].name
        return normalize(names.get(lang) or names.get("en") or "")

    def _matching_terms(self, word: str) -> Iterator[tuple[str, float]]:
        """Known words that match ``word``: itself, longer words it begins, near misspellings."""
        exact = word in self._postings
        if exact:
            yield word, EXACT
        if len(word) >= MIN_PREFIX:
            start = bisect_left(self._terms, word)
            for term in self._terms[start:]:
                if not term.startswith(word):
                    break
                if term != word:
                    yield term, PREFIX
        allowed = typo_allowance(len(word))
        if exact or not allowed:
            return
        for length in range(len(word) - allowed, len(word) + allowed + 1):
            for term in self._by_length.get(length, ()):
                distance = edit_distance(word, term, allowed)
                if 0 < distance <= allowed:
                    yield term, TYPO[distance]

    def suggest(self, text: str, lang: str) -> tuple[str, str] | None:
        """The known name or keyword closest to what was typed, as written, with its language.

        Looser than the search itself (up to a third of the letters may be wrong), since it
        only offers a link. The whole query is tried first, then each of its words.
        """
        query = normalize(text[:MAX_QUERY_LENGTH])
        for attempt in [query, *query.split()[:MAX_WORDS]]:
            found = self._closest(attempt, lang)
            if found:
                return found
        return None

    def _closest(self, typed: str, lang: str) -> tuple[str, str] | None:
        if len(typed) < MIN_PREFIX:
            return None
        allowed = max(2, len(typed) // 3)
        best: tuple[int, bool, str, str] | None = None
        for phrase, spellings in self._spellings.items():
            distance = edit_distance(typed, phrase, allowed)
            if distance > allowed:
                continue
            own = [text for text, text_lang in spellings if text_lang == lang]
            text, text_lang = (own[0], lang) if own else spellings[0]
            candidate = (distance, not own, text, text_lang)
            if best is None or candidate < best:
                best = candidate
        return (best[2], best[3]) if best else None
