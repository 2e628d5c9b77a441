"""A service as one flat record of text columns, and the one set of rules a record must follow.

The CSV files, the staff edit form and the edit log all use this record, so a service is
checked the same way whether an administrator types it or imports it, and the log shows
exactly the columns a file would.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import LazyString, format_number, gettext
from flask_babel import lazy_gettext as _l

from engagement.city_services.models import CODE_MAX_LENGTH, LANGUAGE_LINES, Service

#: The languages a service is written in, English first (the one a service can't do without).
CONTENT_LANGUAGES = ("en", "es", "so", "hmn")
#: Translated fields, each a column per language: ``name_en``, ``name_es``...
TRANSLATED_FIELDS = ("name", "description", "prepare", "keywords", "hours")
PLAIN_FIELDS = (
    "department",
    "phone",
    "phone_uncertain",
    "url",
    "address",
    "language_line",
)
COLUMNS = (
    "code",
    "active",
    "category",
    *(f"{field}_{lang}" for field in TRANSLATED_FIELDS for lang in CONTENT_LANGUAGES),
    *PLAIN_FIELDS,
)
#: Keywords are joined with this in a cell; it can't appear in a keyword.
KEYWORD_SEPARATOR = ";"
#: Addresses under /<lang>/services/ that are pages of their own, so no service may take them.
RESERVED_CODES = frozenset({"find-my-ward"})

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PHONE_PATTERN = re.compile(r"[0-9]{3}(?:-[0-9]{3}-[0-9]{4})?")
URL_PATTERN = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")

#: Longest text per field, in characters.
MAX_LENGTHS = {
    "name": 200,
    "description": 1000,
    "prepare": 1000,
    "hours": 300,
    "department": 200,
    "address": 300,
    "url": 500,
}
KEYWORD_MAX_LENGTH = 60
KEYWORDS_PER_LANGUAGE = 40


@dataclass(frozen=True)
class Problem:
    """What is wrong with one column of a record, in words for the person who wrote it."""

    column: str
    message: LazyString | str


@dataclass(frozen=True)
class ServiceData:
    """A checked record, in the shapes the model stores."""

    code: str
    active: bool
    category: str
    department: str | None
    name: dict[str, str]
    description: dict[str, str]
    prepare: dict[str, str]
    keywords: dict[str, list[str]]
    hours: dict[str, str]
    phone: str | None
    phone_uncertain: bool
    url: str | None
    address: str | None
    language_line: str | None


def record_of(service: Service) -> dict[str, str]:
    """The service as a flat record: what an export writes and the edit log keeps."""
    record = {
        "code": service.code,
        "active": _flag(service.active),
        "category": service.category.slug,
        "department": service.department or "",
        "phone": service.phone or "",
        "phone_uncertain": _flag(service.phone_uncertain),
        "url": service.url or "",
        "address": service.address or "",
        "language_line": service.language_line or "",
    }
    for lang in CONTENT_LANGUAGES:
        record[f"name_{lang}"] = (service.name or {}).get(lang, "")
        record[f"description_{lang}"] = (service.description or {}).get(lang, "")
        record[f"prepare_{lang}"] = (service.prepare or {}).get(lang, "")
        record[f"hours_{lang}"] = (service.hours or {}).get(lang, "")
        words = (service.keywords or {}).get(lang, [])
        record[f"keywords_{lang}"] = f"{KEYWORD_SEPARATOR} ".join(words)
    return {column: record[column] for column in COLUMNS}


def record_of_data(data: ServiceData) -> dict[str, str]:
    """The flat record of checked data: equal to ``record_of`` a service holding it."""
    record = {
        "code": data.code,
        "active": _flag(data.active),
        "category": data.category,
        "department": data.department or "",
        "phone": data.phone or "",
        "phone_uncertain": _flag(data.phone_uncertain),
        "url": data.url or "",
        "address": data.address or "",
        "language_line": data.language_line or "",
    }
    for lang in CONTENT_LANGUAGES:
        record[f"name_{lang}"] = data.name.get(lang, "")
        record[f"description_{lang}"] = data.description.get(lang, "")
        record[f"prepare_{lang}"] = data.prepare.get(lang, "")
        record[f"hours_{lang}"] = data.hours.get(lang, "")
        record[f"keywords_{lang}"] = f"{KEYWORD_SEPARATOR} ".join(data.keywords.get(lang, []))
    return {column: record[column] for column in COLUMNS}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def clean(value: str | None) -> str:
    """Trimmed, in Unicode NFC, with one kind of line ending: how every cell is compared."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def split_keywords(value: str) -> list[str]:
    return [word.strip() for word in value.split(KEYWORD_SEPARATOR) if word.strip()]


