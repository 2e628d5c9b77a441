"""Every page's HTML passes the Nu Html Checker (vnu) with no errors.

The checker is the npm package vnu-jar (`npm install` in the project folder), run with the
machine's Java. One test renders every page in every language, saves them, and checks them all in
a single run of the checker: Java starts once, which is most of the cost. Without Java or without
the package, the test is skipped and says which one is missing.
"""

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engagement import i18n
from engagement.comments.models import CommentStatus
from engagement.config import PROJECT_ROOT
from tests.city_services.builders import load_fixture_catalog
from tests.conftest import csrf_token, form_tokens
from tests.factories import make_comment

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")

# A phone number in the pending comment, so its review page offers redaction checkboxes.
PENDING_BODY = "Please call me at 612-555-0199 about the pilot."

pytestmark = [
    pytest.mark.skipif(JAVA is None, reason="needs `java` on PATH to run the Nu Html Checker"),
    pytest.mark.skipif(
        not VNU_JAR.is_file(),
        reason=f"needs the Nu Html Checker: run `npm install` ({VNU_JAR} is missing)",
    ),
]


Page = tuple[str, Any, int]  # (name, response, expected status)


def public_pages(client: FlaskClient, lang: str, slug: str, code: str) -> list[Page]:
    """The pages a resident sees, each with the status it should answer."""
    base = f"/{lang}"
    consultation = f"{base}/consultations/{slug}"
    comments = f"{consultation}/comments"
    form = form_tokens(client.get(consultation).text)
    return [
        ("home", client.get(f"{base}/"), 200),
        ("consultation", client.get(consultation), 200),
        ("comment-form-empty-post", client.post(comments, data={}), 422),
        # Valid tokens and nothing else: each field gets its own message.
        ("comment-form-field-errors", client.post(comments, data=form), 422),
        ("comments", client.get(comments), 200),
        ("comments-filter-error", client.get(comments, query_string={"topic": "zz"}), 400),
        ("comments-older", client.get(f"{comments}?before=20991231T000000Z_ZZZZ-ZZZZ-ZZZZ"), 200),
        (
            "comments-past-the-end",
            client.get(f"{comments}?before=20000101T000000Z_0000-0000-0000"),
            200,
        ),
        ("comments-damaged-position", client.get(f"{comments}?before=zz"), 400),
        ("comments-old-page-number", client.get(f"{comments}?page=3", follow_redirects=True), 200),
        ("permalink", client.get(f"{comments}/{code}"), 200),
        ("receipt-lookup", client.get(f"{base}/receipts"), 200),
        ("receipt-lookup-empty-code", client.get(f"{base}/receipts?code="), 400),
        ("receipt-lookup-unknown-code", client.get(f"{base}/receipts?code=7KQ2-M9XD-4RTB"), 404),
        ("receipt", client.get(f"{base}/receipts/{code}"), 200),
        ("not-found", client.get(f"{base}/no-such-page"), 404),
        ("report", client.get(f"{comments}/{code}/report"), 200),
        ("moderation-summary", client.get(f"{consultation}/moderation"), 200),
        ("tallies", client.get(f"{consultation}/tallies"), 200),
        ("tallies-filter-error", client.get(f"{consultation}/tallies?until=zz"), 400),
        ("staff-login", client.get(f"{base}/staff/login"), 200),
        ("open-data", client.get(f"{base}/open-data"), 200),
        ("services", client.get(f"{base}/services"), 200),
        ("services-results", client.get(f"{base}/services?q=basura"), 200),
        ("services-no-results", client.get(f"{base}/services?q=pothool"), 200),
        ("services-search-error", client.get(f"{base}/services?q="), 400),
        ("service", client.get(f"{base}/services/opcr-complaint"), 200),
        ("service-uncertain-phone", client.get(f"{base}/services/garbage-recycling"), 200),
        ("find-my-ward", client.get(f"{base}/services/find-my-ward"), 200),
        ("ward", client.get(f"{base}/services/find-my-ward?neighborhood=east-isles"), 200),
        ("ward-error", client.get(f"{base}/services/find-my-ward?neighborhood=zz"), 400),
    ]


