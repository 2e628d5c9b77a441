"""Automatic flags: what a moderator is told to look at in an incoming comment.

Flags are hints, never decisions: every comment is still read by a person before it is
published. So the detectors lean towards the patterns residents really write (a phone number,
an address, a slur) and away from the numbers and words that fill ordinary policy comments
(years, vote counts, dollar amounts, "police shootings").

Pure functions over text: no app, no database. The word lists are data files in
``wordlists/`` next to this module, one term per line, so reviewers who speak a language can
correct them without reading Python.
"""

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Self

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

WORDLISTS = Path(__file__).with_name("wordlists")
#: Every comment is also checked against the English lists: residents mix languages.
SHARED_LANGUAGE = "en"
#: A comment with fewer non-space characters, or fewer words, is flagged as too short.
MIN_CHARACTERS = 20
MIN_WORDS = 4


class Flag(StrEnum):
    PERSONAL_INFORMATION = "personal_information"
    PROFANITY = "profanity"
    LINK = "link"
    TOO_SHORT = "too_short"
    THREAT = "threat"
    #: The hook for near-duplicate (form-letter) detection, which needs the other comments and
    #: so lives in the campaigns area. ``detect_flags`` never returns it.
    COPIES = "copies"


FLAG_LABELS: dict[Flag, LazyString] = {
    # i18n: A flag on a comment in the moderation queue.
    Flag.PERSONAL_INFORMATION: _l("Personal information"),
    # i18n: A flag on a comment in the moderation queue.
    Flag.PROFANITY: _l("Profanity or slurs"),
    # i18n: A flag on a comment in the moderation queue.
    Flag.LINK: _l("Contains a link"),
    # i18n: A flag on a comment in the moderation queue.
    Flag.TOO_SHORT: _l("Very short"),
    # i18n: A flag on a comment in the moderation queue.
    Flag.THREAT: _l("Possible threat"),
    # i18n: A flag on a comment in the moderation queue.
    Flag.COPIES: _l("Many copies of the same text"),
}

#: A threat is what a moderator must see first; the rest follow the enum.
FLAG_ORDER = (Flag.THREAT, *(flag for flag in Flag if flag is not Flag.THREAT))


@dataclass(frozen=True)
class FlagHit:
    """One reason for a flag: the span of the text that raised it.

    ``start`` and ``end`` are character offsets in the comment as received (``end`` exclusive).
    ``detail`` says what was found: "email", "phone", "street_address", "license_plate",
    "url", the list term for profanity, "threat", or for a short comment "characters" or "words".
    """

    flag: Flag
    start: int
    end: int
    detail: str


def detect_flags(text: str, language: str) -> list[FlagHit]:
    """The automatic flags on a comment written in ``language`` (our code: en, es, so, hmn).

    - Personal information: e-mail addresses; North-American phone numbers; street addresses
      ("3021 Cedar Ave S", "Calle Lake 1234"); Minnesota licence plates ("ABC-123" anywhere,
      "ABC 123" or "123-ABC" after a word like plate, placa, taarikada or ntawv tsheb).
    - Link: http(s) URLs, ``www.`` hosts and bare domains with a common ending (example.org).
    - Profanity or slurs, and possible threats: whole words and phrases from the lists of the
      comment's language and of English, ignoring case and accents.
    - Too short: fewer than 20 characters that are not spaces, or fewer than 4 words.

    Hits are in the order of the text. They may overlap (a phone number inside a link).
    """
    folded = _Folded.of(text)
    hits = [
        *_personal_information(text),
        *_links(text),
        *_listed(folded, "profanity", language, Flag.PROFANITY),
        *_listed(folded, "threats", language, Flag.THREAT),
        *_too_short(text),
    ]
    return sorted(set(hits), key=lambda hit: (hit.start, hit.end, FLAG_ORDER.index(hit.flag)))


def flags_of(hits: list[FlagHit]) -> list[Flag]:
    """The distinct flags among ``hits``, threat first, then in the order of ``Flag``."""
    found = {hit.flag for hit in hits}
    return [flag for flag in FLAG_ORDER if flag in found]


