"""Hostile input: generated requests at every route the app has, and at the comment form.

The routes come from the app's own ``url_map``, so a page another area adds is covered the day
it is registered. Every method a route accepts, with and without the language prefix, with
arbitrary query strings and form fields (text, huge text, bytes that are not UTF-8, numbers where
text belongs, missing fields, repeated fields), signed in as an admin for staff pages. Whatever
comes in: no 5xx; nothing stored unless the answer says it was; and a resident whose comment is
refused finds their text on the page that refuses it.

The cases are generated (hypothesis, derandomized so a run is repeatable); how many ran is
printed at the end of the session.
"""

import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from engagement.assets import fingerprint
from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.comments.forms import clean_text, new_submission_token
from engagement.comments.models import Comment, CommentStatus
from engagement.forms import BaseForm
from engagement.i18n import LANGUAGES
from engagement.moderation.models import ModerationEvent
from tests.conftest import STAFF_PASSWORD, csrf_token, sign_in
from tests.factories import make_comment

#: How many generated requests each test of this module ran, for the session-end summary.
CASES: Counter[str] = Counter()

#: Limits high enough that generated cases reach validation; the 429 paths have their own tests.
HIGH_LIMITS = {
    "COMMENT_RATE_LIMIT": "100000 per minute",
    "STATUS_LOOKUP_RATE_LIMIT": "100000 per minute",
    "LOGIN_RATE_LIMIT": "100000 per minute",
    "REPORT_RATE_LIMIT": "100000 per minute",
}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HUGE = 300 * 1024  # beyond MAX_CONTENT_LENGTH

# Text of every kind: any Unicode (incl. control characters, surrogates excluded by HTTP),
# markup, SQL-ish and path-ish strings, and long runs.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "\x00",
            "\u202e\u200b",
            "{{ 7*7 }}",
            "9" * 30,
            "-1",
            "0",
            "2147483648",
            "9223372036854775808",
            "1e309",
            "NaN",
            "null",
            "[]",
            "true",
        ]
    ),
    st.integers().map(str),
    st.text(min_size=200, max_size=12_000).filter(lambda text: len(text) >= 200),
)
big_text = st.sampled_from(["a" * 10_001, "ü" * 5_000, "x" * HUGE])