def check_record(
    record: Mapping[str, str | None], categories: Iterable[str]
) -> tuple[ServiceData | None, list[Problem]]:
    """Check one record against every rule of the catalog; return it in model shapes, or why not.

    The rules: a code of lowercase letters, digits and hyphens that no page uses; a known
    category; a name and a description in English; lengths within limits; phone numbers like
    612-673-3000 (or 311, 911); web addresses starting with http(s)://; keywords without
    semicolons or commas (Open311 lists them comma-separated); no control characters or
    unreadable bytes anywhere; yes/no columns that say true or false.
    """
    values = {column: clean(record.get(column)) for column in COLUMNS}
    problems = [
        Problem(column, _l("This contains control characters or unreadable text. Retype it."))
        for column, value in values.items()
        if _CONTROL_CHARACTERS.search(value) or "\ufffd" in value
    ]
    bad = {problem.column for problem in problems}

    def report(column: str, message: LazyString) -> None:
        if column not in bad:
            bad.add(column)
            problems.append(Problem(column, message))

    code = values["code"]
    if not code:
        report("code", _l("A service needs a code."))
    elif len(code) > CODE_MAX_LENGTH or not CODE_PATTERN.fullmatch(code):
        report(
            "code",
            _l(
                "A code has small letters, digits and single hyphens only, "
                "up to 80 characters (like street-light-out)."
            ),
        )
    elif code in RESERVED_CODES:
        report("code", _l("This code is the address of another page. Choose another code."))
    if values["category"] not in set(categories):
        report("category", _l("Choose a category from the list."))
    for column in ("active", "phone_uncertain"):
        if values[column].lower() not in _TRUE + _FALSE:
            report(column, _l("Write true or false."))
    for field in ("name", "description"):
        if not values[f"{field}_en"]:
            report(f"{field}_en", _l("This is required in English."))
    for column, value in values.items():
        field = column.rsplit("_", 1)[0] if column not in MAX_LENGTHS else column
        limit = MAX_LENGTHS.get(field)
        if limit and len(value) > limit:
            report(column, _too_long(limit))
    for lang in CONTENT_LANGUAGES:
        column = f"keywords_{lang}"
        words = split_keywords(values[column])
        if len(words) > KEYWORDS_PER_LANGUAGE:
            report(column, _l("Give at most 40 keywords per language."))
        elif any(len(word) > KEYWORD_MAX_LENGTH or "," in word for word in words):
            report(
                column,
                _l(
                    "Separate keywords with semicolons; each keyword is at most 60 "
                    "characters and has no comma."
                ),
            )
    if values["phone"] and not PHONE_PATTERN.fullmatch(values["phone"]):
        report("phone", _l("Write the phone number like 612-673-3000, or 311 or 911."))
    if values["url"] and not URL_PATTERN.fullmatch(values["url"]):
        report("url", _l("Write the whole web address, starting with https://."))
    if values["language_line"] and values["language_line"] not in LANGUAGE_LINES:
        report("language_line", _l("Choose es, so or hmn, or leave it empty."))
    if problems:
        return None, sorted(problems, key=lambda problem: COLUMNS.index(problem.column))
    return _data(values), []


def _too_long(limit: int) -> LazyString:
    return LazyString(
        lambda: gettext(
            "This is too long: at most %(limit)s characters.", limit=format_number(limit)
        )
    )


def _data(values: Mapping[str, str]) -> ServiceData:
    def translations(field: str) -> dict[str, str]:
        return {
            lang: values[f"{field}_{lang}"]
            for lang in CONTENT_LANGUAGES
            if values[f"{field}_{lang}"]
        }

    keywords = {
        lang: split_keywords(values[f"keywords_{lang}"])
        for lang in CONTENT_LANGUAGES
        if split_keywords(values[f"keywords_{lang}"])
    }
    return ServiceData(
        code=values["code"],
        active=values["active"].lower() in _TRUE,
        category=values["category"],
        department=values["department"] or None,
        name=translations("name"),
        description=translations("description"),
        prepare=translations("prepare"),
        keywords=keywords,
        hours=translations("hours"),
        phone=values["phone"] or None,
        phone_uncertain=values["phone_uncertain"].lower() in _TRUE,
        url=values["url"] or None,
        address=values["address"] or None,
        language_line=values["language_line"] or None,
    )


def changed_columns(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The columns whose value differs, in column order (every column, for a new service)."""
    return [column for column in COLUMNS if before.get(column, "") != after.get(column, "")]
