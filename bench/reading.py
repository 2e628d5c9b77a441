"""Reading under load, with 100,000 published comments in the database.

For each page: saturation requests per second (``--clients`` readers, no pause), and the
latency percentiles when requests arrive at ``--rate`` per second (open loop). Pages: the
consultation page, the published comments (the first page, and the last one, the deepest a
reader reaches by the list's "Older comments" links), the comments API (its first page, and a
page read by a cursor 90 % into the feed) and a city-services search. A page whose route is not
registered yet prints "not available yet".

Run: ``python -m bench.reading --seconds 5`` (``make bench`` uses 30 s). The first run adds the
comments to the benchmark database (a few minutes) and keeps them for the next runs.
"""

import argparse
import html
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException

from bench import database
from bench.server import SETTINGS, Gunicorn

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PUBLISHED = 100_000
TARGET_P99_MS = 100.0
SLUG = database.CONSULTATION
#: The benchmark server's key: the API's cursors are signed with it.
BENCH_KEY = "benchmark-secret-key-not-for-production"
LIST = f"/en/consultations/{SLUG}/comments"
API = f"/api/v1/consultations/{SLUG}/comments"


@dataclass(frozen=True)
class Page:
    name: str
    path: str


def pages(url: str) -> list[Page]:
    last_page, last, deep_cursor = deep_addresses(url)
    return [
        Page("consultation page", f"/en/consultations/{SLUG}"),
        Page("published comments, page 1", LIST),
        Page(f"published comments, last page ({last_page:,})", last),
        Page("a comment's page (its permalink)", permalink(url)),
        Page("public tallies", f"/en/consultations/{SLUG}/tallies"),
        Page("comments API, first page", API),
        Page("comments API, cursor 90 % deep", deep_cursor),
        Page("city-services search", "/en/services?q=police"),
    ]


