"""Accessibility in a real browser: axe on every page, the keyboard alone, reflow at 320 px.

axe checks WCAG 2.0 and 2.1, levels A and AA. A failure lists each violation with what to fix,
so it can be fixed in the template or site.css without running anything else.
"""

import re
from typing import Any

import pytest

pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.support import (
    ALL_PAGES,
    HEIGHT,
    LANGS,
    MAIN_PAGES,
    SLUG,
    STAFF_PAGES,
    TOPIC_NAMES,
    WIDTHS,
    LiveServer,
    catalog_text,
    describe,
    error_summary,
    focused,
    visit,
)

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_report(url: str, violations: list[dict[str, Any]]) -> str:
    """Each violation: rule, impact, what it asks, where (first elements) and how to fix."""
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}] on {len(nodes)} element(s)"
        )
        for node in nodes[:3]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def new_page(new_context: Any, width: int, staff_state: dict[str, Any] | None = None) -> Page:
    context = new_context(viewport={"width": width, "height": HEIGHT}, storage_state=staff_state)
    page: Page = context.new_page()
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ALL_PAGES)
def test_axe_finds_no_violations(
    new_context: Any,
    live_server: LiveServer,
    staff_state: dict[str, Any],
    name: str,
    lang: str,
    width: int,
) -> None:
    page = new_page(new_context, width, staff_state if name in STAFF_PAGES else None)
    # A page that breaks under the Content-Security-Policy says so in the console.
    # (Chromium also logs a page answered with 4xx as an error; visit() checks those statuses.)
    problems: list[str] = []
    expected = "Failed to load resource: the server responded with a status of 4"
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith(expected)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    visit(page, name, lang, live_server)
    assert problems == [], f"console errors on {name}: {problems}"
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        report = axe_report(f"{name} {page.url} at {width} px", violations)
        print(report)
        pytest.fail(report, pytrace=False)


# --- the keyboard alone ---------------------------------------------------------------------


def tab_until(page: Page, wanted: str, limit: int = 80) -> list[str]:
    """Press Tab until the focused element matches the CSS selector ``wanted``.

    Returns what got the focus on the way, and checks each had a visible focus outline.
    """
    seen = []
    for _press in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        seen.append(describe(element))
        assert element["outlineStyle"] != "none", f"no focus outline on {seen[-1]}"
        assert element["outlineWidth"] != "0px", f"no focus outline on {seen[-1]}"
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return seen
    raise AssertionError(f"{wanted} not reached with Tab; focus went to {seen}")


@pytest.mark.parametrize("lang", LANGS)
def test_comment_form_with_the_keyboard_alone(
    new_context: Any, live_server: LiveServer, lang: str
) -> None:
    t = catalog_text(lang)
    page = new_page(new_context, 1280)
    page.goto(f"/{lang}/consultations/{SLUG}")

    # The first Tab stop is the skip link; it shows when focused and takes focus to <main>.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=t("Skip to main content"), exact=True)
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert focused(page)["outlineStyle"] != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    # Through the whole form to the send button, without filling anything in, and send.
    route = tab_until(page, "#comment-form button[type=submit]")
    for stop in ("textarea#body", "input#position-1", "input#topics-1", "select#neighborhood"):
        assert stop in route, f"{stop} is not on the Tab route: {route}"
    assert not any("#website" in stop for stop in route), "the bot trap is reachable by Tab"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The errors are listed at the top of the form, each linked to its field.
    summary = error_summary(page, t)
    expect(summary).to_be_visible()
    form_section = page.locator("#comment-form")
    assert form_section.evaluate(
        "s => s.querySelector('.error-summary').compareDocumentPosition(s.querySelector('form'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    ), "the error summary is not above the form"
    links = summary.get_by_role("link")
    expected = {
        "#body": t("Write your comment before sending."),
        "#position": t("Choose where you stand on the pilot."),
        "#neighborhood": t("Choose your neighborhood, or one of the other answers."),
    }
    assert {links.nth(i).get_attribute("href"): links.nth(i).inner_text()
            for i in range(links.count())} == expected  # fmt: skip
    for target in expected:
        assert page.locator(f"form {target}").count() == 1, f"{target} is not a field"
    expect(page.locator("#body")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#body")).to_have_attribute("aria-describedby", re.compile("body-error"))

    # The page opens at the form (#comment-form), so the next Tab is the first error link;
    # Enter on it puts the focus in the field to correct.
    first_link = summary.get_by_role("link").first
    page.keyboard.press("Tab")
    expect(first_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("textarea#body")).to_be_focused()
    page.keyboard.type(f"Typed with the keyboard alone ({lang}).")

    # Position: Tab into the radio group, Space chooses the first, ArrowDown the next one.
    page.keyboard.press("Tab")
    expect(page.locator("input#position-1")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    oppose = page.get_by_role("radio", name=t("I oppose the pilot"), exact=True)
    expect(oppose).to_be_checked()
    expect(oppose).to_be_focused()

    # Topics: each box is a Tab stop, Space ticks it.
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    first_topic = page.get_by_role("checkbox", name=TOPIC_NAMES["privacy-surveillance"][lang])
    expect(first_topic).to_be_checked()

    # Neighborhood: ArrowDown on the closed list picks the first neighborhood.
    tab_until(page, "select#neighborhood")
    page.keyboard.press("ArrowDown")
    assert page.locator("select#neighborhood").input_value() != ""

    tab_until(page, "#comment-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/{lang}/receipts/"))
    expect(page.get_by_text(t("Received, waiting for review"), exact=True)).to_be_visible()


# --- reflow ---------------------------------------------------------------------------------

OVERFLOWING = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 0.5 && !e.closest(".skip-link, .trap");
  });
  // Only the outermost offenders: their children overflow because they do.
  return wide.filter(e => !wide.includes(e.parentElement)).slice(0, 8).map(e =>
    `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}`
    + ` right=${Math.round(e.getBoundingClientRect().right)}`);
}"""


@pytest.mark.parametrize("width", [320, 640], ids=["320px", "200%-zoom-640px"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", MAIN_PAGES)
def test_no_sideways_scrolling(
    new_context: Any,
    live_server: LiveServer,
    staff_state: dict[str, Any],
    name: str,
    lang: str,
    width: int,
) -> None:
    """WCAG 1.4.10: nothing scrolls sideways at 320 CSS px, nor at 640 (1280 px at 200 % zoom)."""
    page = new_page(new_context, width, staff_state if name in STAFF_PAGES else None)
    visit(page, name, lang, live_server)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{name} ({lang}) at {width} px is {scroll_width} px wide; "
        f"too wide: {page.evaluate(OVERFLOWING)}"
    )
