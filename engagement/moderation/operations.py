"""Moderators' decisions, residents' reports and staff entry, each recorded in the audit log."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engagement import versions
from engagement.auth.models import StaffUser
from engagement.comments.models import Comment, CommentStatus, RejectionReason
from engagement.comments.operations import (
    CommentDraft,
    comment_by_submission_token,
    submit_comment,
)
from engagement.comments.queries import PUBLISHED_STATUSES
from engagement.consultations.models import Consultation
from engagement.db import utcnow
from engagement.errors import Conflict, DomainError, NotFound
from engagement.i18n import in_language
from engagement.jobs.operations import enqueue
from engagement.moderation.flags import redact
from engagement.moderation.models import (
    NOTIFIED_ACTIONS,
    CommentReport,
    ModerationAction,
    ModerationEvent,
    ReportReason,
)
from engagement.moderation.tasks import SEND_OUTCOME

#: What the public sees in place of removed text, in the comment's own language.
REDACTION_MARKER = _l("[removed: personal information]")
#: Reports from this many different clients hide a published comment until a moderator looks.
REPORTS_TO_HIDE = 3
COMMAND_LINE = "command line"
AUTOMATIC = "automatic"


class AlreadyHandled(Conflict):
    """A second moderator acted on a comment the first had already changed."""

    def __init__(self, actor: str, at: datetime) -> None:
        super().__init__(
            _l(
                "Already handled by %(name)s at %(time)s. Nothing was changed; "
                "the comment is shown as it is now.",
                name=actor,
                time=format_datetime(at, "short"),
            )
        )


class NoteRequired(DomainError):
    message = _l("Write a short note when the reason is \u201canother reason\u201d.")


class NothingToRedact(DomainError):
    message = _l("Mark at least one part of the text to remove.")


class NotAllowedNow(DomainError):
    status_code = 409
    message = _l("This action does not apply to the comment in its current state.")


def _state(comment: Comment) -> dict[str, Any]:
    return {
        "status": comment.status.value,
        "published_body": comment.published_body,
        "redactions": comment.redactions,
        "rejection_reason": comment.rejection_reason.value if comment.rejection_reason else None,
        "highlighted": comment.highlighted,
    }


def _record(
    session: Session,
    comment: Comment,
    actor: StaffUser | None,
    action: ModerationAction,
    before: dict[str, Any],
    *,
    reason: RejectionReason | None = None,
    note: str | None = None,
    bulk: bool = False,
    actor_name: str = AUTOMATIC,
) -> ModerationEvent:
    entry = ModerationEvent(
        comment=comment,
        staff_user_id=actor.id if actor else None,
        actor=actor.display_name if actor else actor_name,
        action=action,
        reason=reason,
        note=note or None,
        before=before,
        after=_state(comment),
        bulk=bulk,
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


def _comment_seen(session: Session, comment_id: int, seen_version: int) -> Comment:
    """The comment, if it is still the version the moderator looked at.

    Raises:
        NotFound: no such comment.
        AlreadyHandled: someone changed it since.
    """
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound
    if comment.version != seen_version:
        raise _already_handled(session, comment)
    return comment


def _already_handled(session: Session, comment: Comment) -> AlreadyHandled:
    last = session.scalar(
        select(ModerationEvent)
        .where(ModerationEvent.comment_id == comment.id)
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    return AlreadyHandled(last.actor, last.created_at) if last else AlreadyHandled("?", utcnow())


def _flush(session: Session) -> None:
    """Write the change, unless another transaction changed the same row in the meantime."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict from None


def _decide(
    session: Session,
    comment_id: int,
    seen_version: int,
    staff: StaffUser,
    action: ModerationAction,
    allowed_from: Sequence[CommentStatus],
    *,
    status: CommentStatus,
    reason: RejectionReason | None = None,
    note: str | None = None,
    redacted: tuple[str, list[list[int]]] | None = None,
    bulk: bool = False,
) -> Comment:
    """Apply one decision. A redacted copy, once made, stays until a new redaction replaces it:
    publishing again, hiding or restoring never puts removed text back in public."""
    comment = _comment_seen(session, comment_id, seen_version)
    if comment.status not in allowed_from:
        raise NotAllowedNow
    before = _state(comment)
    comment.status = status
    comment.rejection_reason = reason
    if redacted is not None:
        comment.published_body, comment.redactions = redacted
    if status == CommentStatus.PUBLISHED and comment.published_at is None:
        comment.published_at = utcnow()
    _resolve_reports(session, comment)
    entry = _record(session, comment, staff, action, before, reason=reason, note=note, bulk=bulk)
    _flush(session)
    if comment.contact_email and action in NOTIFIED_ACTIONS:
        enqueue(session, SEND_OUTCOME, subject_id=comment.id, comment_id=comment.id,
                event_id=entry.id)  # fmt: skip
    return comment