def suggested_redactions(hits: list[FlagHit]) -> list[tuple[int, int]]:
    """The spans a moderator would most likely hide: the personal information, merged."""
    return _merged([(hit.start, hit.end) for hit in hits if hit.flag is Flag.PERSONAL_INFORMATION])


def redact(text: str, spans: list[tuple[int, int]], marker: str) -> str:
    """``text`` with each span replaced by ``marker``; overlapping or touching spans become one.

    Raises:
        ValueError: a span that is empty, reversed, or reaches outside the text.
    """
    for start, end in spans:
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"span ({start}, {end}) is not inside a text of {len(text)} characters"
            )
    pieces: list[str] = []
    position = 0
    for start, end in _merged(spans):
        pieces += [text[position:start], marker]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Personal information ----------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])\w[\w.+-]*@(?:[\w-]+\.)+[a-z]{2,}(?![\w-])", re.IGNORECASE)

# Area code and exchange never start with 0 or 1, which keeps out most other ten-digit runs.
# Not after or before a digit, a currency sign, a decimal or thousands separator, a slash or a
# dash, so "$250,000", "2019-2021" and "13-0" stay numbers.
_PHONE = re.compile(
    r"""
    (?<![\w$€£.,/+\-\u2013])
    (?:\+?1[ .\-\u2013]?)?
    (?:\([2-9][0-9]{2}\)|[2-9][0-9]{2}) [ .\-\u2013]?
    [2-9][0-9]{2} [ .\-\u2013]?
    [0-9]{4}
    (?![\w]|[.,/\-\u2013][0-9])
    """,
    re.VERBOSE,
)

_STREET_TYPES = [
    "street", "st", "avenue", "ave", "av", "boulevard", "blvd", "road", "rd", "drive", "dr",
    "lane", "ln", "parkway", "pkwy", "way", "court", "ct", "place", "pl", "terrace", "ter",
    "circle", "cir", "trail", "trl", "highway", "hwy", "mall",
]  # fmt: skip
#: Street types that are also everyday words ("1 safe place", "2 more lanes") count only after a
#: capitalised name ("400 Groveland Terrace").
_EVERYDAY_STREET_TYPES = frozenset({
    "road", "drive", "dr", "lane", "way", "court", "place", "terrace", "circle", "trail",
    "highway", "mall",
})  # fmt: skip
_DIRECTIONS = "north|south|east|west|northeast|northwest|southeast|southwest|ne|nw|se|sw|n|s|e|w"
_NAME_WORD = r"(?:[0-9]{1,3}(?:st|nd|rd|th)|[^\W\d_][\w'\u2019-]*)"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"

