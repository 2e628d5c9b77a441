"""A resident finds a city service in Spanish, with a typo, then finds their ward.

Found as a screen reader user finds things: by role and by the words of the page's language
(from the compiled catalog), with axe run on every page of the way.
"""

import re
from typing import Any

import pytest

pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.support import HEIGHT, LiveServer, catalog_text

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def assert_axe_clean(page: Page) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    found = [f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)" for v in violations]
    assert found == [], f"axe on {page.url}: {found}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_resident_searches_in_spanish_with_a_typo_and_finds_their_ward(
    new_context: Any, live_server: LiveServer, javascript: bool
) -> None:
    live_server.load_services()
    t = catalog_text("es")
    context = new_context(viewport={"width": 360, "height": HEIGHT}, java_script_enabled=javascript)
    page = context.new_page()

    def check_accessibility() -> None:
        if javascript:  # axe runs as a script in the page
            assert_axe_clean(page)

    # From the home page, through the main menu.
    page.goto("/es/")
    menu = page.get_by_role("navigation", name=t("Main"), exact=True)
    menu.get_by_role("link", name=t("City services"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("City services"))
    # A Spanish reader sees the Spanish 311 line first.
    expect(page.locator("main .language-line")).to_contain_text("612-673-2700")
    check_accessibility()

    # "basura" typed with two letters swapped.
    page.get_by_role("searchbox", name=t("What do you need help with?")).fill("basrua")
    page.get_by_role("button", name=t("Search"), exact=True).click()
    page.wait_for_url(re.compile(r"/es/services\?q=basrua$"))
    results = page.get_by_role("region", name=t("Results for \u201c%(text)s\u201d", text="basrua"))
    first = results.get_by_role("listitem").first.get_by_role("link")
    expect(first).to_be_visible()
    expect(page.get_by_role("searchbox")).to_have_value("basrua")
    check_accessibility()

    # The first result's own page, in Spanish, with a way to reach the service.
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("h1 [lang]")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name=t("How to reach it"), exact=True)).to_be_visible()
    expect(page.locator('main a[href^="tel:"]').first).to_be_visible()
    check_accessibility()

    # Back to the services, then find my ward.
    breadcrumb = page.get_by_role("navigation", name=t("Breadcrumb"), exact=True)
    breadcrumb.get_by_role("link", name=t("City services"), exact=True).click()
    page.get_by_role("link", name=t("Find my ward and council member"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Find my ward"))
    neighborhood = page.get_by_role("combobox", name=t("Your neighborhood"), exact=True)
    neighborhood.select_option(label="East Isles")
    page.get_by_role("button", name=t("Show my ward"), exact=True).click()
    page.wait_for_url(re.compile(r"neighborhood=east-isles"))
    result = page.get_by_role("region", name="East Isles")
    expect(result).to_contain_text("Calhoun Isles")
    for number in (7, 10):
        link = result.get_by_role(
            "link", name=t("Ward %(number)s (council member's page)", number=number)
        )
        expect(link).to_have_attribute(
            "href", f"https://www.minneapolismn.gov/government/city-council/members/ward-{number}/"
        )
    check_accessibility()


def test_the_consultation_links_to_the_police_complaint(
    new_context: Any, live_server: LiveServer
) -> None:
    live_server.load_services()
    t = catalog_text("so")
    page = new_context(viewport={"width": 1280, "height": HEIGHT}).new_page()
    page.goto("/so/consultations/clearview-ai-pilot")
    page.get_by_role("link", name=t("File a police conduct complaint"), exact=True).click()
    page.wait_for_url(re.compile(r"/so/services/opcr-complaint$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name=t("Read the proposal and comment"), exact=True).click()
    page.wait_for_url(re.compile(r"/so/consultations/clearview-ai-pilot$"))
