"""A resident and a moderator using the site in a real browser, in each of the four languages.

Fields, buttons and links are found as a screen reader user finds them: by their role and the
words of their label in the page's language, taken from the compiled catalog.
"""

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
from playwright.sync_api import Page, expect

from engagement.comments.models import CommentStatus
from engagement.i18n import LANGUAGES
from tests.browser.support import (
    HEIGHT,
    LANGS,
    MAIN_PAGES,
    SLUG,
    STAFF_EMAIL,
    STAFF_PAGES,
    STAFF_PASSWORD,
    TOPIC_NAMES,
    WIDTHS,
    LiveServer,
    Seeded,
    catalog_text,
    required,
    screenshot,
    visit,
)

PHONE = "612-555-0199"
CODE_PATTERN = r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"


def ref() -> str:
    """A word no other comment contains, to find this test's comments among everyone's."""
    return f"Ref-{uuid.uuid4().hex[:8]}"


def with_code(t: Callable[..., str], msgid: str) -> re.Pattern[str]:
    """A catalog message with a receipt code in it, as a pattern that captures the code."""
    text = re.escape(t(msgid)).replace(re.escape("%(code)s"), f"({CODE_PATTERN})")
    return re.compile(f"^{text}$")


# --- the resident ---------------------------------------------------------------------------


