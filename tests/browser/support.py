"""What the browser tests share: the catalogs, the live server's handle, the pages, screenshots.

Everything a person reads is looked up in the compiled catalog of the page's language, the same
one the app uses, so a test finds a field by its label as a screen reader announces it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.support import NullTranslations, Translations
from sqlalchemy import select

from engagement.city_services.operations import CATALOG, load_catalog
from engagement.comments.models import Comment, CommentStatus, Position
from engagement.comments.operations import CommentDraft, submit_comment
from engagement.config import PROJECT_ROOT
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db
from engagement.i18n import LANGUAGES

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Locator, Page

SLUG = "clearview-ai-pilot"
LANGS = list(LANGUAGES)
#: A small phone and a laptop: every page is looked at (and photographed) at both.
WIDTHS = (360, 1280)
HEIGHT = 800
TRANSLATIONS = PROJECT_ROOT / "translations"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
STAFF_EMAIL = "moderator@minneapolismn.gov"
STAFF_PASSWORD = "correct horse battery staple"
_PILOT = json.loads(
    (PROJECT_ROOT / "engagement" / "consultations" / "clearview_pilot.json").read_text("utf-8")
)
#: The consultation's topics as the form shows them: ``TOPIC_NAMES["privacy-surveillance"]["so"]``.
TOPIC_NAMES: dict[str, dict[str, str]] = {
    topic["slug"]: topic["name"] for topic in _PILOT["topics"]
}
#: The city services: the real catalog once it is written, else the tests' small one.
SERVICES_CATALOG = (
    CATALOG if CATALOG.exists() else PROJECT_ROOT / "tests" / "city_services" / "catalog.json"
)
#: A service in both catalogs (the police conduct complaint, linked from the consultation).
SERVICE_CODE = "opcr-complaint"
#: A word for garbage in each language, as a resident would search for it.
SEARCH_WORDS = {"en": "garbage", "es": "basura", "so": "qashin", "hmn": "khib nyiab"}


@cache
def _catalog(lang: str) -> NullTranslations:
    if lang != "en":  # English is the source language: it has no catalog of its own
        compiled = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        assert compiled.exists(), f"{compiled} is missing: run `make i18n-compile` first"
    return Translations.load(str(TRANSLATIONS), [lang])


def catalog_text(lang: str) -> Callable[..., str]:
    """``t = catalog_text("so"); t("Send my comment")``: what the page says in that language."""
    catalog = _catalog(lang)

    def gettext(msgid: str, **values: Any) -> str:
        text = catalog.gettext(msgid)
        return text % values if values else text

    return gettext


def required(t: Callable[..., str], label: str) -> str:
    """The accessible name of a required field's label: the label, then "(required)"."""
    return f"{t(label)} ({t('required')})"


@dataclass(frozen=True)
class Seeded:
    id: int
    code: str
    body: str
    lang: str


