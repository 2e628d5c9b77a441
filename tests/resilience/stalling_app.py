"""The app, for gunicorn, with one trap: a comment whose text holds STALL_MARKER stops in the
middle of its transaction (after the comment, its topics and its flags are written, before the
commit), writes the worker's pid to STALL_FILE, and waits there to be killed.

Served as ``gunicorn tests.resilience.stalling_app:app`` by test_worker_killed.py.
"""

import os
import time
from pathlib import Path
from typing import Any

from engagement import create_app
from engagement.comments import operations

STALL_MARKER = "STALL-THIS-WORKER"
_raise_flags = operations._flag


def _flag_then_stall(session: Any, comment: Any, flags: Any) -> None:
    _raise_flags(session, comment, flags)
    if STALL_MARKER in comment.body:
        session.flush()
        Path(os.environ["STALL_FILE"]).write_text(str(os.getpid()))
        time.sleep(60)


operations._flag = _flag_then_stall
app = create_app()
