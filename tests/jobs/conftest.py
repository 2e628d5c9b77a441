"""Real Redis, a real `flask worker` process, and a database both can reach (a SQLite file, or
a PostgreSQL database of its own when TEST_DATABASE_URL is set)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bench.server import free_port
from engagement import create_app
from tests.conftest import BrowserLikeClient
from tests.resilience.conftest import SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: A comment with this in its text makes tests.jobs.stalling_app's worker stop mid-check (that
#: module patches the check, so only the worker process imports it).
STALL_MARKER = "STALL-HERE"


class RedisServer:
    """A redis-server of the test's own on a free port, which the test can stop and start."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 10, "redis-server did not start")

    def _answers(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return bool(Redis.from_url(self.url, socket_connect_timeout=0.2).ping())
        except RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def wait_for(condition: Callable[[], Any], seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(message)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def settings(database_url: str, tmp_path: Path, redis_url: str = "", **more: str) -> dict[str, Any]:
    """What the web app and the worker share: the database, Redis, mail, short job timings."""
    return {
        "DATABASE_URL": database_url,
        "JOBS_REDIS_URL": redis_url,
        "JOBS_RETRY_INTERVALS": "1,1",
        "JOBS_LEASE_SECONDS": "2",
        "JOBS_RUN_LEASE_SECONDS": "4",
        "JOBS_SWEEP_SECONDS": "0.5",
        "SECRET_KEY": SECRET_KEY,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "MAIL_USE_TLS": "0",
        "RATELIMIT_STORAGE_URI": "memory://",
        "COMMENT_RATE_LIMIT": "100 per minute",
        **more,
    }


def web_app(config: dict[str, Any]) -> Flask:
    """The web side, in this process, configured as the worker is."""
    overrides = {key: value for key, value in config.items() if key not in ("DATABASE_URL",)}
    overrides.update(
        SQLALCHEMY_DATABASE_URL=config["DATABASE_URL"],
        TESTING=True,
        SERVER_NAME="localhost",
        JOBS_LEASE_SECONDS=int(config["JOBS_LEASE_SECONDS"]),
        JOBS_RUN_LEASE_SECONDS=int(config["JOBS_RUN_LEASE_SECONDS"]),
        JOBS_SWEEP_SECONDS=float(config["JOBS_SWEEP_SECONDS"]),
        MAIL_USE_TLS=False,
        MAIL_PORT=int(config.get("MAIL_PORT", 587)),
    )
    app = create_app(overrides)
    app.test_client_class = BrowserLikeClient
    _made.append(app)
    return app


_made: list[Flask] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Close each web app's database connections when its test ends (before its database is
    dropped), so no connection is left for the garbage collector."""
    yield
    while _made:
        _made.pop().extensions["db"].engine.dispose()


class Worker:
    """`flask --app APP worker` in a process of its own."""

    def __init__(self, config: dict[str, Any], tmp_path: Path, app: str = "app") -> None:
        self.env = {**os.environ, **{k: str(v) for k, v in config.items()}}
        self.env.pop("FLASK_APP", None)
        self.app = app
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Worker":
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", self.app, "worker"],
                cwd=PROJECT_ROOT, env=self.env, start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and RQ's scheduler beside it, as the OOM killer or a crash would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