@dataclass
class LiveServer:
    """The app served on a real port, and a way to put comments straight into its database."""

    url: str
    app: Flask
    published: dict[str, Seeded] = field(default_factory=dict)
    _pending: dict[str, Seeded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _services_loaded: bool = False

    def load_services(self) -> None:
        """The city services catalog, loaded the first time a test needs it."""
        with self._lock:
            if self._services_loaded:
                return
            with self.app.app_context():
                load_catalog(db.session, SERVICES_CATALOG)
                db.session.commit()
            self._services_loaded = True

    def seed(
        self,
        body: str,
        lang: str,
        *,
        position: Position = Position.OPPOSE,
        topics: Sequence[str] = (),
        neighborhood: str = "seward",
        display_name: str | None = None,
    ) -> Seeded:
        """A pending comment, as if a resident had sent it through the form."""
        draft = CommentDraft(
            body=body,
            position=position,
            topic_slugs=list(topics),
            neighborhood=neighborhood,
            display_name=display_name,
            contact_email=None,
            locale=lang,
        )
        with self._lock, self.app.app_context():
            consultation = consultation_by_slug(db.session, SLUG)
            comment = submit_comment(db.session, consultation, draft, submission_token=None)
            db.session.commit()
            return Seeded(comment.id, comment.receipt_code, body, lang)

    def status(self, code: str) -> CommentStatus:
        with self.app.app_context():
            status = db.session.scalar(select(Comment.status).where(Comment.receipt_code == code))
            assert status is not None, code
            return status

    def pending(self, lang: str) -> Seeded:
        """A comment in ``lang`` still waiting for review (a new one if the last was decided)."""
        known = self._pending.get(lang)
        if known is None or self.status(known.code) != CommentStatus.PENDING:
            known = self.seed(
                f"Seeded for the review page ({lang}). Call 612-555-0148 about the camera "
                "on Franklin Avenue, and please say how long the photos would be kept.",
                lang,
                topics=["privacy-surveillance", "data-retention-security"],
                neighborhood="phillips-west",
            )
            self._pending[lang] = known
        return known


# --- the pages ------------------------------------------------------------------------------

#: Pages anyone can open, then the staff pages (opened signed in as a moderator).
PUBLIC_PAGES = (
    "home",
    "consultation",
    "form-errors",
    "receipt",
    "comments",
    "comment",
    "report",
    "moderation-summary",
    "lookup",
    "lookup-error",
    "login",
    "services",
    "services-search",
    "service",
    "find-my-ward",
    "ward",
    "tallies",
)
STAFF_PAGES = (
    "staff-home",
    "queue",
    "review",
    "enter",
    "accounts",
    "settings",
    "staff-services",
    "service-edit",
    "dashboard",
    "hearing-report",
)
#: The pages that need the city services catalog.
SERVICE_PAGES = (
    "services",
    "services-search",
    "service",
    "find-my-ward",
    "ward",
    "staff-services",
    "service-edit",
)
ALL_PAGES = PUBLIC_PAGES + STAFF_PAGES
#: The pages a resident or a moderator spends time on: photographed, checked for reflow.
MAIN_PAGES = (
    "home",
    "consultation",
    "form-errors",
    "receipt",
    "comments",
    "lookup",
    "login",
    "queue",
    "review",
    "services-search",
    "service",
    "ward",
    "tallies",
    "dashboard",
)


def visit(page: Page, name: str, lang: str, server: LiveServer) -> None:
    """Open one of the named pages in ``lang`` and check that it answered as it should."""
    t = catalog_text(lang)
    status = 200
    if name == "home":
        path = f"/{lang}/"
    elif name in ("consultation", "form-errors"):
        path = f"/{lang}/consultations/{SLUG}"
    elif name == "receipt":
        path = f"/{lang}/receipts/{server.pending(lang).code}"
    elif name == "comments":
        path = f"/{lang}/consultations/{SLUG}/comments"
    elif name == "comment":
        path = f"/{lang}/consultations/{SLUG}/comments/{server.published[lang].code}"
    elif name == "report":
        path = f"/{lang}/consultations/{SLUG}/comments/{server.published[lang].code}/report"
    elif name == "moderation-summary":
        path = f"/{lang}/consultations/{SLUG}/moderation"
    elif name == "lookup":
        path = f"/{lang}/receipts"
    elif name == "lookup-error":
        path, status = f"/{lang}/receipts?code=ZZZZ-ZZZZ-ZZZ0", 404
    elif name == "login":
        path = f"/{lang}/staff/login"
    elif name == "queue":
        path = f"/{lang}/staff/moderation/"
    elif name == "review":
        path = f"/{lang}/staff/moderation/comments/{server.pending(lang).id}"
    elif name == "staff-home":
        path = f"/{lang}/staff/"
    elif name == "enter":
        path = f"/{lang}/staff/moderation/enter"
    elif name == "accounts":
        path = f"/{lang}/staff/accounts"
    elif name == "settings":
        path = f"/{lang}/staff/consultations/{SLUG}"
    elif name == "services":
        path = f"/{lang}/services"
    elif name == "services-search":
        path = f"/{lang}/services?q={SEARCH_WORDS[lang]}"
    elif name == "service":
        path = f"/{lang}/services/{SERVICE_CODE}"
    elif name == "find-my-ward":
        path = f"/{lang}/services/find-my-ward"
    elif name == "ward":
        path = f"/{lang}/services/find-my-ward?neighborhood=east-isles"
    elif name == "staff-services":
        path = f"/{lang}/staff/services/"
    elif name == "service-edit":
        path = f"/{lang}/staff/services/{SERVICE_CODE}"
    elif name == "tallies":
        path = f"/{lang}/consultations/{SLUG}/tallies"
    elif name == "dashboard":
        path = f"/{lang}/staff/tallies/{SLUG}"
    elif name == "hearing-report":
        path = f"/{lang}/staff/tallies/{SLUG}/report"
    else:
        raise ValueError(name)
    if name in SERVICE_PAGES:
        server.load_services()
    response = page.goto(server.url + path)
    assert response is not None
    assert response.status == status, f"{path}: {response.status}"
    if name in STAFF_PAGES:
        assert "/staff/login" not in page.url, "not signed in"
    if name == "form-errors":
        button = page.get_by_role("button", name=t("Send my comment"), exact=True)
        with page.expect_response(lambda r: r.request.method == "POST") as sent:
            button.click()
        assert sent.value.status == 422
        page.wait_for_load_state()
        error_summary(page, t).wait_for()
    assert page.locator("html").get_attribute("lang") == lang


def error_summary(page: Page, t: Callable[..., str]) -> Locator:
    """The box that lists a form's problems, found by its role and heading."""
    return page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name=t("Please check the form"))
    )


def screenshot(page: Page, name: str, lang: str, width: int) -> Path:
    """Keep a full-page picture as test-artifacts/screenshots/<name>-<lang>-<width>.png."""
    path = SCREENSHOTS / f"{name}-{lang}-{width}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: its tag, id, name, type, text and outline."""
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          const s = getComputedStyle(e);
          return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute("name"),
                  type: e.getAttribute("type"), text: (e.innerText || "").trim(),
                  href: e.getAttribute("href"), checked: !!e.checked, value: e.value ?? null,
                  outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth};
        }"""
    )


def describe(element: dict[str, Any]) -> str:
    parts = [element["tag"]]
    if element["id"]:
        parts.append(f"#{element['id']}")
    if element["tag"] == "a":
        parts.append(f"[href={element['href']}]")
    return "".join(parts)
