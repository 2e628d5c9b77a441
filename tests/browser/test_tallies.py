"""A council member reads the tallies before the vote: filters them, opens the printable report.

Found by role and by the words of the page's language, as a screen reader user finds them, with
axe on every page, in English and in Somali, without JavaScript as well.
"""

import re
from typing import Any

import pytest
from babel.numbers import format_decimal

pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from engagement.consultations.queries import consultation_by_slug
from engagement.db import db, utcnow
from engagement.i18n import LANGUAGES
from engagement.tallies.queries import TallyFilters, tally
from tests.browser.support import HEIGHT, SLUG, TOPIC_NAMES, LiveServer, catalog_text

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def assert_axe_clean(page: Page) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    found = [f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)" for v in violations]
    assert found == [], f"axe on {page.url}: {found}"


@pytest.mark.parametrize(
    ("lang", "javascript"), [("en", True), ("so", True), ("en", False)], ids=["en", "so", "no-js"]
)
def test_council_member_filters_the_tallies_and_opens_the_report(
    new_context: Any, live_server: LiveServer, staff_state: Any, lang: str, javascript: bool
) -> None:
    t = catalog_text(lang)
    context = new_context(
        viewport={"width": 1280, "height": HEIGHT},
        storage_state=staff_state,
        java_script_enabled=javascript,
    )
    page = context.new_page()

    page.goto(f"/{lang}/staff/")
    link = t("Council tallies and hearing report: %(title)s", title="")
    page.get_by_role("link", name=re.compile(re.escape(link))).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Council tallies"))
    totals = page.get_by_role("region", name=t("Comments counted"), exact=True)
    expect(totals.get_by_role("table")).to_be_visible()
    if javascript:
        assert_axe_clean(page)

    # The filters are folded away until asked for; the form works without a script.
    page.get_by_text(t("Filter the tallies"), exact=True).click()
    topic = TOPIC_NAMES["public-safety-benefits"][lang]
    page.get_by_role("combobox", name=t("Topic"), exact=True).select_option(label=topic)
    page.get_by_role("button", name=t("Show tallies"), exact=True).click()
    page.wait_for_url(re.compile(r"topic=public-safety-benefits"))
    total = page.get_by_role("region", name=t("Comments counted"), exact=True)
    with live_server.app.app_context():
        consultation = consultation_by_slug(db.session, SLUG)
        expected = tally(
            db.session, consultation, TallyFilters(topic="public-safety-benefits"), now=utcnow()
        ).total.total.comments
    assert expected > 0
    expect(total.locator("tfoot td").first).to_have_text(
        format_decimal(expected, locale=LANGUAGES[lang].formatting_locale)
    )

    page.get_by_role("link", name=t("Printable hearing report"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{lang}/staff/tallies/{SLUG}/report\?.*topic="))
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Hearing report"))
    expect(page.get_by_text(t("Filters"), exact=True)).to_be_visible()
    if javascript:
        assert_axe_clean(page)
    context.close()
