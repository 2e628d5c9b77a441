"""A gunicorn worker killed in the middle of storing a comment leaves no half-written comment.

One submission is one transaction: the comment, its topics and its flags are all stored, or
none is. The worker is killed (SIGKILL, as the OOM killer or a crash would) after all three
were written and before the commit; the master starts a new worker, and the next residents'
comments go through.
"""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.resilience.conftest import (
    LoopbackResident,
    ThrowawayPostgres,
    count,
    receipt_code,
    serve,
    server_env,
)
from tests.resilience.stalling_app import STALL_MARKER

ORPHANS = {
    "topics": "SELECT count(*) FROM comment_topics WHERE comment_id NOT IN "
    "(SELECT id FROM comments)",
    "flags": "SELECT count(*) FROM comment_flags WHERE comment_id NOT IN (SELECT id FROM comments)",
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    cluster: ThrowawayPostgres = request.getfixturevalue("throwaway_postgres")
    return cluster.url


def test_killed_worker_leaves_no_half_written_comment(database_url: str, tmp_path: Path) -> None:
    stall_file = tmp_path / "stalled.pid"
    env = server_env(database_url, tmp_path, STALL_FILE=str(stall_file))
    comments_before = count(database_url, "SELECT count(*) FROM comments")
    with serve("tests.resilience.stalling_app:app", env, tmp_path, workers=2) as server:
        victim = LoopbackResident(server.url, "127.0.70.1", timeout=60)
        outcome: dict[str, object] = {}

        def send() -> None:
            # The words that raise a flag make sure comment_flags is written too.
            body = f"{STALL_MARKER}: call me at 612-555-0100 about the cameras."
            try:
                outcome["answer"] = victim.submit(body)[0]
            except OSError as error:  # the connection dies with the worker
                outcome["error"] = error

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 30
        while not stall_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stall_file.exists(), "the submission never reached the middle of its transaction"
        stalled_pid = int(stall_file.read_text())
        assert stalled_pid in server.worker_pids()
        os.kill(stalled_pid, signal.SIGKILL)
        sender.join(timeout=30)
        assert not sender.is_alive()
        # No receipt was given for it: the resident saw the connection fail.
        answer = outcome.get("answer")
        assert answer is None or getattr(answer, "status", 0) != 303

        # The master replaces the worker; other residents keep commenting.
        receipts = []
        for number in range(6):
            resident = LoopbackResident(server.url, f"127.0.70.{number + 10}")
            answer, _fields = resident.submit(f"After the crash, comment {number}.")
            assert answer.status == 303, answer.text[:500]
            receipts.append(receipt_code(answer.location))

    stalled = count(
        database_url,
        "SELECT count(*) FROM comments WHERE body LIKE :marker",
        marker=f"%{STALL_MARKER}%",
    )
    assert stalled == 0
    for table, sql in ORPHANS.items():
        assert count(database_url, sql) == 0, f"orphan {table}"
    stored = count(database_url, "SELECT count(*) FROM comments") - comments_before
    assert stored == len(receipts)
