"""Intake under load: the real comment form, served by gunicorn on PostgreSQL, against a bare
Flask + SQLAlchemy baseline under the same server settings, generator and load.

For each worker setting (sync, gthread) and each app (ours, the baseline):

- saturation: ``--clients`` residents at once with no pause (closed loop): accepted comments
  per second, latency, errors, 429s, and receipts issued against rows stored;
- surge: comments arriving at ``--rate`` per second whatever the server does (open loop):
  latency from each comment's scheduled start, errors.

A "comment" is the whole flow: GET the form, POST it, GET the receipt it redirects to.
Run: ``python -m bench.intake --seconds 5`` (``make bench`` uses 30 s).
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import database, loadgen, profile
from bench.server import SETTINGS, Gunicorn, WorkerSettings, describe, machine_cpu_seconds

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
#: A Redis database number of the benchmarks' own, flushed before each run; nothing else uses it.
REDIS_URL = "redis://127.0.0.1:6379/13"

TARGET_RATIO = 0.6
TARGET_SURGE_P99_MS = 100.0


@dataclass(frozen=True)
class App:
    name: str
    module: str
    form_path: str
    post_path: str
    fields: dict[str, Any]
    stored_sql: str
    health_path: str = "/healthz"


OURS = App(
    "ours",
    "app:app",
    f"/en/consultations/{database.CONSULTATION}",
    f"/en/consultations/{database.CONSULTATION}/comments",
    loadgen.COMMENT_FIELDS,
    "SELECT count(*) FROM comments WHERE channel = 'web'",
)
BASELINE = App(
    "baseline",
    "bench.baseline_app:app",
    "/form",
    "/submit",
    {"body": "{random}"},
    "SELECT count(*) FROM bench_baseline_comments",
)


@dataclass
class Measurement:
    app: str
    settings: str
    saturation: dict[str, Any] = field(default_factory=dict)
    surge: dict[str, Any] = field(default_factory=dict)
    #: Saturation: receipts issued, rows stored, POSTs never answered (cut off or timed out).
    receipts: int = 0
    stored: int = 0
    unanswered: int = 0
    #: The same for the surge.
    surge_receipts: int = 0
    surge_stored: int = 0
    surge_unanswered: int = 0
    server_cpu_per_comment_ms: float | None = None
    machine_cpu_share: float | None = None
    profile: str | None = None


def redis_storage() -> str:
    """Rate limits in Redis, as in production, when the machine's Redis answers."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.flushdb()
        client.close()
    except Exception:  # no Redis: the limits still apply, per worker
        return "memory://"
    return REDIS_URL


def settled_count(url: str, sql: str, quiet: float = 2.0, limit: float = 120.0) -> int:
    """Rows once the server has finished what it was still doing (no change for ``quiet`` s)."""
    deadline = time.monotonic() + limit
    last = database.count(url, sql)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = database.count(url, sql)
        if now == last:
            return now
        last = now
    return last


