"""Page weight: what a first visit to each main page downloads, uncompressed and compressed.

Each page's HTML plus everything it pulls in (stylesheets, scripts, images, icons, and the fonts
and images its stylesheets name), as a visitor with an empty cache gets them. Compressed sizes
are gzip at level 6 (what a proxy such as nginx sends with ``gzip on``) and Brotli at level 5.
Also checks that a comment can be sent with no JavaScript: the page has no script, and the
comment form is a plain POST form with a submit button.

Runs in-process against a temporary SQLite database built by the migrations and the seed.
Target: under 100 KB compressed per page.
"""

import argparse
import gzip
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import brotli

TARGET_KB = 100.0
SLUG = "clearview-ai-pilot"

LINKED = re.compile(
    r"<(?:link|script|img|source|iframe)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"[^>]*>", re.IGNORECASE
)
LINK_REL = re.compile(r"\brel=\"([^\"]+)\"", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
#: <link> relations that are downloaded on a visit (not alternates or canonical links).
FETCHED_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "apple-touch-icon"}


@dataclass
class Weight:
    page: str
    path: str
    status: int
    html: bytes = b""
    assets: dict[str, bytes] = field(default_factory=dict)
    scripts: int = 0

    def sizes(self) -> tuple[int, int, int]:
        """(raw, gzip, brotli) bytes of the HTML and its assets, each compressed on its own."""
        parts = [self.html, *self.assets.values()]
        raw = sum(len(part) for part in parts)
        gz = sum(len(gzip.compress(part, compresslevel=6)) for part in parts)
        br = sum(len(brotli.compress(part, quality=5)) for part in parts)
        return raw, gz, br


def _linked(html: str) -> list[str]:
    found = []
    for match in LINKED.finditer(html):
        tag = match.group(0)
        if tag.lower().startswith("<link"):
            rel = LINK_REL.search(tag)
            if not rel or not set(rel.group(1).lower().split()) & FETCHED_RELS:
                continue
        found.append(match.group(1))
    return found


def weigh(client: Any, name: str, path: str) -> Weight:
    answer = client.get(path)
    weight = Weight(name, path, answer.status_code, answer.get_data())
    html = answer.get_data(as_text=True)
    weight.scripts = len(re.findall(r"<script\b", html, re.IGNORECASE))
    pending = [urljoin(path, url) for url in _linked(html)]
    while pending:
        url = pending.pop()
        if url in weight.assets or urlsplit(url).netloc not in ("", "localhost"):
            continue
        asset = client.get(urlsplit(url).path)
        weight.assets[url] = asset.get_data()
        asset.close()
        if url.endswith(".css"):
            css = weight.assets[url].decode("utf-8", "replace")
            pending += [
                urljoin(url, ref) for ref in CSS_URL.findall(css) if not ref.startswith("data:")
            ]
    return weight


def form_works_without_javascript(html: str) -> bool:
    """The comment form posts by itself: method post, an action, a submit button, no script."""
    form = re.search(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", html, re.S | re.I)
    return bool(
        form
        and "/comments" in form.group(0).split(">", 1)[0]
        and re.search(r"<button\b[^>]*type=\"submit\"|<button\b(?![^>]*type=)", form.group(1))
        and "<script" not in html.lower()
    )


def build_site(work: Path) -> Any:
    """A seeded app on a temporary SQLite database, with published comments and a receipt."""
    from alembic import command
    from sqlalchemy import create_engine

    from engagement import create_app
    from engagement.cli import alembic_config
    from engagement.comments.demo import add_demo_comments
    from engagement.comments.models import CommentStatus
    from engagement.consultations.operations import CLEARVIEW_PILOT, load_consultation
    from engagement.db import db
    from engagement.geography.operations import load_geography

    url = f"sqlite:///{work / 'weight.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        # Given a connection, migrations/env.py leaves logging alone (no INFO lines here).
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "SERVER_NAME": "localhost",
            "INSTANCE_PATH": str(work),
        }
    )
    with app.app_context():
        load_geography(db.session)
        consultation = load_consultation(db.session, CLEARVIEW_PILOT)
        add_demo_comments(db.session, consultation, 60, status=CommentStatus.PUBLISHED, seed=1)
        add_demo_comments(db.session, consultation, 1, status=CommentStatus.PENDING, seed=2)
        db.session.commit()
    return app