def staff_pages(client: FlaskClient, lang: str, slug: str, review: dict[str, int]) -> list[Page]:
    """The pages an admin sees; the client must be signed in."""
    staff = f"/{lang}/staff"
    moderation = f"{staff}/moderation"
    enter = f"{moderation}/enter"
    entry_token = csrf_token(client.get(enter).text)
    return [
        ("staff-home", client.get(f"{staff}/"), 200),
        ("moderation-queue", client.get(f"{moderation}/"), 200),
        # Pending: publish, redact (with its checkboxes), reject. Published: hide. Hidden: restore.
        *(
            (f"review-{state}", client.get(f"{moderation}/comments/{comment_id}"), 200)
            for state, comment_id in review.items()
        ),
        ("staff-entry", client.get(enter), 200),
        ("staff-entry-errors", client.post(enter, data={"csrf_token": entry_token}), 422),
        ("staff-accounts", client.get(f"{staff}/accounts"), 200),
        ("consultation-dates", client.get(f"{staff}/consultations/{slug}"), 200),
        ("council-dashboard", client.get(f"{staff}/tallies/{slug}?include_pending=y"), 200),
        ("hearing-report", client.get(f"{staff}/tallies/{slug}/report"), 200),
        ("staff-services", client.get(f"{staff}/services/"), 200),
        ("service-edit", client.get(f"{staff}/services/pothole"), 200),
        ("service-edit-errors", client.post(f"{staff}/services/pothole", data={}), 422),
    ]


def run_vnu(files: list[Path]) -> tuple[list[dict[str, Any]], float]:
    """The checker's error messages for the files (one Java run), and how long it took."""
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed program, our own temporary files
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    elapsed = time.monotonic() - started
    # vnu writes its report to stderr as one line of JSON (after any notice from Java, such as
    # "Picked up JAVA_TOOL_OPTIONS"), and exits 1 when it found errors.
    reports = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert reports, f"vnu exited {result.returncode}: {result.stderr or result.stdout}"
    messages = json.loads(reports[-1])["messages"]
    return [m for m in messages if m.get("type") in ("error", "non-document-error")], elapsed


@pytest.mark.config(
    COMMENT_RATE_LIMIT="1000 per minute", STATUS_LOOKUP_RATE_LIMIT="1000 per minute"
)
def test_every_page_is_valid_html(
    client: FlaskClient,
    session: Session,
    consultation: Any,
    login_as: Callable[..., Any],
    tmp_path: Path,
) -> None:
    published = make_comment(session, consultation, status=CommentStatus.PUBLISHED)
    pending = make_comment(session, consultation, status=CommentStatus.PENDING, body=PENDING_BODY)
    hidden = make_comment(session, consultation, status=CommentStatus.HIDDEN)
    load_fixture_catalog(session)
    session.commit()
    review = {"pending": pending.id, "published": published.id, "hidden": hidden.id}
    slug, code = consultation.slug, published.receipt_code

    pages: list[tuple[str, str, Any, int]] = []
    for lang in i18n.LANGUAGES:
        pages += [(lang, *page) for page in public_pages(client, lang, slug, code)]
    login_as("admin")
    for lang in i18n.LANGUAGES:
        pages += [(lang, *page) for page in staff_pages(client, lang, slug, review)]

    files = []
    for lang, name, response, expected in pages:
        assert response.status_code == expected, (name, lang, response.status_code)
        assert response.mimetype == "text/html", (name, lang, response.mimetype)
        path = tmp_path / f"{name}-{lang}.html"
        path.write_bytes(response.get_data())
        files.append(path)
    # The redaction checkbox for the phone number is there to be checked.
    assert 'name="suggested"' in (tmp_path / "review-pending-en.html").read_text()

    errors, elapsed = run_vnu(files)
    print(f"vnu checked {len(files)} pages in {elapsed:.1f} s")
    report = "\n".join(
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m.get('message')}\n"
        f"    {m.get('extract', '').strip()!r}"
        for m in errors
    )
    assert not errors, f"{len(errors)} HTML errors:\n{report}"