def form_field_names(app: Flask) -> list[str]:
    """Every field name of every form in the app (forms other areas add are found too)."""
    names: set[str] = set()
    pending: list[type[BaseForm]] = [BaseForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for name in dir(form_class):
            unbound = getattr(form_class, name, None)
            if hasattr(unbound, "field_class"):
                names.add(name)
    return sorted(names | {"csrf_token", "submission_token", "page", "q", "status"})


class Site:
    """What the generated requests aim at: real identifiers, and the clients to send them."""

    def __init__(self, app: Flask, session: Session, consultation: Any) -> None:
        self.app = app
        self.session = session
        self.slug = consultation.slug
        published = make_comment(session, consultation, body="A published comment.")
        pending = make_comment(
            session, consultation, body="A pending one.", status=CommentStatus.PENDING
        )
        other = create_staff(session, "other@minneapolismn.gov", StaffRole.MODERATOR, "x" * 12)
        admin = create_staff(session, "admin@minneapolismn.gov", StaffRole.ADMIN, STAFF_PASSWORD)
        session.commit()
        self.codes = [published.receipt_code, pending.receipt_code]
        self.comment_ids = [published.id, pending.id]
        self.other_staff_id = other.id
        self.admin_id = admin.id
        self.resident = app.test_client()
        self.staff = app.test_client()
        self._sign_in_staff()
        page = self.resident.get(f"/en/consultations/{self.slug}")
        self.resident_csrf = csrf_token(page.text)
        self.stylesheet = f"site.{fingerprint('site.css')}.css"
        self.field_names = form_field_names(app)
        self.rules = sorted(
            (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
            key=lambda rule: (rule.rule, rule.endpoint),
        )

    def _sign_in_staff(self) -> None:
        answer = sign_in(self.staff, "admin@minneapolismn.gov", STAFF_PASSWORD)
        assert answer.status_code == 303, answer.text
        self.staff_csrf = csrf_token(self.staff.get("/en/staff/moderation/").text)

    def after(self, rule: Rule) -> None:
        """Keep the staff client signed in if a case signed it out."""
        if rule.endpoint == "auth.logout":
            self._sign_in_staff()

    def count(self, model: Any) -> int:
        self.session.expire_all()
        counted = self.session.scalar(select(func.count()).select_from(model)) or 0
        # End the read: on in-memory SQLite every connection is the test's one connection,
        # and /healthz opening its own would find this transaction still open.
        self.session.rollback()
        return counted


@pytest.fixture
def site(app: Flask, session: Session, consultation: Any) -> Site:
    return Site(app, session, consultation)


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> None:
    """Print how many generated cases ran, at the end of the session."""

    class Summary:
        def pytest_terminal_summary(self, terminalreporter: Any) -> None:
            if CASES:
                runs = ", ".join(f"{name}: {n}" for name, n in sorted(CASES.items()))
                terminalreporter.write_line(
                    f"hostile input: {sum(CASES.values())} generated requests ({runs})"
                )

    manager = request.config.pluginmanager
    if not manager.has_plugin("hostile-input-summary"):
        manager.register(Summary(), "hostile-input-summary")


def _path_value(draw: Any, site: Site, name: str, converter: str) -> Any:
    """A value for one variable of a route: usually a real one, sometimes anything at all."""
    real: dict[str, list[Any]] = {
        "lang": list(LANGUAGES),
        "slug": [site.slug],
        "code": site.codes,
        "comment_id": site.comment_ids,
        "user_id": [site.other_staff_id],
        "filename": [site.stylesheet],
    }
    if name in real and draw(st.integers(0, 3)) > 0:
        return draw(st.sampled_from(real[name]))
    if converter in ("IntegerConverter", "NumberConverter"):
        return draw(st.integers(min_value=0, max_value=2**70))
    return draw(st.text(min_size=1, max_size=30).filter(lambda text: text.strip("/.")))


def _path(draw: Any, site: Site, rule: Rule) -> str:
    values = {
        name: _path_value(draw, site, name, type(converter).__name__)
        for name, converter in rule._converters.items()
    }
    if values.get("user_id") == site.admin_id:
        values["user_id"] = site.other_staff_id  # an admin deactivating themself ends the run
    built = rule.build(values, append_unknown=False)  # quotes each value as a browser would
    assert built is not None
    path = built[1]
    if "<lang>" in rule.rule and draw(st.integers(0, 4)) == 0:
        # The same page without its language prefix.
        path = "/" + path.lstrip("/").split("/", 1)[-1]
    return path


@st.composite
def requests(draw: Any, site: Site) -> dict[str, Any]:
    """One request at one route of the app."""
    rule = draw(st.sampled_from(site.rules))
    method = draw(st.sampled_from(sorted(rule.methods or {"GET"})))
    staff = "/staff" in rule.rule and draw(st.integers(0, 5)) > 0
    query = draw(
        st.lists(
            st.tuples(st.sampled_from(site.field_names) | st.text(max_size=10), nasty_text),
            max_size=4,
        )
    )
    request: dict[str, Any] = {
        "rule": rule,
        "method": method,
        "path": _path(draw, site, rule),
        "query": query,
        "staff": staff,
    }
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        kind = draw(st.sampled_from(["form", "form", "form", "bytes", "json", "huge"]))
        if kind == "form":
            fields = draw(
                st.lists(
                    st.tuples(st.sampled_from(site.field_names), nasty_text | big_text),
                    max_size=10,
                )
            )
            if draw(st.booleans()):
                token = site.staff_csrf if staff else site.resident_csrf
                fields.append(("csrf_token", token))
            if draw(st.booleans()):
                fields.append(("submission_token", _submission_token(site)))
            request["data"] = urlencode(fields)
            request["content_type"] = "application/x-www-form-urlencoded"
        elif kind == "bytes":
            request["data"] = draw(st.binary(max_size=2000))
            request["content_type"] = draw(
                st.sampled_from(
                    ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
                )
            )
        elif kind == "json":
            request["data"] = draw(st.sampled_from(['{"body": 1}', "[]", "{", "null"]))
            request["content_type"] = "application/json"
        else:
            request["data"] = "body=" + "x" * HUGE
            request["content_type"] = "application/x-www-form-urlencoded"
    return request


def _submission_token(site: Site) -> str:
    with site.app.test_request_context():
        return new_submission_token()


def _fresh_request_state() -> None:
    """Forget the last request's language, as a new request context would in production.

    The ``session`` fixture keeps one app context open, so ``g`` outlives each test-client
    request; tests/conftest.py clears the signed-in user and the CSRF token, this the language.
    """
    g.pop("lang", None)
    g.pop("lang_in_url", None)


def _send(site: Site, request: dict[str, Any]) -> Any:
    client: FlaskClient = site.staff if request["staff"] else site.resident
    _fresh_request_state()
    answer = client.open(
        request["path"],
        method=request["method"],
        query_string=urlencode(request["query"]),
        data=request.get("data"),
        content_type=request.get("content_type"),
    )
    answer.get_data()
    answer.close()  # a file (the stylesheet) is streamed: close it
    return answer


@pytest.mark.config(**HIGH_LIMITS)
@settings(SETTINGS, max_examples=300)
@given(data=st.data())
def test_no_route_fails_whatever_it_is_sent(site: Site, data: st.DataObject) -> None:
    request = data.draw(requests(site), label="request")
    comments, events = site.count(Comment), site.count(ModerationEvent)
    answer = _send(site, request)
    CASES["every route"] += 1
    event(f"answer {answer.status_code}")
    site.after(request["rule"])
    assert answer.status_code < 500, f"{request['method']} {request['path']}: {answer.text[:800]}"
    if answer.status_code >= 400:
        # A refusal changes nothing.
        assert site.count(Comment) == comments
        assert site.count(ModerationEvent) == events
    elif site.count(Comment) > comments:
        # Something was stored: only by a form that answered with a redirect.
        assert request["method"] == "POST"
        assert answer.status_code in (302, 303)


# The comment form, field by field: valid values mostly, so that generated cases get past the
# tokens and reach every rule of the form.
def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values seven times in eight, anything at all otherwise, so that enough cases get
    through every check and are stored (and checked)."""
    return st.integers(0, 7).flatmap(lambda n: valid if n else nasty_text)


positions = mostly(st.sampled_from(["support", "oppose", "mixed"]))
topics = st.lists(mostly(st.sampled_from(["privacy", "accuracy", "cost"])), max_size=4)
places = mostly(st.sampled_from(["seward", "outside", "undisclosed", "phillips-west"]))
#: Letters, digits, punctuation and spaces of every script: text a resident could write.
readable = st.text(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=400
)
bodies = st.one_of(
    readable,
    readable,
    readable,
    st.text(min_size=1, max_size=300),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=2000),
    st.sampled_from(["a" * 10_000, "a" * 10_001, "  \r\n  ", "line\r\nbreak", "<b>x</b> & y"]),
)


@st.composite
def comment_forms(draw: Any) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    optional = {
        "position": positions,
        "neighborhood": places,
        "display_name": mostly(st.just("") | readable.map(lambda text: text[:80])),
        "contact_email": mostly(st.sampled_from(["", "", "me@example.org"])),
        "website": st.sampled_from(["", "", "", "http://spam.example"]),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 9)) > 0:  # a field is missing one time in ten
            fields.append((name, draw(values)))
    fields += [("topics", topic) for topic in draw(topics)]
    return fields


@pytest.mark.config(COMMENT_RATE_LIMIT="100000 per minute")
@settings(SETTINGS, max_examples=200)
@given(
    fields=comment_forms(),
    body=bodies | st.none(),
    lang=st.sampled_from(list(LANGUAGES)),
    tokens=st.sampled_from(["both"] * 6 + ["no csrf", "no submission", "forged"]),
)
def test_the_comment_form_keeps_the_text_of_every_refused_comment(
    site: Site, fields: list[tuple[str, str]], body: str | None, lang: str, tokens: str
) -> None:
    _fresh_request_state()
    form = site.resident.get(f"/{lang}/consultations/{site.slug}")
    sent = list(fields)
    if body is not None:
        sent.append(("body", body))
    if tokens != "no csrf":
        sent.append(("csrf_token", csrf_token(form.text)))
    if tokens != "no submission":
        token = re.search(r'name="submission_token" type="hidden" value="([^"]*)"', form.text)
        assert token
        sent.append(("submission_token", token.group(1) + ("x" if tokens == "forged" else "")))
    before = site.count(Comment)
    _fresh_request_state()
    answer = site.resident.post(
        f"/{lang}/consultations/{site.slug}/comments",
        data=urlencode(sent),
        content_type="application/x-www-form-urlencoded",
    )
    CASES["comment form"] += 1
    event(f"answer {answer.status_code}")
    stored = site.count(Comment) - before
    assert answer.status_code < 500, answer.text[:800]
    if answer.status_code == 303:
        assert "/receipts/" in answer.location
        assert stored == 1
        newest = site.session.scalar(select(Comment).order_by(Comment.id.desc()).limit(1))
        assert newest is not None
        assert newest.body == clean_text(body)  # stored as sent, only normalised
        site.session.rollback()
        return
    assert stored == 0
    if answer.status_code == 413:
        return  # too large to read at all; the page says to go Back, where the text still is
    assert answer.status_code in (409, 422, 429)
    kept = clean_text(body) if body is not None else ""
    if kept:
        assert str(escape(kept)) in answer.text


@pytest.mark.config(COMMENT_RATE_LIMIT="100000 per minute")
@settings(SETTINGS, max_examples=80)
@given(raw=st.binary(max_size=3000), keep_tokens=st.booleans())
def test_raw_bytes_at_the_comment_form_store_nothing_and_fail_nothing(
    site: Site, raw: bytes, keep_tokens: bool
) -> None:
    form = site.resident.get(f"/en/consultations/{site.slug}")
    if keep_tokens:
        token = re.search(r'name="submission_token" type="hidden" value="([^"]*)"', form.text)
        assert token
        raw += (
            f"&csrf_token={csrf_token(form.text)}&submission_token={token.group(1)}"
            "&position=oppose&neighborhood=seward&website="
        ).encode()
    before = site.count(Comment)
    _fresh_request_state()
    answer = site.resident.post(
        f"/en/consultations/{site.slug}/comments",
        data=raw,
        content_type="application/x-www-form-urlencoded",
    )
    CASES["raw bytes"] += 1
    assert answer.status_code < 500, answer.text[:800]
    assert (site.count(Comment) - before) == (1 if answer.status_code == 303 else 0)
