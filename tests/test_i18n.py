"""Languages: complete catalogs, no string that escaped translation, and room for a fifth language.

The pseudo-locale test renders every page with a generated catalog that marks every translated
string (⟦...⟧). Any visible English left on a page is a string that never went through gettext.
"""

import contextlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from engagement import i18n
from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.city_services.models import Service
from engagement.comments.models import CommentStatus
from engagement.config import PROJECT_ROOT
from engagement.db import utcnow
from engagement.geography.models import Community, Neighborhood
from engagement.geography.operations import load_geography
from engagement.jobs.models import Job, JobStatus
from engagement.tallies.models import ReportFile
from engagement.tallies.tasks import DRAW_REPORT
from tests.city_services.builders import load_fixture_catalog
from tests.conftest import STAFF_PASSWORD, sign_in
from tests.factories import make_comment, make_consultation

TRANSLATIONS = PROJECT_ROOT / "translations"
CATALOG_LANGUAGES = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
STAFF_EMAIL = "pseudo.staff@example.org"


@pytest.fixture(scope="session")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What extraction finds in the code today, as `make i18n-extract` would write it."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "_l",
         "-k", "lazy_gettext", "--add-comments=i18n:", "-o", str(pot), str(PROJECT_ROOT)]
    )  # fmt: skip
    with pot.open("rb") as source:
        return read_po(source)


def catalog(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=None)


def ids(message: Any) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_catalog_has_every_string_the_code_uses(extracted: Catalog, lang: str) -> None:
    have = {ids(message) for message in catalog(lang) if message.id}
    missing = [ids(message)[0] for message in extracted if message.id and ids(message) not in have]
    assert missing == [], f"run `make i18n-update` and translate: {missing[:5]}"


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_catalog_is_fully_translated_without_fuzzy_entries(lang: str) -> None:
    untranslated, fuzzy = [], []
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if not all(strings):
            untranslated.append(ids(message)[0])
        if message.fuzzy:
            fuzzy.append(ids(message)[0])
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_translations_keep_their_placeholders(lang: str) -> None:
    wrong = []
    for message in catalog(lang):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(" ".join(ids(message))))
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        for string in strings:
            # A plural form may leave out the count where the language names it another way.
            found = set(PLACEHOLDER.findall(string))
            if not found <= expected or (len(strings) == 1 and found != expected):
                wrong.append((ids(message)[0], string))
    assert wrong == []


@pytest.mark.parametrize(("lang", "forms"), [("es", 3), ("so", 2), ("hmn", 1)])
def test_plural_forms_fit_the_language(lang: str, forms: int) -> None:
    po = catalog(lang)
    assert po.num_plurals == forms
    for message in po:
        if message.pluralizable:
            assert len(message.string) == forms, message.id


# --- the pseudo-locale ---------------------------------------------------------------------

PSEUDO = "xx"
_ACCENTED = str.maketrans("aeiouAEIOUcnyCNY", "áéîõüÁÉÎÕÜçñýÇÑÝ")


def pseudo(text: str) -> str:
    """⟦Áccéñtéd⟧ text with its placeholders intact."""
    parts = re.split(r"(%\(\w+\)[sd]|%%)", text)
    return "⟦" + "".join(p if p.startswith("%") else p.translate(_ACCENTED) for p in parts) + "⟧"


