"""Anyone can check the council's numbers: every tally equals a recount of the public CSV.

Hypothesis builds random sets of comments (positions, topics, places, languages, channels, days,
copies of form letters) and random moderation outcomes, then compares every table of the tally
with a count made only from the open-data CSV, the way a journalist would.
"""

import csv
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.comments.models import Channel, CommentStatus, Position, RejectionReason
from engagement.comments.queries import PUBLIC_FIELDS
from engagement.db import utcnow
from engagement.i18n import CITY_TIME
from engagement.moderation.operations import (
    hide_comment,
    publish_comment,
    publish_redacted,
    reject_comment,
)
from engagement.tallies.exports import open_data_csv
from engagement.tallies.queries import Count, Tally, TallyFilters, open_data_rows, tally
from tests.campaigns.test_matching import COPIES
from tests.conftest import STAFF_PASSWORD
from tests.factories import make_comment

#: Places that matter for the rules: split across wards (seward: 2 and 6), single ward, none.
PLACES = ["seward", "east-isles", "bryn-mawr", "phillips-west", "outside", "undisclosed"]
OUTCOMES = ["publish", "redact", "reject", "hide", "pending"]

comments = st.lists(
    st.fixed_dictionaries(
        {
            "position": st.sampled_from(list(Position)),
            "topics": st.lists(st.sampled_from(["privacy", "accuracy", "cost"]), unique=True),
            "place": st.sampled_from(PLACES),
            "locale": st.sampled_from(["en", "es", "so", "hmn"]),
            "channel": st.sampled_from(list(Channel)),
            "hours_ago": st.integers(min_value=0, max_value=24 * 9),
            # A form letter (index into COPIES) or the resident's own short text.
            "letter": st.one_of(st.none(), st.integers(min_value=0, max_value=len(COPIES) - 1)),
            "outcome": st.sampled_from(OUTCOMES),
        }
    ),
    max_size=25,
)


def _apply(session: Session, comment: Any, outcome: str, staff: Any) -> None:
    if outcome == "pending":
        return
    if outcome == "reject":
        reject_comment(session, comment.id, comment.version, staff, RejectionReason.SPAM)
    elif outcome == "redact":
        publish_redacted(session, comment.id, comment.version, staff, [(0, 4)])
    else:
        publish_comment(session, comment.id, comment.version, staff)
        if outcome == "hide":
            hide_comment(session, comment.id, comment.version, staff, "test")


def _recount(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Count the CSV as an outsider would, with only the rules the report states."""
    tables: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    once: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    days: Counter[str] = Counter()
    for row in rows:
        identity = f"campaign {row['campaign']}" if row["campaign"] else row["receipt_code"]
        keys = {
            "all": ["all"],
            "topic": row["topics"].split(";") if row["topics"] else [],
            "neighborhood": [row["neighborhood"] or row["residence"]],
            "community": [row["community"]] if row["community"] else [],
            "ward": row["wards"].split(";") if row["wards"] else [],
            "language": [row["language"]],
            "channel": [row["channel"]],
        }
        for table, values in keys.items():
            for value in values:
                tables[table][value][row["position"]] += 1
                once[table][f"{value}/{row['position']}"].add(identity)
        moment = datetime.fromisoformat(row["submitted_at"].replace("Z", "+00:00"))
        days[moment.astimezone(CITY_TIME).date().isoformat()] += 1
    return {"tables": tables, "once": once, "days": days}


def _tally_tables(result: Tally) -> dict[str, list[Any]]:
    return {"all": [result.total], **result.tables}


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drafts=comments)
def test_every_tally_equals_a_recount_of_the_open_data(
    session: Session, consultation: Any, drafts: list[dict[str, Any]]
) -> None:
    savepoint = session.begin_nested()
    try:
        staff = create_staff(session, "recount@example.org", StaffRole.MODERATOR, STAFF_PASSWORD)
        now = utcnow()
        consultation.opens_at = now - timedelta(days=10)
        for draft in drafts:
            body = (
                COPIES[draft["letter"]]
                if draft["letter"] is not None
                else f"My own view, number {draft['hours_ago']}, on this pilot."
            )
            comment = make_comment(
                session,
                consultation,
                body=body,
                position=draft["position"],
                topics=draft["topics"],
                neighborhood=draft["place"],
                locale=draft["locale"],
                channel=draft["channel"],
                submitted_at=now - timedelta(hours=draft["hours_ago"]),
                status=CommentStatus.PENDING,
            )
            _apply(session, comment, draft["outcome"], staff)
        session.flush()

        result = tally(session, consultation, TallyFilters(), now=now)
        text = "".join(open_data_csv(open_data_rows(session, consultation)))
        rows = list(csv.DictReader(io.StringIO(text)))
        recount = _recount(rows)

        assert text.partition("\r\n")[0] == ",".join(PUBLIC_FIELDS)
        published = sum(d["outcome"] in ("publish", "redact") for d in drafts)
        assert result.total.total.comments == len(rows) == published
        for table, tally_rows in _tally_tables(result).items():
            counted = {
                row.key: {str(p): c for p, c in row.by_position.items() if c.comments}
                for row in tally_rows
                if row.total.comments
            }
            assert counted == {
                key: {
                    position: Count(n, len(recount["once"][table][f"{key}/{position}"]))
                    for position, n in by_position.items()
                }
                for key, by_position in recount["tables"][table].items()
            }, table
        assert {day.isoformat(): n for day, n in result.by_day} == dict(recount["days"])
    finally:
        savepoint.rollback()