def main_pages(app: Any) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from engagement.comments.models import Comment, CommentStatus
    from engagement.db import db

    with app.app_context():
        published = db.session.scalar(
            select(Comment.receipt_code).where(Comment.status == CommentStatus.PUBLISHED).limit(1)
        )
        pending = db.session.scalar(
            select(Comment.receipt_code).where(Comment.status == CommentStatus.PENDING).limit(1)
        )
    candidates = [
        ("home", "/en/"),
        ("consultation + comment form", f"/en/consultations/{SLUG}"),
        ("consultation (Somali)", f"/so/consultations/{SLUG}"),
        ("published comments", f"/en/consultations/{SLUG}/comments"),
        ("one published comment", f"/en/consultations/{SLUG}/comments/{published}"),
        ("receipt", f"/en/receipts/{pending}"),
        ("receipt lookup", "/en/receipts"),
        ("moderation summary", f"/en/consultations/{SLUG}/moderation"),
        ("city services", "/en/services"),
        ("city-services search", "/en/services?q=police"),
        ("staff sign-in", "/en/staff/login"),
    ]
    adapter = app.url_map.bind("localhost")
    available = []
    for name, path in candidates:
        try:
            adapter.match(path.split("?", 1)[0], method="GET")
        except Exception:  # a page another area has not landed yet
            print(f"  {name:30} not available yet ({path})")
            continue
        available.append((name, path))
    return available


def run(_options: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    print("\nPage weight (first visit, empty cache; gzip -6 / brotli -5, each file compressed)")
    print(f"  {'page':30}{'raw KB':>9}{'gzip KB':>9}{'br KB':>8}{'files':>7}{'JS':>4}   target")
    with tempfile.TemporaryDirectory(prefix="bench-weight-") as work:
        app = build_site(Path(work))
        client = app.test_client()
        for name, path in main_pages(app):
            weight = weigh(client, name, path)
            raw, gz, br = weight.sizes()
            met = weight.status == 200 and gz / 1024 < TARGET_KB and weight.scripts == 0
            print(
                f"  {name:30}{raw / 1024:9.1f}{gz / 1024:9.1f}{br / 1024:8.1f}"
                f"{1 + len(weight.assets):7}{weight.scripts:4}   < {TARGET_KB:.0f} KB gzip: "
                f"{'met' if met else 'MISSED'}"
                + ("" if weight.status == 200 else f" ({weight.status})")
            )
            rows.append(
                {
                    "benchmark": f"page weight: {name}",
                    "figure": f"{gz / 1024:.1f} KB gzip ({raw / 1024:.1f} KB raw), "
                    f"{weight.scripts} scripts",
                    "target": f"< {TARGET_KB:.0f} KB compressed",
                    "met": met,
                }
            )
        form_page = client.get(f"/en/consultations/{SLUG}").get_data(as_text=True)
        no_js = form_works_without_javascript(form_page)
        print(f"  comment form works without JavaScript: {'yes' if no_js else 'NO'}")
        rows.append(
            {
                "benchmark": "no JavaScript needed to comment",
                "figure": "plain POST form, no script" if no_js else "needs JavaScript",
                "target": "none needed",
                "met": no_js,
            }
        )
        app.extensions["db"].engine.dispose()
    return rows


def parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=__doc__.split("\n\n")[0])


def main(argv: list[str] | None = None) -> None:
    rows = run(parser().parse_args(argv))
    sys.exit(0 if all(row["met"] is not False for row in rows) else 1)


if __name__ == "__main__":
    main()
