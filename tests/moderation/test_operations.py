"""Moderation decisions, reports, staff entry and the append-only log, without HTTP."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.comments.models import Channel, Comment, CommentStatus, Position, RejectionReason
from engagement.comments.operations import CommentDraft
from engagement.comments.queries import is_counted
from engagement.db import AppendOnlyViolation, utcnow
from engagement.errors import DomainError
from engagement.moderation.flags import Flag
from engagement.moderation.models import (
    CommentFlag,
    ModerationAction,
    ModerationEvent,
    ReportReason,
)
from engagement.moderation.operations import (
    AlreadyHandled,
    NotAllowedNow,
    NoteRequired,
    bulk_decide,
    enter_comment,
    hide_comment,
    publish_all_pending,
    publish_comment,
    publish_redacted,
    reject_comment,
    report_comment,
    restore_comment,
)
from engagement.moderation.queries import (
    QueueFilters,
    moderation_queue,
    moderation_summary,
)
from tests.factories import make_comment

ENGAGEMENT = Path(__file__).resolve().parents[2] / "engagement"


@pytest.fixture
def ana(session: Any) -> Any:
    user = create_staff(session, "ana@example.gov", StaffRole.MODERATOR, "a long passphrase", "Ana")
    session.commit()
    return user


@pytest.fixture
def ben(session: Any) -> Any:
    user = create_staff(session, "ben@example.gov", StaffRole.MODERATOR, "a long passphrase", "Ben")
    session.commit()
    return user


def pending(session: Any, consultation: Any, **fields: Any) -> Comment:
    comment = make_comment(session, consultation, status=CommentStatus.PENDING, **fields)
    session.commit()
    return comment


def events(session: Any, comment: Comment) -> list[ModerationEvent]:
    return list(
        session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment.id)
            .order_by(ModerationEvent.id)
        )
    )


def test_publishing_is_logged_with_who_and_before_and_after(
    session: Any, consultation: Any, ana: Any
) -> None:
    comment = pending(session, consultation)
    publish_comment(session, comment.id, comment.version, ana)
    session.commit()
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.published_at is not None
    assert is_counted(comment)
    [entry] = events(session, comment)
    assert entry.actor == "Ana"
    assert entry.staff_user_id == ana.id
    assert entry.action == ModerationAction.PUBLISH
    assert entry.before["status"] == "pending"
    assert entry.after["status"] == "published"


def test_redaction_publishes_a_copy_and_keeps_the_original(
    session: Any, consultation: Any, ana: Any
) -> None:
    body = "My neighbor Jane Roe at 612-555-0199 saw it."
    comment = pending(session, consultation, body=body)
    start = body.index("612")
    name = body.index("Jane Roe")
    publish_redacted(
        session, comment.id, comment.version, ana, [(start, start + 12), (name, name + 8)]
    )
    session.commit()
    assert comment.body == body
    assert comment.published_body == (
        "My neighbor [removed: personal information] at [removed: personal information] saw it."
    )
    assert comment.public_text == comment.published_body
    [entry] = events(session, comment)
    assert entry.action == ModerationAction.PUBLISH_REDACTED
    assert entry.after["redactions"] == [[name, name + 8], [start, start + 12]]


def test_redaction_marker_is_in_the_comments_language(
    session: Any, consultation: Any, ana: Any, app: Any
) -> None:
    comment = pending(session, consultation, body="Wac 612-555-0199 maanta.", locale="so")
    with app.test_request_context("/so/"):
        publish_redacted(session, comment.id, comment.version, ana, [(4, 16)])
    marker = comment.published_body[4:-8]
    assert marker != "[removed: personal information]"
    assert marker.startswith("[")


def test_redaction_needs_something_marked(session: Any, consultation: Any, ana: Any) -> None:
    comment = pending(session, consultation)
    with pytest.raises(DomainError):
        publish_redacted(session, comment.id, comment.version, ana, [])


def test_rejecting_needs_a_reason_and_other_needs_a_note(
    session: Any, consultation: Any, ana: Any
) -> None:
    comment = pending(session, consultation)
    with pytest.raises(NoteRequired):
        reject_comment(session, comment.id, comment.version, ana, RejectionReason.OTHER, "  ")
    reject_comment(session, comment.id, comment.version, ana, RejectionReason.SPAM)
    session.commit()
    assert comment.status == CommentStatus.REJECTED
    assert comment.rejection_reason == RejectionReason.SPAM
    assert events(session, comment)[-1].reason == RejectionReason.SPAM


def test_hide_and_restore(session: Any, consultation: Any, ana: Any) -> None:
    comment = pending(session, consultation)
    with pytest.raises(NotAllowedNow):
        hide_comment(session, comment.id, comment.version, ana, None)
    publish_comment(session, comment.id, comment.version, ana)
    hide_comment(session, comment.id, comment.version, ana, "Names a minor")
    assert comment.status == CommentStatus.HIDDEN
    assert not is_counted(comment)
    restore_comment(session, comment.id, comment.version, ana)
    session.commit()
    assert comment.status == CommentStatus.PENDING
    assert [e.action for e in events(session, comment)] == [
        ModerationAction.PUBLISH, ModerationAction.HIDE, ModerationAction.RESTORE
    ]  # fmt: skip


def test_second_moderator_is_told_who_handled_it(
    session: Any, consultation: Any, ana: Any, ben: Any
) -> None:
    comment = pending(session, consultation)
    seen_by_both = comment.version
    publish_comment(session, comment.id, seen_by_both, ana)
    session.commit()
    with pytest.raises(AlreadyHandled, match="Already handled by Ana at"):
        reject_comment(session, comment.id, seen_by_both, ben, RejectionReason.SPAM)
    session.rollback()
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PUBLISHED
    assert len(events(session, comment)) == 1


def test_bulk_publish_skips_what_someone_else_changed(
    session: Any, consultation: Any, ana: Any, ben: Any
) -> None:
    comments = [pending(session, consultation, body=f"Comment number {i}") for i in range(3)]
    seen = {c.id: c.version for c in comments}
    reject_comment(session, comments[1].id, comments[1].version, ben, RejectionReason.OFF_TOPIC)
    session.commit()
    result = bulk_decide(session, seen, ana)
    session.commit()
    assert result.done == [comments[0].id, comments[2].id]
    assert [comment_id for comment_id, _ in result.skipped] == [comments[1].id]
    assert "Ben" in result.skipped[0][1]
    session.expire_all()
    statuses = [session.get(Comment, c.id).status for c in comments]
    assert statuses == [CommentStatus.PUBLISHED, CommentStatus.REJECTED, CommentStatus.PUBLISHED]
    assert all(e.bulk for e in events(session, comments[0]))


def test_bulk_reject_with_one_reason(session: Any, consultation: Any, ana: Any) -> None:
    comments = [pending(session, consultation, body=f"Buy cheap watches {i}") for i in range(2)]
    result = bulk_decide(
        session, {c.id: c.version for c in comments}, ana, reason=RejectionReason.SPAM
    )
    session.commit()
    assert len(result.done) == 2
    assert {c.rejection_reason for c in comments} == {RejectionReason.SPAM}


def test_reports_from_three_clients_hide_the_comment(
    session: Any, consultation: Any, ana: Any
) -> None:
    comment = make_comment(session, consultation)  # published
    session.commit()
    report_comment(session, comment, ReportReason.HARASSMENT, None, "client-a")
    report_comment(session, comment, ReportReason.HARASSMENT, "again", "client-a")
    report_comment(session, comment, ReportReason.SPAM, None, "client-b")
    assert comment.status == CommentStatus.PUBLISHED  # one client twice counts once
    page = moderation_queue(session, QueueFilters())
    assert [item.comment.id for item in page.items] == [comment.id]
    assert page.items[0].open_reports == 3
    report_comment(session, comment, ReportReason.OTHER, None, "client-c")
    session.commit()
    assert comment.status == CommentStatus.HIDDEN
    assert events(session, comment)[-1].action == ModerationAction.AUTO_HIDE
    assert events(session, comment)[-1].actor == "automatic"
    # A moderator reviews it and keeps it published: the reports are closed.
    publish_comment(session, comment.id, comment.version, ana)
    session.commit()
    assert moderation_queue(session, QueueFilters()).items == []


def test_only_published_comments_can_be_reported(session: Any, consultation: Any) -> None:
    comment = pending(session, consultation)
    with pytest.raises(NotAllowedNow):
        report_comment(session, comment, ReportReason.SPAM, None, "client-a")


def test_flags_are_computed_on_arrival_and_threats_come_first(
    session: Any, consultation: Any
) -> None:
    older = pending(session, consultation, body="Call me at 612-555-0199 about the hearing please.")
    newer = pending(session, consultation, body="I will kill the chief if this passes, I promise.")
    flags = set(session.scalars(select(CommentFlag.flag).where(CommentFlag.comment_id == older.id)))
    assert Flag.PERSONAL_INFORMATION in flags
    page = moderation_queue(session, QueueFilters())
    assert [item.comment.id for item in page.items] == [newer.id, older.id]
    assert Flag.THREAT in page.items[0].flags
    assert page.counts.by_flag[Flag.PERSONAL_INFORMATION] == 1
    only_pii = moderation_queue(session, QueueFilters(flag=Flag.PERSONAL_INFORMATION))
    assert [item.comment.id for item in only_pii.items] == [older.id]


def test_queue_filters(session: Any, consultation: Any) -> None:
    somali = pending(session, consultation, locale="so", neighborhood="cedar-riverside")
    paper = pending(session, consultation, channel=Channel.PAPER)
    ids = lambda f: [i.comment.id for i in moderation_queue(session, f).items]  # noqa: E731
    assert ids(QueueFilters(language="so")) == [somali.id]
    assert ids(QueueFilters(neighborhood="cedar-riverside")) == [somali.id]
    assert ids(QueueFilters(channel=Channel.PAPER)) == [paper.id]
    assert ids(QueueFilters(consultation_id=consultation.id)) == [somali.id, paper.id]


def test_log_rows_cannot_be_changed_or_deleted_through_the_orm(
    session: Any, consultation: Any, ana: Any
) -> None:
    comment = pending(session, consultation)
    publish_comment(session, comment.id, comment.version, ana)
    session.commit()
    [entry] = events(session, comment)
    entry.note = "rewritten history"
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    session.delete(entry)
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(ModerationEvent).values(note="x"),
        lambda: delete(ModerationEvent),
        lambda: text("UPDATE moderation_events SET actor = 'someone else'"),
        lambda: text("DELETE FROM moderation_events"),
    ],
)
def test_log_rows_cannot_be_changed_in_the_database(
    session: Any, consultation: Any, ana: Any, statement: Any
) -> None:
    comment = pending(session, consultation)
    publish_comment(session, comment.id, comment.version, ana)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(statement())
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ModerationEvent)) == 1


def test_no_code_path_updates_or_deletes_log_rows() -> None:
    pattern = re.compile(r"(update|delete)\(\s*ModerationEvent|moderation_events\s+(SET|WHERE)")
    offenders = [str(path) for path in ENGAGEMENT.rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []


def test_comments_are_never_deleted_by_the_application() -> None:
    pattern = re.compile(r"delete\(\s*Comment\b|session\.delete\(\s*comment")
    offenders = [str(path) for path in ENGAGEMENT.rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []


def test_publish_all_is_logged_as_a_bulk_action_by_the_command_line(
    session: Any, consultation: Any
) -> None:
    comments = [pending(session, consultation, body=f"Comment {i} for the demo") for i in range(3)]
    assert publish_all_pending(session) == 3
    session.commit()
    session.expire_all()
    for comment in comments:
        [entry] = events(session, comment)
        assert entry.actor == "command line"
        assert entry.bulk
        assert entry.staff_user_id is None
        assert session.get(Comment, comment.id).status == CommentStatus.PUBLISHED


def test_public_summary_counts_without_content(session: Any, consultation: Any, ana: Any) -> None:
    a, b, c, d = (pending(session, consultation, body=f"Summary case {i}") for i in range(4))
    publish_comment(session, a.id, a.version, ana)
    publish_redacted(session, b.id, b.version, ana, [(0, 7)])
    reject_comment(session, c.id, c.version, ana, RejectionReason.HARASSMENT)
    session.commit()
    summary = moderation_summary(session, consultation)
    assert (summary.received, summary.waiting, summary.published, summary.redacted) == (4, 1, 2, 1)
    assert summary.rejected_by_reason == {RejectionReason.HARASSMENT: 1}
    assert d.status == CommentStatus.PENDING


def test_staff_entry_records_channel_staff_and_source(
    session: Any, consultation: Any, ana: Any
) -> None:
    draft = CommentDraft(
        body="Testimony given at the hearing.", position=Position.MIXED, topic_slugs=["cost"],
        neighborhood="seward", display_name=None, contact_email=None, locale="en",
        channel=Channel.IN_PERSON,
    )  # fmt: skip
    comment = enter_comment(
        session, consultation, draft, ana, received_at=utcnow(), source_reference="Sign-up #14"
    )
    session.commit()
    assert comment.channel == Channel.IN_PERSON
    assert comment.entered_by_id == ana.id
    assert comment.source_reference == "Sign-up #14"
    assert comment.status == CommentStatus.PENDING
    assert events(session, comment)[0].action == ModerationAction.ENTER


def test_staff_entry_takes_late_typed_paper_received_in_time(
    session: Any, consultation: Any, ana: Any
) -> None:
    consultation.closes_at = utcnow() - timedelta(days=2)
    consultation.opens_at = utcnow() - timedelta(days=20)
    session.commit()
    draft = CommentDraft(
        body="Letter received by mail.", position=Position.OPPOSE, topic_slugs=[],
        neighborhood="outside", display_name=None, contact_email=None, locale="en",
        channel=Channel.PAPER,
    )  # fmt: skip
    on_time = enter_comment(
        session,
        consultation,
        draft,
        ana,
        received_at=utcnow() - timedelta(days=5),
        source_reference=None,
    )
    assert on_time.channel == Channel.PAPER
    with pytest.raises(DomainError):
        enter_comment(
            session, consultation, draft, ana, received_at=utcnow(), source_reference=None
        )


def test_publishing_again_keeps_the_redaction(session: Any, consultation: Any, ana: Any) -> None:
    body = "Call John Smith at 612-555-0199."
    comment = pending(session, consultation, body=body)
    publish_redacted(session, comment.id, comment.version, ana, [(5, 15), (19, 31)])
    hide_comment(session, comment.id, comment.version, ana, "reported")
    publish_comment(session, comment.id, comment.version, ana)  # published again after review
    publish_comment(session, comment.id, comment.version, ana)  # kept published: reports closed
    session.commit()
    assert comment.public_text == (
        "Call [removed: personal information] at [removed: personal information]."
    )
    assert [e.action for e in events(session, comment)][-1] == ModerationAction.DISMISS_REPORTS


def test_restore_keeps_the_redaction_for_the_next_review(
    session: Any, consultation: Any, ana: Any
) -> None:
    comment = pending(session, consultation, body="Call John Smith today.")
    publish_redacted(session, comment.id, comment.version, ana, [(5, 15)])
    hide_comment(session, comment.id, comment.version, ana, None)
    restore_comment(session, comment.id, comment.version, ana)
    session.commit()
    assert comment.status == CommentStatus.PENDING
    assert comment.published_body == "Call [removed: personal information] today."


def test_one_client_reporting_on_three_days_does_not_hide(session: Any, consultation: Any) -> None:
    comment = make_comment(session, consultation)
    session.commit()
    for days_ago in (2, 1, 0):
        report = report_comment(
            session, comment, ReportReason.SPAM, None, f"hash-of-day-{days_ago}"
        )
        report.created_at = utcnow() - timedelta(days=days_ago)
        session.flush()
    session.commit()
    # The hashes differ (they rotate daily) but only today's report counts toward hiding.
    assert comment.status == CommentStatus.PUBLISHED


def test_redaction_spans_are_merged_and_phrases_match_any_case() -> None:
    from engagement.moderation.operations import spans_to_remove

    body = "John Smith met john smith; JOHN SMITH left."
    assert spans_to_remove(body, ["0-10", "0-10", "5-10"], "john smith") == [
        (0, 10), (15, 25), (27, 37)
    ]  # fmt: skip