def permalink(url: str) -> str:
    """The page of a published comment halfway down the list (as shared on social media)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            code = connection.scalar(
                text(
                    "SELECT receipt_code FROM comments WHERE status = 'published' "
                    "ORDER BY id OFFSET (SELECT count(*) / 2 FROM comments) LIMIT 1"
                )
            )
    finally:
        engine.dispose()
    return f"{LIST}/{code}"


def deep_addresses(url: str, per_page: int = 20) -> tuple[int, str, str]:
    """The last page of the list as its "Older comments" links lead there (its number and
    address), and the address of an API page read by a cursor 90 % into the feed.

    Following thousands of links would take longer than the measurement itself: the positions
    come from the database, in the list's and the feed's own order (one query each, here, not
    in the measured requests), and the last page is checked to be where the links lead: its
    "Newer comments" page links back to it, and it has no "Older comments" link.
    """
    import re

    from sqlalchemy import func, select

    from engagement import create_app
    from engagement.api.parameters import cursor_for
    from engagement.comments.models import Comment
    from engagement.comments.queries import (
        FeedPosition,
        ListPosition,
        is_published,
        publication_time,
        published_at,
    )
    from engagement.consultations.queries import consultation_by_slug
    from engagement.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URL": url, "SECRET_KEY": BENCH_KEY, "TESTING": True})
    try:
        with app.app_context():
            session = db.session
            consultation = consultation_by_slug(session, SLUG)
            published = [Comment.consultation_id == consultation.id, is_published()]
            count = session.scalar(select(func.count()).where(*published)) or 0
            pages = max(1, -(-count // per_page))
            if pages == 1:
                last = LIST
            else:
                # The last comment of the page before the last one: its "Older" link's position.
                comment = session.scalars(
                    select(Comment)
                    .where(*published)
                    .order_by(Comment.submitted_at.desc(), Comment.receipt_code.desc())
                    .offset((pages - 1) * per_page - 1)
                    .limit(1)
                ).one()
                last = f"{LIST}?before={ListPosition.of(comment).token}"
            deep = API
            feed = session.scalars(
                select(Comment)
                .where(*published)
                .order_by(publication_time(), Comment.receipt_code)
                .offset(int(count * 0.9))
                .limit(1)
            ).first()
            if feed is not None:
                position = FeedPosition(published_at(feed), feed.receipt_code)
                deep = f"{API}?cursor={cursor_for(position, BENCH_KEY)}"
        client = app.test_client()
        page = client.get(last).get_data(as_text=True)
        newer = re.search(r'<a rel="prev" href="([^"]*)"', page)
        assert 'rel="next"' not in page, "the last page has an older page"
        if newer is not None:
            back = client.get(html.unescape(newer.group(1))).get_data(as_text=True)
            assert f'rel="next" href="{html.escape(last)}"' in back, "the links lead elsewhere"
        assert client.get(deep).status_code == 200, deep
    finally:
        app.extensions["db"].engine.dispose()
    return pages, last, deep


def registered(url: str, path: str) -> bool:
    """Whether the app has a route for this address yet (the other areas land in parallel)."""
    from engagement import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path.split("?", 1)[0], method="GET")
    except HTTPException:
        return False
    finally:
        app.extensions["db"].engine.dispose()
    return True


def loadgen(url: str, path: str, arguments: list[str], timeout: float) -> dict[str, Any]:
    command = [
        PYTHON,
        "-m",
        "bench.loadgen",
        "--url",
        url,
        "--flow",
        "read",
        "--path",
        path,
        *arguments,
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _measure(
    url: str, path: str, octet: int, options: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Saturation (closed loop), then latency at the given rate (open loop), for one page.

    Readers rotate source addresses too (20 requests each), so per-client limits (the API has
    some) see many readers, as they would.
    """
    common = [
        "--seconds",
        str(options.seconds),
        "--warmup",
        str(options.warmup),
        "--per-address",
        "20",
    ]
    timeout = options.seconds + options.warmup + 120
    saturation = loadgen(
        url,
        path,
        [
            *common,
            "--mode",
            "closed",
            "--concurrency",
            str(options.clients),
            "--address-octet",
            str(octet),
        ],
        timeout,
    )
    paced = loadgen(
        url,
        path,
        [*common, "--mode", "open", "--rate", str(options.rate), "--address-octet", str(octet + 1)],
        timeout,
    )
    return saturation, paced


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def run(options: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    settings = SETTINGS[options.worker]
    with (
        database.bench_database(
            options.server_url, options.database, published=options.published
        ) as url,
        tempfile.TemporaryDirectory(prefix="bench-reading-") as work,
    ):
        published = database.published_comments(url)
        print(
            f"\nReading, gunicorn {settings.label}, PostgreSQL with {published:,} published "
            f"comments, {options.seconds:.0f} s per measurement"
        )
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": BENCH_KEY,
            "INSTANCE_PATH": str(Path(work) / "instance"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        octet = 100
        for page in pages(url):
            if options.only and not any(word in page.name for word in options.only.split(",")):
                continue
            if not registered(url, page.path):
                print(f"  {page.name:34} not available yet ({page.path})")
                rows.append(
                    {
                        "benchmark": f"reading: {page.name}",
                        "figure": "not available yet",
                        "target": f"p99 < {TARGET_P99_MS:.0f} ms at {options.rate:.0f}/s",
                        "met": None,
                    }
                )
                continue
            # A fresh server per page: requests an overloaded open loop left queued must not
            # be served during the next page's measurement.
            log_file = Path(work) / "gunicorn.log"
            with Gunicorn("app:app", env, settings, log_file=log_file) as server:
                cpu_before = server.cpu_seconds()
                saturation, paced = _measure(server.url, page.path, octet, options)
                answered = sum(saturation["statuses"].values()) + sum(paced["statuses"].values())
                cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(answered, 1)
            octet += 2
            latency = paced["latency_ms"]
            errors = sum(paced["errors"].values()) + sum(
                n for outcome, n in paced["flows"].items() if outcome != "ok"
            )
            met = latency["p99"] is not None and latency["p99"] < TARGET_P99_MS and not errors
            print(
                f"  {page.name:34} saturation {saturation['throughput']:7.1f} req/s "
                f"(p99 {_ms(saturation['latency_ms']['p99'])} ms); at "
                f"{options.rate:.0f}/s p50/p95/p99 {_ms(latency['p50'])}/"
                f"{_ms(latency['p95'])}/{_ms(latency['p99'])} ms, errors {errors} "
                f"{paced['statuses']}   target p99 < {TARGET_P99_MS:.0f} ms: "
                f"{'met' if met else 'MISSED'}; gunicorn CPU {cpu_ms:.1f} ms per request"
            )
            rows.append(
                {
                    "benchmark": f"reading: {page.name}",
                    "figure": f"{saturation['throughput']:.0f} req/s saturated; p99 "
                    f"{_ms(latency['p99'])} ms at {options.rate:.0f}/s, errors {errors}; "
                    f"CPU {cpu_ms:.1f} ms/request",
                    "target": f"p99 < {TARGET_P99_MS:.0f} ms at {options.rate:.0f}/s",
                    "met": met,
                }
            )
    rows.append(
        {
            "benchmark": "reading: SQL queries per page",
            "figure": "counted by tests/resilience/test_reading_scale.py",
            "target": "constant",
            "met": None,
        }
    )
    return rows


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per measurement")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=32, help="saturation: readers at once")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--published", type=int, default=PUBLISHED)
    parser.add_argument("--worker", choices=sorted(SETTINGS), default="gthread")
    parser.add_argument("--server-url", default=database.DEFAULT_SERVER)
    parser.add_argument("--database", default=database.DEFAULT_NAME)
    parser.add_argument("--only", default="", help="pages whose name has one of these words")
    return parser


def main(argv: list[str] | None = None) -> None:
    rows = run(parser().parse_args(argv))
    sys.exit(0 if rows else 1)


if __name__ == "__main__":
    main()
