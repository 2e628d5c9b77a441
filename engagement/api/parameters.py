"""The API's query parameters, read strictly: what forms are to the HTML pages.

Every address says which parameters it takes. A parameter it does not take, one given twice,
an empty one or a value of the wrong shape is answered 400 with the parameter named, so that a
typo never looks like "no results". Messages are in the language of the response.
"""

import re
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from engagement.comments.queries import FeedPosition
from engagement.errors import DomainError

#: Every address takes ``lang``, the language of translated content and messages.
LANGUAGE_PARAMETER = "lang"

#: RFC 3339 date-time, as the OpenAPI ``date-time`` format means it (the offset is required).
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RECEIPT_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
_CURSOR_SALT = "api-comments-cursor"
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class InvalidParameter(DomainError):
    """A query parameter the address does not take, or a value it can't use."""

    status_code = 400

    def __init__(self, parameter: str, message: LazyString | str) -> None:
        self.parameter = parameter
        super().__init__(message)


class Query:
    """The query string of one API request, checked against the parameters the address takes."""

    def __init__(self, args: MultiDict[str, str], accepted: Iterable[str]) -> None:
        accepted = {*accepted, LANGUAGE_PARAMETER}
        for name in args:
            if name not in accepted:
                raise InvalidParameter(
                    name,
                    # i18n: API error. %(parameter)s is the name of a query parameter, as the
                    # client wrote it (like "topic"): it stays in English.
                    _l(
                        "This address does not take the parameter “%(parameter)s”. "
                        "The API description lists the parameters of each address.",
                        parameter=name,
                    ),
                )
        self._values: dict[str, str] = {}
        for name in args:
            values = args.getlist(name)
            if len(values) > 1:
                raise InvalidParameter(
                    name, _l("Give the parameter “%(parameter)s” only once.", parameter=name)
                )
            if values[0] == "":
                raise InvalidParameter(
                    name,
                    _l(
                        "The parameter “%(parameter)s” is empty: give it a value or leave it out.",
                        parameter=name,
                    ),
                )
            # No value we know holds a NUL, and PostgreSQL can't even compare text with one.
            if "\x00" in values[0]:
                raise InvalidParameter(
                    name,
                    _l(
                        "The parameter “%(parameter)s” holds a character no value can have.",
                        parameter=name,
                    ),
                )
            self._values[name] = values[0]

    def text(self, name: str) -> str | None:
        return self._values.get(name)

    def choice(self, name: str, choices: Collection[str]) -> str | None:
        """One of a short, fixed list of values (the list is named in the message)."""
        value = self._values.get(name)
        if value is not None and value not in choices:
            raise InvalidParameter(
                name,
                # i18n: API error. %(choices)s lists the accepted values (like "en, es, so, hmn").
                _l(
                    "“%(parameter)s” must be one of: %(choices)s.",
                    parameter=name,
                    choices=", ".join(choices),
                ),
            )
        return value

    def number(self, name: str, *, low: int, high: int) -> int | None:
        value = self._values.get(name)
        if value is None:
            return None
        if not _WHOLE_NUMBER.fullmatch(value) or not low <= int(value) <= high:
            raise InvalidParameter(
                name,
                _l(
                    "“%(parameter)s” must be a whole number from %(low)s to %(high)s.",
                    parameter=name,
                    low=low,
                    high=high,
                ),
            )
        return int(value)

    def day(self, name: str) -> date | None:
        """A calendar date, YYYY-MM-DD (a day in Minneapolis, as the council report counts)."""
        value = self._values.get(name)
        if value is None:
            return None
        try:
            if not _DAY.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidParameter(
                name,
                _l("“%(parameter)s” must be a date such as 2026-03-01.", parameter=name),
            ) from None

    def moment(self, name: str) -> datetime | None:
        """An RFC 3339 date and time with its offset, as a UTC datetime.

        Moments beyond what Python can hold in UTC (the year 1 with a positive offset, say)
        stand for the earliest or latest moment: as filters they mean "from the beginning" or
        "to the end", not an error.
        """
        value = self._values.get(name)
        if value is None:
            return None
        match = _DATE_TIME.fullmatch(value)
        if match is None:
            raise _not_a_moment(name)
        date, hour, minute, second, fraction, offset = match.groups()
        # A leap second (":60") is the last instant of its minute.
        second = min(int(second), 59)
        microsecond = (fraction or "")[:6].ljust(6, "0")
        offset = "+00:00" if offset in "Zz" else offset
        try:
            local = datetime.fromisoformat(
                f"{date}T{hour}:{minute}:{second:02d}.{microsecond}{offset}"
            )
        except ValueError:
            raise _not_a_moment(name) from None
        try:
            return local.astimezone(UTC)
        except OverflowError:
            ahead_of_utc = (local.utcoffset() or timedelta(0)) > timedelta(0)
            return _EARLIEST if ahead_of_utc else _LATEST

    def position(self, name: str, secret: str) -> FeedPosition | None:
        """The feed position a cursor we issued stands for.

        Cursors are signed: a client can't make one up or change one, and a cursor stays
        opaque, so the way positions are kept may change without breaking clients' code.
        """
        value = self._values.get(name)
        if value is None:
            return None
        position = _decoded_position(value, secret)
        if position is None:
            raise InvalidParameter(
                name,
                # i18n: API error. "next_cursor" is a field name of the answer: keep it as it is.
                _l(
                    "This cursor was not made by this API, or it was changed. Use the "
                    "next_cursor of the page you read last, or start again without a cursor."
                ),
            )
        return position


def _decoded_position(cursor: str, secret: str) -> FeedPosition | None:
    try:
        payload = URLSafeSerializer(secret, salt=_CURSOR_SALT).loads(cursor)
    except BadSignature:
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, str) for part in payload)
    ):
        return None
    moment, code = payload
    try:
        published_at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if published_at.tzinfo is None or not _RECEIPT_CODE.fullmatch(code):
        return None
    return FeedPosition(published_at.astimezone(UTC), code)


def cursor_for(position: FeedPosition, secret: str) -> str:
    """The opaque cursor a client sends back to read on from ``position``."""
    payload = [position.published_at.isoformat(), position.receipt_code]
    return str(URLSafeSerializer(secret, salt=_CURSOR_SALT).dumps(payload))


def _not_a_moment(name: str) -> InvalidParameter:
    return InvalidParameter(
        name,
        _l(
            "“%(parameter)s” must be a date and time with its offset from UTC, "
            "such as 2026-03-01T09:00:00Z or 2026-03-01T03:00:00-06:00.",
            parameter=name,
        ),
    )