def loadgen(url: str, app: App, arguments: list[str], timeout: float) -> dict[str, Any]:
    command = [
        PYTHON,
        "-m",
        "bench.loadgen",
        "--url",
        url,
        "--flow",
        "intake",
        "--form-path",
        app.form_path,
        "--post-path",
        app.post_path,
        "--fields",
        json.dumps(app.fields),
        *arguments,
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class Octets:
    """A fresh 127.<octet>.x.y range for each measurement, so no rate-limit window carries over."""

    def __init__(self, first: int = 10) -> None:
        self.next = first

    def take(self) -> int:
        octet, self.next = self.next, self.next + 1
        return octet


@contextlib.contextmanager
def job_worker(env: dict[str, str], log_file: Path) -> Iterator[None]:
    """One `flask worker` beside gunicorn while ours is measured with a job queue."""
    if "JOBS_REDIS_URL" not in env:
        yield
        return
    from redis import Redis

    Redis.from_url(env["JOBS_REDIS_URL"]).flushdb()
    with log_file.open("ab") as log:
        worker = subprocess.Popen(
            [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "app", "worker"],
            cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def measure(
    app: App,
    settings: WorkerSettings,
    url: str,
    options: argparse.Namespace,
    octets: Octets,
    work_dir: Path,
) -> Measurement:
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-secret-key-not-for-production",
        "INSTANCE_PATH": str(work_dir / "instance"),
        "MAIL_OUTBOX": str(work_dir / "outbox"),
        "RATELIMIT_STORAGE_URI": options.ratelimit_storage,
        "FLASK_RATELIMIT_KEY_PREFIX": "bench",
    }
    if app is OURS and options.jobs_redis:
        # As in production: the form-letter checks go to a queue, and one `flask worker` on the
        # same machine works through it (its CPU shows in the machine's share, not gunicorn's).
        env["JOBS_REDIS_URL"] = options.jobs_redis
    result = Measurement(app.name, settings.label)
    timing = [
        "--seconds",
        str(options.seconds),
        "--warmup",
        str(options.warmup),
        "--per-address",
        str(options.per_address),
    ]
    timeout = options.seconds + options.warmup + 120
    log_file = work_dir / f"gunicorn-{app.name}-{settings.worker_class}.log"
    with (
        Gunicorn(
            app.module, env, settings, log_file=log_file, health_path=app.health_path
        ) as server,
        job_worker(env, work_dir / "worker.log"),
    ):
        before = database.count(url, app.stored_sql)
        spies: list[subprocess.Popen[bytes]] = []
        spy_dir = Path(options.profile or work_dir) / settings.worker_class
        starter = threading.Timer(
            options.warmup,  # profile the measured window, not the first requests' warm-up
            lambda: spies.extend(profile.record(server.worker_pids(), options.seconds, spy_dir)),
        )
        if options.profile and app is OURS:
            starter.start()
        server_cpu, machine_cpu = server.cpu_seconds(), machine_cpu_seconds()
        started = time.monotonic()
        result.saturation = loadgen(
            server.url,
            app,
            [
                *timing,
                "--mode",
                "closed",
                "--concurrency",
                str(options.clients),
                "--address-octet",
                str(octets.take()),
            ],
            timeout,
        )
        elapsed = time.monotonic() - started
        result.receipts = result.saturation["receipts_total"]
        result.unanswered = result.saturation["posts_unanswered"]
        if result.receipts:
            server_ms = (server.cpu_seconds() - server_cpu) * 1000 / result.receipts
            result.server_cpu_per_comment_ms = server_ms
        cores = os.cpu_count() or 1
        result.machine_cpu_share = (machine_cpu_seconds() - machine_cpu) / elapsed / cores
        starter.cancel()
        if starter.is_alive():
            starter.join()
        for spy in spies:
            spy.wait(timeout=options.seconds + 60)
        if spies:
            result.profile = profile.summarise(sorted(spy_dir.glob("*.txt")))
        middle = settled_count(url, app.stored_sql)
        result.stored = middle - before
        result.surge = loadgen(
            server.url,
            app,
            [
                *timing,
                "--mode",
                "open",
                "--rate",
                str(options.rate),
                "--address-octet",
                str(octets.take()),
            ],
            timeout,
        )
        result.surge_receipts = result.surge["receipts_total"]
        result.surge_unanswered = result.surge["posts_unanswered"]
        result.surge_stored = settled_count(url, app.stored_sql) - middle
    return result


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _percentiles(result: dict[str, Any], key: str = "latency_ms") -> str:
    latency = result[key]
    text = "/".join(_ms(latency[name]) for name in ("p50", "p95", "p99")) + " ms"
    if key == "latency_ms" and result.get("unfinished"):
        text += f" ({result['unfinished']} unfinished: '-' = slower than the run allowed)"
    return text


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _kept(receipts: int, stored: int, unanswered: int) -> tuple[bool, str]:
    """Every receipt is a stored row, and every other row is a POST whose answer never came."""
    ok = receipts <= stored <= receipts + unanswered
    text = f"{receipts} receipts, {stored} rows stored"
    if unanswered:
        text += f", {unanswered} POSTs unanswered (cut off at the end or timed out)"
    return ok, text


def _errors(result: dict[str, Any]) -> str:
    others = {k: v for k, v in result["flows"].items() if k != "ok"}
    return (
        f"errors {sum(result['errors'].values())} {result['errors'] or ''}; "
        f"flows not ok {others or 0}; 429s {result['rate_limited_total']}"
    )


def report(results: list[Measurement], options: argparse.Namespace) -> list[dict[str, Any]]:
    """Print each figure beside its target; return the rows for the summary of `make bench`."""
    rows: list[dict[str, Any]] = []
    for label in dict.fromkeys(m.settings for m in results):
        ours = next((m for m in results if m.settings == label and m.app == "ours"), None)
        base = next((m for m in results if m.settings == label and m.app == "baseline"), None)
        if ours is None:
            continue
        pairs = [("ours", ours)] + ([("baseline", base)] if base else [])
        sat = ours.saturation
        base_rate = base.saturation["throughput"] if base else None
        ratio = sat["throughput"] / base_rate if base_rate else None
        ratio_text = "-" if ratio is None else f"{ratio:.2f}x"
        ratio_ok = ratio is not None and ratio >= TARGET_RATIO
        print(f"\nIntake, gunicorn {label}, PostgreSQL, {options.seconds:.0f} s per measurement")
        print(f"  saturation ({options.clients} clients, no pause):")
        for name, measurement in pairs:
            result = measurement.saturation
            print(
                f"    {name:9} {result['throughput']:7.1f} comments/s, whole flow p50/p95/p99 "
                f"{_percentiles(result)}; {_errors(result)}"
            )
        print(
            f"    ours / baseline = {ratio_text}   target >= {TARGET_RATIO}x: {_verdict(ratio_ok)}"
        )
        kept_ok, kept_text = _kept(ours.receipts, ours.stored, ours.unanswered)
        print(f"    ours: {kept_text}   target stored = receipts: {_verdict(kept_ok)}")
        if base:
            print(f"    baseline: {_kept(base.receipts, base.stored, base.unanswered)[1]}")
        surge = ours.surge
        p99 = surge["latency_ms"]["p99"]
        surge_ok = p99 is not None and p99 < TARGET_SURGE_P99_MS and not surge["errors"]
        print(f"  surge ({options.rate:.0f} comments/s arriving, open loop):")
        for name, measurement in pairs:
            result = measurement.surge
            print(
                f"    {name:9} {result['throughput']:7.1f} comments/s done, whole flow "
                f"p50/p95/p99 {_percentiles(result)}; POST alone p99 "
                f"{_ms(result['post_latency_ms']['p99'])} ms; {_errors(result)}"
            )
        print(f"    target whole-flow p99 < {TARGET_SURGE_P99_MS:.0f} ms: {_verdict(surge_ok)}")
        surge_kept_ok, surge_kept = _kept(
            ours.surge_receipts, ours.surge_stored, ours.surge_unanswered
        )
        print(f"    ours: {surge_kept}: {_verdict(surge_kept_ok)}")
        cpu = ", ".join(f"{n} {_ms(m.server_cpu_per_comment_ms)} ms" for n, m in pairs)
        print(
            f"  gunicorn CPU per comment at saturation: {cpu}; whole machine "
            f"{100 * (ours.machine_cpu_share or 0):.0f}% busy during ours; the generator used "
            f"{100 * (sat['generator_cpu_share'] or 0):.0f}% of one core"
        )
        if ours.profile:
            print(f"\n  py-spy profile of the workers during saturation ({label}):")
            print("\n".join("    " + line for line in ours.profile.splitlines()))
        rows += [
            {
                "benchmark": f"intake, {label}: saturation",
                "figure": f"{sat['throughput']:.1f} comments/s = {ratio_text} the baseline's "
                f"{base_rate or 0:.1f}/s; p99 {_ms(sat['latency_ms']['p99'])} ms",
                "target": f">= {TARGET_RATIO}x baseline",
                "met": ratio_ok,
            },
            {
                "benchmark": f"intake, {label}: stored = receipts",
                "figure": kept_text,
                "target": "equal",
                "met": kept_ok and surge_kept_ok,
            },
            {
                "benchmark": f"intake, {label}: surge {options.rate:.0f}/s",
                "figure": f"p50/p95/p99 {_percentiles(surge)}, "
                f"errors {sum(surge['errors'].values())}",
                "target": f"p99 < {TARGET_SURGE_P99_MS:.0f} ms",
                "met": surge_ok,
            },
        ]
    return rows


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per measurement")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=50, help="saturation: residents at once")
    parser.add_argument("--rate", type=float, default=150.0, help="surge: comments per second")
    parser.add_argument("--per-address", type=int, default=3, help="comments per resident")
    parser.add_argument(
        "--workers", default="sync,gthread", help="worker settings to try: sync,gthread"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--server-url", default=database.DEFAULT_SERVER)
    parser.add_argument("--database", default=database.DEFAULT_NAME)
    parser.add_argument("--profile", metavar="DIR", help="py-spy the workers during saturation")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--jobs-redis",
        default="redis://127.0.0.1:6379/12",
        help="the job queue for ours, worked by one `flask worker` ('' to run jobs inline)",
    )
    return parser


def run(options: argparse.Namespace) -> list[dict[str, Any]]:
    options.ratelimit_storage = redis_storage()
    print(
        f"intake: rate limits in {options.ratelimit_storage}; each resident sends at most "
        f"{options.per_address} comments from its own 127.x.y.z address"
    )
    results: list[Measurement] = []
    octets = Octets()
    with (
        database.bench_database(options.server_url, options.database) as url,
        tempfile.TemporaryDirectory(prefix="bench-intake-") as work,
    ):
        from bench.baseline_app import create_schema

        create_schema(url)
        apps = [OURS] if options.no_baseline else [OURS, BASELINE]
        for name in options.workers.split(","):
            for app in apps:
                print(f"  measuring {app.name} on gunicorn {SETTINGS[name].label} ...", flush=True)
                measurement = measure(app, SETTINGS[name], url, options, octets, Path(work))
                print(f"    saturation {describe(measurement.saturation)}")
                print(f"    surge      {describe(measurement.surge)}", flush=True)
                results.append(measurement)
    if options.json:
        Path(options.json).write_text(json.dumps([m.__dict__ for m in results], indent=1))
    return report(results, options)


def main(argv: list[str] | None = None) -> None:
    rows = run(parser().parse_args(argv))
    sys.exit(0 if rows else 1)


if __name__ == "__main__":
    main()