_ADDRESS = re.compile(
    rf"""
    (?<![\w$€£.,/\-\u2013])
    (?P<number>[0-9]{{1,6}}) \s+
    (?:(?:{_DIRECTIONS})\.?\s+)?
    (?P<name>{_NAME}) \s+
    (?P<type>{"|".join(_STREET_TYPES)})\b\.?
    (?:\s+(?-i:NE|NW|SE|SW|N|S|E|W)\b)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Spanish puts the street first: "Calle Lake 1234", "Avenida Chicago #3021".
_ADDRESS_ES = re.compile(
    rf"""
    (?<!\w)
    (?:calle|avenida|avda\.?|av\.|bulevar|camino|carretera) \s+
    (?P<name>{_NAME}) \s+
    (?:n[uú]m(?:ero)?\.?\s*|no\.\s*|\#\s*)?
    (?P<number>[0-9]{{1,6}})
    (?![\w]|[.,][0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: Words that make "13 people on the street" a count, not a house number and street name.
_NOT_IN_STREET_NAMES = frozenset({
    # English
    "a", "an", "the", "of", "on", "in", "at", "to", "by", "for", "from", "and", "or", "with",
    "along", "near", "down", "up", "over", "past", "across", "around", "through", "into",
    "onto", "off", "per", "than", "about", "every", "each", "more", "other", "my", "our",
    "your", "their", "his", "her", "its", "this", "that", "these", "those",
    # Spanish, Somali, Hmong
    "el", "la", "los", "las", "un", "una", "de", "del", "en", "y", "o", "por", "para", "con",
    "cada", "mi", "su", "nuestra", "nuestro",
    "iyo", "oo", "ee", "ka", "ku",
    "thiab", "ntawm", "hauv", "rau",
})  # fmt: skip
#: "in 2020 Lake Street burned": a year, not a house number.
_YEAR_WORDS = frozenset({
    "in", "since", "until", "before", "after", "during", "by", "from",
    "en", "desde", "hasta", "antes", "sanadkii", "xyoo",
})  # fmt: skip

_PLATE = re.compile(
    r"""
    (?<![\w\-\u2013])
    (?:(?P<letters>[a-z]{3})(?P<separator>[ \-\u2013]?)[0-9]{3}
      |[0-9]{3}(?P<separator_after>[ \-\u2013]?)(?P<letters_after>[a-z]{3}))
    (?![\w\-\u2013])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PLATE_WORDS = re.compile(
    r"\b(?:plates?|licen[cs]e|tags?|placas?|matriculas?|taarika\w*|ntawv\s+tsheb)\b"
)
#: How many words before a plate may hold the word that says it is one.
_PLATE_WORDS_WINDOW = 5


def _personal_information(text: str) -> Iterator[FlagHit]:
    found = [
        ("email", _EMAIL.finditer(text)),
        ("phone", _PHONE.finditer(text)),
        ("street_address", _matches(_ADDRESS, text, _is_address)),
        ("street_address", _matches(_ADDRESS_ES, text, _is_spanish_address)),
        ("license_plate", _matches(_PLATE, text, _is_plate)),
    ]
    for detail, matches in found:
        for match in matches:
            yield FlagHit(Flag.PERSONAL_INFORMATION, *match.span(), detail)


def _matches(
    pattern: re.Pattern[str], text: str, keep: Callable[[re.Match[str]], bool]
) -> Iterator[re.Match[str]]:
    """The matches that ``keep`` accepts; after a refused one, the search resumes inside it."""
    position = 0
    while match := pattern.search(text, position):
        if keep(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _is_address(match: re.Match[str]) -> bool:
    words = match["name"].split()
    if any(word.casefold() in _NOT_IN_STREET_NAMES for word in words):
        return False
    if match["type"].casefold() in _EVERYDAY_STREET_TYPES and not all(map(_is_proper, words)):
        return False
    number = match["number"]
    if len(number) == 4 and "1900" <= number <= "2099":
        before = match.string[: match.start()].split()
        return not before or before[-1].casefold() not in _YEAR_WORDS
    return True


def _is_spanish_address(match: re.Match[str]) -> bool:
    return all(map(_is_proper, match["name"].split()))


def _is_proper(word: str) -> bool:
    """A capitalised name or an ordinal ("Cedar", "4th")."""
    return word[0].isupper() or word[0].isdigit()


def _is_plate(match: re.Match[str]) -> bool:
    letters = match["letters"] or match["letters_after"]
    separator = match["separator"] if match["letters"] else match["separator_after"]
    # Lower-case letters next to a number with a space between are words ("for 500").
    if separator == " " and not letters.isupper():
        return False
    if match["letters"] and letters.isupper() and separator in ("-", "\u2013"):
        return True
    before = match.string[: match.start()].split()[-_PLATE_WORDS_WINDOW:]
    return _PLATE_WORDS.search(_Folded.of(" ".join(before)).text) is not None


# Links --------------------------------------------------------------------------------------------

#: Lower case only, so a missing space after a full stop ("a disaster.Com on") is no link.
_COMMON_DOMAIN_ENDINGS = "com|org|net|gov|edu|mil|info|biz|io|co|us|ly|gl|tv"
_LINK = re.compile(
    rf"""
    (?:https?://|(?<![\w.])www\.)\S+
    | (?<![\w@.\-/])
      (?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?-i:{_COMMON_DOMAIN_ENDINGS})(?![\w-])
      (?:[/?\#:]\S*)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\"\u2019\u201d\u00bb\u2026"


def _links(text: str) -> Iterator[FlagHit]:
    for match in _LINK.finditer(text):
        start, end = match.span()
        end = start + len(_without_trailing_punctuation(match[0]))
        yield FlagHit(Flag.LINK, start, end, "url")


def _without_trailing_punctuation(url: str) -> str:
    """The link as meant: a sentence's full stop or a closing bracket is not part of it."""
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING_PUNCTUATION and not unbalanced:
            break
        url = url[:-1]
    return url


# Word lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Folded:
    """Text without case or accents, for matching, that remembers where each character came from.

    Each character is NFKD-decomposed and case-folded and loses its combining marks, so
    "PENDÉJO" reads "pendejo"; typographic apostrophes become "'".
    """

    original: str
    text: str
    #: For each character of ``text``, the offset of the character of ``original`` it came from.
    origin: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> Self:
        characters: list[str] = []
        origin: list[int] = []
        for offset, character in enumerate(original):
            folded = _fold(character)
            characters.append(folded)
            origin += [offset] * len(folded)
        return cls(original, "".join(characters), tuple(origin))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Where ``text[start:end]`` (``end > start``) is in ``original``, accents included."""
        original_start, original_end = self.origin[start], self.origin[end - 1] + 1
        while original_end < len(self.original) and unicodedata.combining(
            self.original[original_end]
        ):
            original_end += 1
        return original_start, original_end


#: Right and left single quotation marks, modifier letter apostrophe, grave accent.
_APOSTROPHES = str.maketrans("\u2019\u2018\u02bc`", "''''")


@cache
def _fold(character: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", character).casefold())
    bare = "".join(part for part in decomposed if not unicodedata.combining(part))
    return bare.translate(_APOSTROPHES)


def _listed(folded: _Folded, kind: str, language: str, flag: Flag) -> Iterator[FlagHit]:
    for listed_language in dict.fromkeys((_base_language(language), SHARED_LANGUAGE)):
        wordlist = _wordlist(kind, listed_language)
        if wordlist is None:
            continue
        for match in wordlist.pattern.finditer(folded.text):
            detail = "threat" if flag is Flag.THREAT else wordlist.terms[str(match.lastgroup)]
            yield FlagHit(flag, *folded.span(*match.span()), detail)


def _base_language(language: str) -> str:
    """Our code for the language's lists: "es-MX" and "es_US" read the Spanish ones.

    Anything that is not a plain language code reads the English lists only (and can never
    name a file outside ``wordlists/``).
    """
    code = re.split(r"[-_]", language, maxsplit=1)[0].casefold()
    return code if re.fullmatch(r"[a-z]{2,8}", code) else SHARED_LANGUAGE


@dataclass(frozen=True)
class _Wordlist:
    #: Whole words or phrases, longest first, each term in its own group (``t0``, ``t1``, …).
    pattern: re.Pattern[str]
    #: The term each group stands for, as written in the list (without a trailing ``*``).
    terms: dict[str, str]


@cache
def _wordlist(kind: str, language: str) -> _Wordlist | None:
    """The list in ``wordlists/<kind>.<language>.txt``, or None if there is no such file.

    One term or phrase a line; ``#`` starts a comment. A term ending in ``*`` also matches
    longer words that begin with it ("fuck*" matches "fucking").
    """
    path = WORDLISTS / f"{kind}.{language}.txt"
    if not path.is_file():
        return None
    terms: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        term = " ".join(line.split("#", 1)[0].split())
        if term and term not in terms.values():
            terms[f"t{len(terms)}"] = term
    if not terms:
        return None
    alternatives = [
        rf"(?P<{group}>{_term_pattern(term)})"
        for group, term in sorted(terms.items(), key=lambda item: -len(item[1]))
    ]
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")
    return _Wordlist(pattern, {group: term.removesuffix("*") for group, term in terms.items()})


def _term_pattern(term: str) -> str:
    """Matches the term in folded text: words apart by any spaces, ``*`` for longer words."""
    words = _Folded.of(term.removesuffix("*")).text.split()
    return r"\s+".join(map(re.escape, words)) + (r"\w*" if term.endswith("*") else "")


# Length -------------------------------------------------------------------------------------------


def _too_short(text: str) -> Iterator[FlagHit]:
    words = text.split()
    if len("".join(words)) < MIN_CHARACTERS:
        yield FlagHit(Flag.TOO_SHORT, 0, len(text), "characters")
    elif len(words) < MIN_WORDS:
        yield FlagHit(Flag.TOO_SHORT, 0, len(text), "words")
