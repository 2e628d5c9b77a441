"""One live server and one Chromium for the whole browser run.

The server is the real app on its own SQLite file, served by Werkzeug in a thread on a free
port, seeded once: places, the Clearview AI consultation (open now), a moderator account and a
few comments in every language. Tests add the comments they need; nothing is reset between
tests, so each test looks for its own comments by their text or receipt code.
"""

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engagement import create_app
from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.comments.models import Position
from engagement.consultations.operations import load_consultation
from engagement.db import Base, db, utcnow
from engagement.geography.operations import load_geography
from engagement.moderation.operations import publish_all_pending
from tests.browser.support import (
    LANGS,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    LiveServer,
    catalog_text,
    required,
)

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).parent


def _playwright_missing() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
        import pytest_playwright  # noqa: F401
    except ImportError:
        return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: end-to-end test in Chromium against a live server (tests/browser)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser``; skip them all when they can't run here."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    elif _playwright_missing():
        reason = (
            "Playwright is not installed: .venv/bin/pip install playwright pytest-playwright "
            "axe-playwright-python"
        )
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium: `playwright install` can't download a browser here."""
    return {
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# --- the live server ------------------------------------------------------------------------

#: Published before the first test, so the public list and a comment's own page have content.
PUBLISHED_SAMPLES = {
    "en": "The City banned facial recognition in 2021. A pilot should need a new Council vote.",
    "es": "Me preocupa que guarden las fotos de todos los vecinos sin que nadie lo sepa.",
    "so": "Waxaan ka walwalsanahay in sawirada dadka la kaydiyo muddo dheer.",
    "hmn": "Kuv txhawj txog leej twg yuav tau saib cov duab thiab khaws cia ntev npaum li cas.",
}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live-server")
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "browser-test-secret-key",
            "SQLALCHEMY_DATABASE_URL": f"sqlite:///{folder / 'engagement.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "",
            "MAIL_OUTBOX": str(folder / "outbox"),
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_geography(db.session)
        pilot = load_consultation(db.session)
        pilot.opens_at = utcnow() - timedelta(days=3)
        pilot.closes_at = utcnow() + timedelta(days=30)
        create_staff(db.session, STAFF_EMAIL, StaffRole.ADMIN, STAFF_PASSWORD, "Browser Mod")
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)

    for lang in LANGS:
        live.published[lang] = live.seed(
            PUBLISHED_SAMPLES[lang],
            lang,
            position=Position.OPPOSE,
            topics=["legal-compliance", "police-accountability"],
            neighborhood="cedar-riverside",
        )
        live.seed(
            f"{PUBLISHED_SAMPLES[lang]} ({lang}: 2)",
            lang,
            position=Position.MIXED,
            topics=["public-safety-benefits"],
            neighborhood="powderhorn-park",
            display_name="Ayaan H.",
        )
    with app.app_context():
        publish_all_pending(db.session)
        db.session.commit()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright gives every context this base URL, so ``page.goto("/en/")`` works."""
    return live_server.url


@pytest.fixture(scope="session")
def staff_state(browser: Any, live_server: LiveServer) -> dict[str, Any]:
    """The cookies of a moderator signed in once through the form, for the staff-page tests."""
    t = catalog_text("en")
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/en/staff/login")
        page.get_by_label(required(t, "E-mail address"), exact=True).fill(STAFF_EMAIL)
        page.get_by_label(required(t, "Password"), exact=True).fill(STAFF_PASSWORD)
        page.get_by_role("button", name=t("Sign in"), exact=True).click()
        page.wait_for_url("**/en/staff/**")
        assert "/staff/login" not in page.url
        state: dict[str, Any] = context.storage_state()
        return state
    finally:
        context.close()