def highlight_comment(
    session: Session, comment_id: int, seen_version: int, staff: StaffUser, *, highlighted: bool
) -> Comment:
    """Mark a published comment as a representative quote for the council report, or unmark it.

    Only published comments can be quotes: the report shows them to the public record.

    Raises:
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    comment = _comment_seen(session, comment_id, seen_version)
    if comment.status not in PUBLISHED_STATUSES:
        raise NotAllowedNow
    before = _state(comment)
    comment.highlighted = highlighted
    action = ModerationAction.HIGHLIGHT if highlighted else ModerationAction.UNHIGHLIGHT
    _record(session, comment, staff, action, before)
    _flush(session)
    return comment


#: The states each decision applies to; the review page offers exactly these (see
#: ``available_decisions``).
REVIEWABLE = (CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN)
HIDEABLE = (CommentStatus.PUBLISHED,)
RESTORABLE = (CommentStatus.REJECTED, CommentStatus.HIDDEN)


@dataclass(frozen=True)
class AvailableDecisions:
    #: Publish as written, publish with parts removed, or reject.
    review: bool
    #: Publishing a comment that is already public only keeps it and closes its reports.
    keeps_published: bool
    hide: bool
    restore: bool
    #: Mark or unmark as a representative quote (published comments only).
    highlight: bool = False


def available_decisions(comment: Comment) -> AvailableDecisions:
    """Which decisions apply to the comment as it is now."""
    return AvailableDecisions(
        review=comment.status in REVIEWABLE,
        keeps_published=comment.status == CommentStatus.PUBLISHED,
        hide=comment.status in HIDEABLE,
        restore=comment.status in RESTORABLE,
        highlight=comment.status in PUBLISHED_STATUSES,
    )


def publish_comment(
    session: Session, comment_id: int, seen_version: int, staff: StaffUser, *, bulk: bool = False
) -> Comment:
    """Publish a comment (with its redacted copy, if it has one).

    For a comment that is already published and was reported, this keeps it published and
    closes the reports.

    Raises:
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    comment = _comment_seen(session, comment_id, seen_version)
    action = (
        ModerationAction.DISMISS_REPORTS
        if comment.status == CommentStatus.PUBLISHED
        else ModerationAction.PUBLISH
    )
    return _decide(
        session, comment_id, seen_version, staff, action, REVIEWABLE,
        status=CommentStatus.PUBLISHED, bulk=bulk,
    )  # fmt: skip


def publish_redacted(
    session: Session,
    comment_id: int,
    seen_version: int,
    staff: StaffUser,
    spans: list[tuple[int, int]],
) -> Comment:
    """Publish a copy with the marked spans replaced; the original stays private for the record.

    Raises:
        NothingToRedact: no span was marked.
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    if not spans:
        raise NothingToRedact
    comment = _comment_seen(session, comment_id, seen_version)
    merged = merge_spans(spans)
    return _decide(
        session, comment_id, seen_version, staff, ModerationAction.PUBLISH_REDACTED, REVIEWABLE,
        status=CommentStatus.PUBLISHED,
        redacted=(redacted_text(comment, merged), [[start, end] for start, end in merged]),
    )  # fmt: skip


def redacted_text(comment: Comment, spans: list[tuple[int, int]]) -> str:
    """The comment with the spans replaced by the marker, in the comment's own language."""
    with in_language(comment.locale):
        marker = str(REDACTION_MARKER)
    return redact(comment.body, spans, marker)


def spans_to_remove(body: str, suggested: list[str], phrases: str) -> list[tuple[int, int]]:
    """The spans a moderator marked: ticked suggestions ("start-end") and every occurrence of
    each typed phrase, whatever its case."""
    spans = []
    for value in suggested:
        start, _sep, end = value.partition("-")
        if start.isdigit() and end.isdigit() and int(start) < int(end) <= len(body):
            spans.append((int(start), int(end)))
    for phrase in filter(None, (line.strip() for line in phrases.splitlines())):
        spans.extend(m.span() for m in re.finditer(re.escape(phrase), body, re.IGNORECASE))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def reject_comment(
    session: Session,
    comment_id: int,
    seen_version: int,
    staff: StaffUser,
    reason: RejectionReason,
    note: str | None = None,
    *,
    bulk: bool = False,
) -> Comment:
    """Decide not to publish, for a reason from the published list.

    Raises:
        NoteRequired: "another reason" without a note.
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    if reason == RejectionReason.OTHER and not (note and note.strip()):
        raise NoteRequired
    return _decide(
        session, comment_id, seen_version, staff, ModerationAction.REJECT, REVIEWABLE,
        status=CommentStatus.REJECTED, reason=reason, note=note, bulk=bulk,
    )  # fmt: skip


def hide_comment(
    session: Session, comment_id: int, seen_version: int, staff: StaffUser, note: str | None
) -> Comment:
    """Take a published comment off the public list (it stays in the record).

    Raises:
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    return _decide(
        session, comment_id, seen_version, staff, ModerationAction.HIDE,
        HIDEABLE, status=CommentStatus.HIDDEN, note=note,
    )  # fmt: skip