def send_a_comment_and_check_the_receipt(page: Page, server: LiveServer, lang: str) -> str:
    """Write a comment with the form, get the receipt, look it up again; return the code."""
    t = catalog_text(lang)
    topic = TOPIC_NAMES["privacy-surveillance"][lang]
    body = f"{ref()}: who would see the face scans, and for how long would they be kept?"

    page.goto(f"/{lang}/consultations/{SLUG}")
    expect(page.get_by_role("heading", name=t("Send your comment"), exact=True)).to_be_visible()
    page.get_by_label(required(t, "Your comment"), exact=True).fill(body)
    page.get_by_role("radio", name=t("I oppose the pilot"), exact=True).check()
    page.get_by_role("checkbox", name=topic, exact=True).check()
    neighborhood = page.get_by_role("combobox", name=required(t, "Where you live"), exact=True)
    neighborhood.select_option(label="Cedar Riverside")
    page.get_by_role("button", name=t("Send my comment"), exact=True).click()

    # The form posts to ...#comment-form, and the browser keeps that fragment on the redirect.
    page.wait_for_url(re.compile(f"/{lang}/receipts/{CODE_PATTERN}(#comment-form)?$"))
    expect(page.get_by_role("status")).to_contain_text(
        t("Thank you. Your comment was received and stored.")
    )
    code = page.get_by_role("region", name=t("Receipt code")).locator(".receipt-code").inner_text()
    assert re.fullmatch(CODE_PATTERN, code), code
    expect(page.get_by_text(t("Received, waiting for review"), exact=True)).to_be_visible()
    expect(page.locator(".comment-text")).to_have_text(body)
    expect(page.get_by_text("Cedar Riverside (University)", exact=True)).to_be_visible()
    expect(page.get_by_text(topic, exact=True)).to_be_visible()

    main_nav = page.get_by_role("navigation", name=t("Main"), exact=True)
    main_nav.get_by_role("link", name=t("Check a receipt"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check a receipt"))
    # Typed as a person might copy it from paper: small letters, spaces for dashes.
    page.get_by_label(required(t, "Receipt code"), exact=True).fill(code.lower().replace("-", " "))
    page.get_by_role("button", name=t("Check"), exact=True).click()
    page.wait_for_url(re.compile(f"/{lang}/receipts/{code}$"))
    expect(page.get_by_text(t("Received, waiting for review"), exact=True)).to_be_visible()
    assert server.status(code) == CommentStatus.PENDING
    return code


@pytest.mark.parametrize("lang", LANGS)
def test_resident_sends_a_comment_and_checks_the_receipt(
    new_context: Any, live_server: LiveServer, lang: str
) -> None:
    page = new_context(viewport={"width": 360, "height": HEIGHT}).new_page()
    send_a_comment_and_check_the_receipt(page, live_server, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_resident_journey_works_without_javascript(
    new_context: Any, live_server: LiveServer, lang: str
) -> None:
    context = new_context(viewport={"width": 360, "height": HEIGHT}, java_script_enabled=False)
    page = context.new_page()
    send_a_comment_and_check_the_receipt(page, live_server, lang)


# --- the moderator --------------------------------------------------------------------------

#: A comment with a phone number in it, in each language.
WITH_PHONE = {
    "en": "{ref}: I saw the camera van on Lake Street. Call me at {phone} if the City wants "
    "to know more.",
    "es": "{ref}: Vi la camioneta con cámaras en Lake Street. Llámenme al {phone} si la Ciudad "
    "quiere saber más.",
    "so": "{ref}: Waxaan arkay baabuurka kamaradaha ee Lake Street. Iga wac {phone} haddii "
    "Magaaladu rabto inay wax badan ogaato.",
    "hmn": "{ref}: Kuv pom lub tsheb koob yees duab ntawm Lake Street. Hu rau kuv ntawm {phone} "
    "yog Lub Nroog xav paub ntxiv.",
}


def sign_in(page: Page, lang: str) -> None:
    t = catalog_text(lang)
    page.goto(f"/{lang}/staff/login")
    page.get_by_label(required(t, "E-mail address"), exact=True).fill(STAFF_EMAIL)
    page.get_by_label(required(t, "Password"), exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(f"/{lang}/staff/"))
    assert "/staff/login" not in page.url


def open_queue_for(page: Page, lang: str, language: str) -> None:
    """From any staff page: the queue, filtered to comments written in ``language``."""
    t = catalog_text(lang)
    page.goto(f"/{lang}/staff/moderation/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Moderation queue"))
    page.get_by_role("combobox", name=t("Language"), exact=True).select_option(
        label=LANGUAGES[language].native_name
    )
    page.get_by_role("button", name=t("Filter"), exact=True).click()
    page.wait_for_url(re.compile(f"language={language}"))


def review(page: Page, lang: str, comment: Seeded) -> None:
    """Open the review page of one comment from the (filtered) queue."""
    t = catalog_text(lang)
    card = page.locator("article").filter(has_text=comment.body.split(":")[0])
    card.get_by_role("link", name=t("Review %(code)s", code=comment.code), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Review %(code)s", code=comment.code)
    )


def flash(page: Page, message: str) -> None:
    expect(page.locator(".flashes")).to_contain_text(message)


@pytest.mark.parametrize("lang", LANGS)
def test_moderator_publishes_redacts_and_rejects(
    new_context: Any, live_server: LiveServer, lang: str
) -> None:
    t = catalog_text(lang)
    plain = live_server.seed(f"{ref()}: publish the audit results every month, please.", lang)
    phone = live_server.seed(WITH_PHONE[lang].format(ref=ref(), phone=PHONE), lang)
    spam = live_server.seed(f"{ref()}: cheap sunglasses, best prices in town, visit us.", lang)
    page = new_context(viewport={"width": 1280, "height": HEIGHT}).new_page()
    sign_in(page, lang)

    # The queue, then the first comment in it, published with one key: the button has focus.
    page.get_by_role("link", name=t("Moderation queue"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Moderation queue"))
    review_link = with_code(t, "Review %(code)s")
    page.locator("ol.queue").get_by_role("link", name=review_link).first.click()
    heading = page.get_by_role("heading", level=1).inner_text()
    first = review_link.fullmatch(heading)
    assert first, heading
    publish = page.get_by_role("button", name=t("Publish as written"), exact=True)
    expect(publish).to_be_focused()
    page.keyboard.press("Enter")
    flash(page, t("Published."))
    expect(page.get_by_role("heading", level=1)).not_to_have_text(heading)
    assert live_server.status(first.group(1)) == CommentStatus.PUBLISHED
    # Whatever was first, the comments of this test were not: they came after it.
    assert {live_server.status(c.code) for c in (phone, spam)} == {CommentStatus.PENDING}
    assert plain.code == first.group(1) or live_server.status(plain.code) == CommentStatus.PENDING

    # The comment with a phone number: the number is suggested, ticked, and removed.
    open_queue_for(page, lang, lang)
    review(page, lang, phone)
    number = page.get_by_role("checkbox", name=PHONE, exact=True)
    expect(number).to_be_checked()
    page.get_by_role("button", name=t("Preview"), exact=True).click()
    preview = page.get_by_role("region", name=t("Preview of the published text"))
    expect(preview).to_contain_text(t("[removed: personal information]"))
    expect(preview).not_to_contain_text(PHONE)
    page.get_by_role("button", name=t("Publish with these parts removed"), exact=True).click()
    flash(page, t("Published with personal information removed."))
    assert live_server.status(phone.code) == CommentStatus.PUBLISHED

    # Spam: rejected for a reason from the list.
    open_queue_for(page, lang, lang)
    review(page, lang, spam)
    page.get_by_role("combobox", name=required(t, "Reason"), exact=True).select_option(
        label=t("Spam or advertising")
    )
    page.get_by_role("button", name=t("Reject"), exact=True).click()
    flash(page, t("Rejected."))
    assert live_server.status(spam.code) == CommentStatus.REJECTED

    # The public list: the redacted comment with the marker in its language, no number, no spam.
    page.goto(f"/{lang}/consultations/{SLUG}/comments?language={lang}")
    redacted = page.locator("article.comment").filter(has_text=phone.body.split(":")[0])
    expect(redacted).to_have_count(1)
    expect(redacted.locator(f'.comment-text[lang="{lang}"]')).to_contain_text(
        t("[removed: personal information]")
    )
    expect(page.locator("main")).not_to_contain_text(PHONE)
    expect(page.locator("main")).not_to_contain_text(spam.body.split(":")[0])
    page.goto(f"/{lang}/receipts/{spam.code}")
    expect(page.get_by_text(t("Not published"))).to_be_visible()
    expect(page.get_by_text(t("Spam or advertising"))).to_be_visible()


def test_redaction_preview_is_what_will_be_published(
    new_context: Any, live_server: LiveServer
) -> None:
    """A moderator reading English reviews a Somali comment: the preview is the published text.

    The published copy carries the marker in the comment's language (Somali); the preview is
    labelled "Preview of the published text", so it must show that same Somali marker.
    """
    en, so = catalog_text("en"), catalog_text("so")
    assert so("[removed: personal information]") != en("[removed: personal information]")
    phone = live_server.seed(WITH_PHONE["so"].format(ref=ref(), phone=PHONE), "so")
    page = new_context(viewport={"width": 1280, "height": HEIGHT}).new_page()
    sign_in(page, "en")
    open_queue_for(page, "en", "so")
    review(page, "en", phone)
    page.get_by_role("button", name=en("Preview"), exact=True).click()
    preview = page.get_by_role("region", name=en("Preview of the published text"))
    previewed = preview.locator(".comment-text").inner_text()
    page.get_by_role("button", name=en("Publish with these parts removed"), exact=True).click()
    flash(page, en("Published with personal information removed."))

    page.goto(f"/en/consultations/{SLUG}/comments/{phone.code}")
    published = page.locator(".comment-text").inner_text()
    assert so("[removed: personal information]") in published
    assert previewed == published, "the preview differs from the text that was published"


# --- screenshots ----------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_screenshots_of_the_main_pages(
    new_context: Any,
    live_server: LiveServer,
    staff_state: dict[str, Any],
    lang: str,
    width: int,
) -> None:
    """Pictures for people to look at: test-artifacts/screenshots/<page>-<lang>-<width>.png."""
    viewport = {"width": width, "height": HEIGHT}
    resident = new_context(viewport=viewport).new_page()
    staff = new_context(viewport=viewport, storage_state=staff_state).new_page()
    for name in MAIN_PAGES:
        page = staff if name in STAFF_PAGES else resident
        visit(page, name, lang, live_server)  # the form's error state waits for its summary
        path = screenshot(page, name, lang, width)
        assert path.stat().st_size > 0
