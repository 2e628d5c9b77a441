"""Reading under load, with 100,000 published comments in the database.

For each page: saturation requests per second (``--clients`` readers, no pause), and the
latency percentiles when requests arrive at ``--rate`` per second (open loop). Pages: the
consultation page, the published comments (first page and a deep page), the comments API and a
city-services search. A page whose route is not registered yet prints "not available yet".

Run: ``python -m bench.reading --seconds 5`` (``make bench`` uses 30 s). The first run adds the
comments to the benchmark database (a few minutes) and keeps them for the next runs.
"""

import argparse
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


@dataclass(frozen=True)
class Page:
    name: str
    path: str


def pages(published: int, per_page: int = 20) -> list[Page]:
    deep = max(1, int(published / per_page * 0.9))
    return [
        Page("consultation page", f"/en/consultations/{SLUG}"),
        Page("published comments, page 1", f"/en/consultations/{SLUG}/comments"),
        Page(
            f"published comments, page {deep:,}", f"/en/consultations/{SLUG}/comments?page={deep}"
        ),
        Page("comments API, first page", f"/api/v1/consultations/{SLUG}/comments"),
        Page("city-services search", "/en/services?q=police"),
    ]


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
            "SECRET_KEY": "benchmark-secret-key-not-for-production",
            "INSTANCE_PATH": str(Path(work) / "instance"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        octet = 100
        for page in pages(published):
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
                saturation, paced = _measure(server.url, page.path, octet, options)
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
                f"{'met' if met else 'MISSED'}"
            )
            rows.append(
                {
                    "benchmark": f"reading: {page.name}",
                    "figure": f"{saturation['throughput']:.0f} req/s saturated; p99 "
                    f"{_ms(latency['p99'])} ms at {options.rate:.0f}/s, errors {errors}",
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
    return parser


def main(argv: list[str] | None = None) -> None:
    rows = run(parser().parse_args(argv))
    sys.exit(0 if rows else 1)


if __name__ == "__main__":
    main()