def restore_comment(
    session: Session, comment_id: int, seen_version: int, staff: StaffUser
) -> Comment:
    """Undo a decision: a rejected or hidden comment goes back to the queue for a fresh look.

    Raises:
        AlreadyHandled, NotFound, NotAllowedNow.
    """
    return _decide(
        session, comment_id, seen_version, staff, ModerationAction.RESTORE,
        RESTORABLE, status=CommentStatus.PENDING,
    )  # fmt: skip


def _resolve_reports(session: Session, comment: Comment) -> None:
    session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    #: Comments someone else changed first, with the refusal message.
    skipped: list[tuple[int, str]]


def bulk_decide(
    session: Session,
    seen: dict[int, int],
    staff: StaffUser,
    *,
    reason: RejectionReason | None = None,
    note: str | None = None,
) -> BulkResult:
    """Publish (no reason) or reject (with a reason) many comments, each logged on its own.

    Comments another moderator changed since they were shown are skipped and reported back.

    Raises:
        NoteRequired: rejecting for "another reason" without a note.
    """
    if reason == RejectionReason.OTHER and not (note and note.strip()):
        raise NoteRequired
    done, skipped = [], []
    for comment_id, version in seen.items():
        try:
            with session.begin_nested():
                if reason is None:
                    publish_comment(session, comment_id, version, staff, bulk=True)
                else:
                    reject_comment(session, comment_id, version, staff, reason, note, bulk=True)
        except DomainError as error:
            skipped.append((comment_id, str(error.message)))
        else:
            done.append(comment_id)
    return BulkResult(done, skipped)


def publish_all_pending(session: Session, consultation: Consultation | None = None) -> int:
    """Publish every pending comment without review (demos and benchmarks); returns how many.

    Logged as one bulk action by the command line per comment, written set-wise so that it
    stays fast with a million comments.
    """
    pending = select(Comment.id).where(Comment.status == CommentStatus.PENDING)
    if consultation is not None:
        pending = pending.where(Comment.consultation_id == consultation.id)
    count = session.scalar(select(func.count()).select_from(pending.subquery())) or 0
    now = utcnow()
    session.execute(
        insert(ModerationEvent).from_select(
            ["comment_id", "actor", "action", "before", "after", "bulk", "created_at"],
            select(
                Comment.id,
                literal(COMMAND_LINE),
                literal(ModerationAction.PUBLISH.value),
                literal({"status": "pending"}, ModerationEvent.before.type),
                literal({"status": "published"}, ModerationEvent.after.type),
                literal(True),
                literal(now, ModerationEvent.created_at.type),
            ).where(Comment.id.in_(pending)),
        )
    )
    session.execute(
        update(Comment)
        .where(Comment.id.in_(pending))
        .values(status=CommentStatus.PUBLISHED, published_at=now, version=Comment.version + 1)
        .execution_options(synchronize_session=False)
    )
    if count:
        versions.bump(session, versions.PUBLIC)
    return count


def report_comment(
    session: Session,
    comment: Comment,
    reason: ReportReason,
    note: str | None,
    client_hash: str,
) -> CommentReport:
    """Record a resident's report; reports from enough distinct clients in one day hide it.

    One client's repeated reports count once. The hidden comment goes back to the queue and
    stays in the record.

    Raises:
        NotAllowedNow: the comment is not published.
    """
    if comment.status != CommentStatus.PUBLISHED:
        raise NotAllowedNow
    report = CommentReport(
        comment_id=comment.id, reason=reason, note=note or None, client_hash=client_hash
    )
    session.add(report)
    session.flush()
    # Client hashes change every day, so only the same day's reports can be told apart:
    # one person reporting on three days must not count as three people.
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    reporters = session.scalar(
        select(func.count(func.distinct(CommentReport.client_hash))).where(
            CommentReport.comment_id == comment.id,
            CommentReport.resolved_at.is_(None),
            CommentReport.created_at >= today,
        )
    )
    if (reporters or 0) >= REPORTS_TO_HIDE:
        before = _state(comment)
        comment.status = CommentStatus.HIDDEN
        _record(session, comment, None, ModerationAction.AUTO_HIDE, before)
        session.flush()
    return report


def enter_comment(
    session: Session,
    consultation: Consultation,
    draft: CommentDraft,
    staff: StaffUser,
    *,
    received_at: datetime,
    source_reference: str | None,
    submission_token: str | None = None,
) -> Comment:
    """Enter a comment received on paper, by phone, e-mail or at a hearing, for the resident.

    Same rules as the web form, exactly once per form like it; the date it was received
    decides whether it was on time.

    Raises:
        CommentPeriodNotOpen, CommentPeriodClosed, UnknownChoice: as for the web form.
    """
    if submission_token is not None:
        existing = comment_by_submission_token(session, submission_token)
        if existing is not None:
            return existing
    comment = submit_comment(
        session, consultation, draft, submission_token=submission_token, now=received_at
    )
    comment.entered_by_id = staff.id
    comment.source_reference = source_reference or None
    _record(
        session, comment, staff, ModerationAction.ENTER, {"status": None}, note=source_reference
    )
    session.flush()
    return comment