@pytest.fixture
def app_overrides(
    extracted: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """A fifth language for the app: one catalog and one line of configuration."""
    po = Catalog(locale="en", domain="messages")
    for message in extracted:
        if not message.id:
            continue
        if message.pluralizable:
            po.add(message.id, tuple(pseudo(s) for s in message.id))
        else:
            po.add(message.id, pseudo(message.id))
    folder = tmp_path / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as out:
        write_po(out, po)
    with (folder / "messages.mo").open("wb") as out:
        write_mo(out, po)
    monkeypatch.setitem(i18n.LANGUAGES, PSEUDO, i18n.Language(PSEUDO, "Pseudo", "en_US"))
    return {
        "BABEL_TRANSLATION_DIRECTORIES": f"{tmp_path};{TRANSLATIONS}",
        "COMMENT_RATE_LIMIT": "1 per hour",
    }


class VisibleText(HTMLParser):
    """Text a reader sees or hears, with the language it is declared in."""

    #: A chart (svg) repeats the labels and numbers of the data table next to it, which is read.
    HIDDEN = frozenset({"script", "style", "pre", "code", "time", "svg"})
    VOID = frozenset({"meta", "link", "input", "br", "img", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.found: list[tuple[str, str]] = []  # (language, text)

    def lang(self) -> str:
        return next((lang for _, lang in reversed(self.stack) if lang), "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        lang = attributes.get("lang")
        for name in ("title", "alt", "placeholder", "aria-label"):
            if attributes.get(name):
                self.found.append((lang or self.lang(), attributes[name] or ""))
        is_button = tag in ("button", "input") and attributes.get("type") in ("submit", "button")
        if is_button and attributes.get("value"):
            self.found.append((lang or self.lang(), attributes["value"] or ""))
        if tag not in self.VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag in self.HIDDEN for tag, _ in self.stack):
            return
        if data.strip():
            self.found.append((self.lang(), data.strip()))


def untranslated_text(page: str, data: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    leaks = []
    for lang, text in parser.found:
        if lang != PSEUDO:
            continue
        rest = text
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, "")
        # Pseudo-translation accents every vowel, so a plain one is text that escaped gettext
        # (a sentence split around a placeholder shows up as several accented pieces).
        if re.search(r"[aeiouAEIOU]", rest):
            leaks.append(text)
    return leaks


def pages_to_check(
    client: FlaskClient, slug: str, code: str, pending_id: int, code_id: int, report_id: int
) -> list[tuple[str, str, Any]]:
    """(method, path, response) for every kind of page, errors included."""
    base = f"/{PSEUDO}"
    comments = f"{base}/consultations/{slug}/comments"
    gets = [
        f"{base}/",
        f"{base}/consultations/{slug}",
        comments,
        f"{comments}?topic=zz",  # filters with an error
        f"{comments}?before=20991231T000000Z_ZZZZ-ZZZZ-ZZZZ",  # a page of the list, deeper
        f"{comments}?before=20000101T000000Z_0000-0000-0000",  # past its end
        f"{comments}?before=zz",  # a damaged position
        f"{comments}/{code}",
        f"{base}/receipts",
        f"{base}/receipts?code=7KQ2-M9XD-4RTB",  # unknown code
        f"{base}/receipts?code=",  # empty code
        f"{base}/receipts/{code}",
        f"{base}/open-data",
        f"{base}/consultations/{slug}/tallies",
        f"{base}/consultations/{slug}/tallies?since=zz",  # filters with an error
        f"{base}/services",
        f"{base}/services?q=basura",
        f"{base}/services?q=pothool",  # nothing found: "did you mean"
        f"{base}/services?q=",  # empty search
        f"{base}/services/opcr-complaint",
        f"{base}/services/find-my-ward",
        f"{base}/services/find-my-ward?neighborhood=east-isles",
        f"{base}/services/find-my-ward?neighborhood=zz",  # not on the list
        f"{base}/no-such-page",
    ]
    pages = [("GET", path, client.get(path)) for path in gets]
    # An old numbered page: the list, with a word about why.
    pages.append(
        ("GET", f"{comments}?page=3", client.get(f"{comments}?page=3", follow_redirects=True))
    )
    pages.append(("POST", comments, client.post(comments, data={})))  # the form with errors
    # The rate limit is 1 per hour here: the second send gets the "too many" page.
    pages.append(("POST", comments, client.post(comments, data={"body": "x"})))
    staff = f"{base}/staff"
    pages.append(("GET", f"{staff}/login", client.get(f"{staff}/login")))
    pages.append(("POST", f"{staff}/login", client.post(f"{staff}/login", data={})))
    pages.append(("POST", f"{staff}/login", sign_in(client, STAFF_EMAIL, "wrong", lang=PSEUDO)))
    # Signed in from here on: the staff pages, and the menu with its staff link.
    sign_in(client, STAFF_EMAIL, STAFF_PASSWORD, lang=PSEUDO)
    pages.append(("GET", f"{staff}/", client.get(f"{staff}/")))
    moderation = f"{staff}/moderation"
    for path in (
        f"{moderation}/",
        f"{moderation}/?language=zz",  # filter error
        f"{moderation}/comments/{pending_id}",
        f"{moderation}/comments/{code_id}",  # a published comment: hide, keep
        f"{moderation}/enter",
        f"{moderation}/log.csv",
        f"{base}/consultations/{slug}/moderation",
        f"{comments}/{code}/report",
        f"{staff}/accounts",
        f"{staff}/consultations/{slug}",
        f"{staff}/tallies/{slug}?include_pending=y",
        f"{staff}/tallies/{slug}/report",
        f"{staff}/tallies/{slug}/report.pdf",
        f"{staff}/tallies/{slug}/tallies.csv",
        f"{staff}/tallies/{slug}/tallies.json",
        f"{staff}/services/",
        f"{staff}/services/pothole",
        f"{staff}/jobs/",
        f"{staff}/tallies/{slug}/reports/{report_id}",
    ):
        response = client.get(path)
        response.get_data()  # read a streamed answer (the CSV) while its request is current
        pages.append(("GET", path, response))
    # A PDF that is not drawn yet: back to the page that says so.
    not_ready = f"{staff}/tallies/{slug}/reports/{report_id}.pdf"
    pages.append(("GET", not_ready, client.get(not_ready, follow_redirects=True)))
    review = f"{moderation}/comments/{pending_id}"
    pages.append(("POST", f"{review}/redact", client.post(f"{review}/redact", data={})))
    pages.append(("POST", f"{review}/reject", client.post(f"{review}/reject", data={})))
    pages.append(("POST", f"{moderation}/enter", client.post(f"{moderation}/enter", data={})))
    pages.append(("POST", f"{comments}/{code}/report", client.post(f"{comments}/{code}/report")))
    for path in (
        f"{staff}/accounts",
        f"{staff}/consultations/{slug}",
        f"{staff}/services/pothole",
        f"{staff}/jobs/rebuild-campaigns",
    ):
        pages.append(("POST", path, client.post(path, data={})))
    return pages


def test_pseudo_locale_finds_no_untranslated_text(app: Flask, session: Any) -> None:
    load_geography(session)
    consultation = make_consultation(session)
    comment = make_comment(session, consultation, status=CommentStatus.PUBLISHED)
    pending = make_comment(
        session, consultation, status=CommentStatus.PENDING, body="Call 612-555-0199 now please"
    )
    staff = create_staff(session, STAFF_EMAIL, StaffRole.ADMIN, STAFF_PASSWORD, "Pseudo Staff")
    load_fixture_catalog(session)
    # A PDF report being drawn, and a job that failed: the jobs page lists it.
    report = ReportFile(consultation_id=consultation.id, language=PSEUDO, query="")
    session.add(report)
    session.flush()
    session.add(
        Job(task=DRAW_REPORT, arguments={"report_id": report.id}, subject_id=report.id,
            status=JobStatus.FAILED, attempts=3, last_error="OSError", finished_at=utcnow())
    )  # fmt: skip
    session.commit()
    data = {
        staff.display_name,
        staff.email,
        *session.scalars(select(Neighborhood.name)),
        *session.scalars(select(Community.name)),
        comment.receipt_code,
        pending.receipt_code,
        "Pseudo",  # the language's own name in the switcher
        # Content with no pseudo translation falls back to English by design (marked with
        # lang="en" where markup allows; a <title> can't carry it).
        consultation.title["en"],
        # City services: names in a <title>, codes in the staff pages, the words searched for.
        *(name["en"] for name in session.scalars(select(Service.name))),
        *session.scalars(select(Service.code)),
        "basura",
        "pothool",
        "OSError",  # the kind of error a job met, as the program names it
    }
    slug, code = consultation.slug, comment.receipt_code
    client = app.test_client()
    urls = app.url_map.bind("localhost")
    covered, statuses = set(), set()
    pages = pages_to_check(client, slug, code, pending.id, comment.id, report.id)
    for method, path, response in pages:
        assert response.status_code < 500, path
        page = "" if response.mimetype == "application/pdf" else response.get_data(as_text=True)
        if response.mimetype == "text/csv":
            assert "⟦" in page.partition("\n")[0], (path, page[:200], response.status_code)
        elif response.mimetype == "application/json":
            # Its labels and rules are in the reader's language.
            assert "⟦" in json.dumps(response.get_json(), ensure_ascii=False), path
        elif response.mimetype == "application/pdf":
            pass  # drawn from the report page, which is checked above
        else:
            assert f'<html lang="{PSEUDO}"' in page, path
            assert untranslated_text(page, data) == [], (path, untranslated_text(page, data))
        statuses.add(response.status_code)
        with contextlib.suppress(HTTPException):
            covered.add(urls.match(path.split("?")[0], method=method)[0])
    assert {200, 400, 404, 422, 429} <= statuses
    expected = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "lang" in rule.arguments and "GET" in (rule.methods or ())
    }
    assert expected <= covered, f"pages the pseudo-locale test does not visit: {expected - covered}"


def test_a_fifth_language_is_one_catalog_and_one_line(app: Flask, session: Any) -> None:
    make_consultation(session)
    session.commit()
    client = app.test_client()
    page = client.get(f"/{PSEUDO}/").get_data(as_text=True)
    assert f'<html lang="{PSEUDO}"' in page
    assert pseudo("Have your say") in page
    assert f'hreflang="{PSEUDO}"' in client.get("/en/").get_data(as_text=True)
    newcomer = app.test_client()
    response = newcomer.get("/", headers={"Accept-Language": f"{PSEUDO},en;q=0.5"})
    assert response.headers["Location"].endswith(f"/{PSEUDO}/")
