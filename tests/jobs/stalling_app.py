"""The app, with a form-letter check that stops half-way for a comment carrying STALL_MARKER,
so a test can kill the worker in the middle of a job (its writes made, not committed).

It stalls only the first time (while the STALL_FILE it writes does not exist yet), so the run
after the kill goes through.
"""

import os
import time
from pathlib import Path

from engagement import create_app
from engagement.campaigns import tasks
from engagement.campaigns.operations import match_comment
from tests.jobs.conftest import STALL_MARKER


def _match_then_stall(session, comment):  # type: ignore[no-untyped-def]
    found = match_comment(session, comment)
    stall_file = Path(os.environ["STALL_FILE"])
    if STALL_MARKER in comment.body and not stall_file.exists():
        session.flush()
        stall_file.write_text(str(os.getpid()))
        time.sleep(120)
    return found


tasks.match_comment = _match_then_stall
app = create_app()
