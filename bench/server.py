"""gunicorn for the benchmarks: started with given worker settings, stopped cleanly, measured.

The settings that suit this 2-core machine (see the README's Benchmarks section):
``sync`` with 2 x cores + 1 = 5 workers (each request holds a worker while it waits for
PostgreSQL, so a few more processes than cores keep the CPUs busy), and ``gthread`` with 2
workers x 4 threads (one process per core, threads to cover the waits on the database).
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class WorkerSettings:
    worker_class: str
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"gthread {self.workers}w x {self.threads}t"
        return f"{self.worker_class} {self.workers}w"

    def arguments(self) -> list[str]:
        arguments = ["--worker-class", self.worker_class, "--workers", str(self.workers)]
        if self.worker_class == "gthread":
            arguments += ["--threads", str(self.threads)]
        return arguments


#: As the hearing-night targets are set: one worker per core for both kinds.
SYNC = WorkerSettings("sync", workers=os.cpu_count() or 2)
GTHREAD = WorkerSettings("gthread", workers=os.cpu_count() or 2, threads=4)
SETTINGS = {"sync": SYNC, "gthread": GTHREAD}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Gunicorn:
    """``with Gunicorn("app:app", env, SYNC) as server: ...`` serves on server.url."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        settings: WorkerSettings,
        *,
        log_file: Path,
        health_path: str = "/healthz",
        extra: list[str] | None = None,
    ) -> None:
        self.app, self.env, self.settings = app, env, settings
        self.log_file, self.health_path = log_file, health_path
        self.extra = extra or []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Gunicorn":
        command = [
            GUNICORN,
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            *self.settings.arguments(),
            "--backlog",
            "2048",
            "--timeout",
            "30",
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            *self.extra,
        ]
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_file}")
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=2) as answer:
                    if answer.status == 200 and len(self.worker_pids()) >= self.settings.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on {self.url}; see {self.log_file}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers."""
        assert self.process is not None
        return sum(process_cpu_seconds(pid) for pid in [self.process.pid, *self.worker_pids()])

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGQUIT: a quick shutdown; nothing is left to finish once a measurement is over.
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def describe(result: dict[str, Any]) -> str:
    """One line for a loadgen result, for progress output."""
    latency = result["latency_ms"]
    p99 = latency["p99"]
    return (
        f"{result['throughput']:.1f}/s, p50 {latency['p50'] or 0:.0f} ms, "
        f"p99 {p99 or 0:.0f} ms, flows {result['flows']}, errors {result['errors']}"
    )
