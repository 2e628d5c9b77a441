"""What moderators, council members and the public read about moderation."""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from engagement.comments.models import Channel, Comment, CommentStatus, RejectionReason
from engagement.consultations.models import Consultation
from engagement.errors import NotFound
from engagement.geography.models import Neighborhood
from engagement.moderation.flags import Flag, FlagHit, detect_flags
from engagement.moderation.models import (
    CommentFlag,
    CommentReport,
    ModerationAction,
    ModerationEvent,
)

QUEUE_PAGE_SIZE = 25


def _has_open_reports() -> Any:
    return exists().where(
        CommentReport.comment_id == Comment.id, CommentReport.resolved_at.is_(None)
    )


def _in_queue() -> Any:
    """Waiting for a decision: new comments, and published or hidden ones that were reported."""
    return or_(Comment.status == CommentStatus.PENDING, _has_open_reports())


@dataclass(frozen=True)
class QueueFilters:
    consultation_id: int | None = None
    language: str | None = None
    neighborhood: str | None = None
    flag: Flag | None = None
    channel: Channel | None = None
    #: Only the copies of one form letter (to decide on them together).
    campaign: int | None = None


@dataclass(frozen=True)
class QueueItem:
    comment: Comment
    flags: list[Flag]
    open_reports: int
    #: How many comments (any status) are copies of the same form letter; 0 if none.
    campaign_copies: int = 0


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    reported: int
    by_flag: dict[Flag, int]


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    counts: QueueCounts
    per_page: int = QUEUE_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _queue_conditions(filters: QueueFilters) -> list[Any]:
    conditions = [_in_queue()]
    if filters.consultation_id:
        conditions.append(Comment.consultation_id == filters.consultation_id)
    if filters.language:
        conditions.append(Comment.locale == filters.language)
    if filters.channel:
        conditions.append(Comment.channel == filters.channel)
    if filters.neighborhood:
        conditions.append(
            Comment.neighborhood_id.in_(
                select(Neighborhood.id).where(Neighborhood.slug == filters.neighborhood)
            )
        )
    if filters.flag:
        conditions.append(
            exists().where(CommentFlag.comment_id == Comment.id, CommentFlag.flag == filters.flag)
        )
    if filters.campaign:
        conditions.append(Comment.campaign_id == filters.campaign)
    return conditions


def moderation_queue(session: Session, filters: QueueFilters, page: int = 1) -> QueuePage:
    """Comments waiting for a decision: possible threats first, then reported, then oldest first.

    Raises:
        NotFound: the page is past the last page.
    """
    conditions = _queue_conditions(filters)
    total = session.scalar(select(func.count()).select_from(Comment).where(*conditions)) or 0
    if page < 1 or (page > 1 and (page - 1) * QUEUE_PAGE_SIZE >= total):
        raise NotFound
    reports = (
        select(func.count(CommentReport.id))
        .where(CommentReport.comment_id == Comment.id, CommentReport.resolved_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Comment, reports)
        .where(*conditions)
        .order_by(Comment.priority.desc(), reports.desc(), Comment.submitted_at, Comment.id)
        .limit(QUEUE_PAGE_SIZE)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
        .options(
            joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
            joinedload(Comment.consultation),
            selectinload(Comment.topics),
        )
    ).all()
    flags = _flags_of(session, [comment.id for comment, _ in rows])
    copies = campaign_sizes(session, {comment.campaign_id for comment, _ in rows})
    items = [
        QueueItem(comment, flags.get(comment.id, []), count, copies.get(comment.campaign_id, 0))
        for comment, count in rows
    ]
    return QueuePage(items, total, page, queue_counts(session, filters))


def campaign_sizes(session: Session, campaign_ids: set[int | None]) -> dict[int | None, int]:
    """How many comments each campaign holds, whatever their status."""
    ids = [campaign_id for campaign_id in campaign_ids if campaign_id is not None]
    if not ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(Comment.campaign_id, func.count())
            .where(Comment.campaign_id.in_(ids))
            .group_by(Comment.campaign_id)
        ).all()
    )


def _flags_of(session: Session, comment_ids: list[int]) -> dict[int, list[Flag]]:
    found: dict[int, list[Flag]] = {}
    for comment_id, flag in session.execute(
        select(CommentFlag.comment_id, CommentFlag.flag).where(
            CommentFlag.comment_id.in_(comment_ids)
        )
    ):
        found.setdefault(comment_id, []).append(flag)
    order = list(Flag)
    return {key: sorted(value, key=order.index) for key, value in found.items()}


def queue_counts(session: Session, filters: QueueFilters) -> QueueCounts:
    conditions = _queue_conditions(QueueFilters(**{**filters.__dict__, "flag": None}))
    waiting = session.scalar(select(func.count()).select_from(Comment).where(*conditions)) or 0
    reported = (
        session.scalar(
            select(func.count()).select_from(Comment).where(*conditions, _has_open_reports())
        )
        or 0
    )
    by_flag = dict(
        session.execute(
            select(CommentFlag.flag, func.count())
            .join(Comment, Comment.id == CommentFlag.comment_id)
            .where(*conditions)
            .group_by(CommentFlag.flag)
        ).all()
    )
    return QueueCounts(waiting, reported, by_flag)


@dataclass(frozen=True)
class ReviewItem:
    comment: Comment
    flags: list[Flag]
    hits: list[FlagHit]
    reports: list[CommentReport]
    events: list[ModerationEvent]
    campaign_copies: int = 0


def comment_for_review(session: Session, comment_id: int) -> ReviewItem:
    """A comment with everything a moderator needs to decide on it.

    Raises:
        NotFound: no such comment.
    """
    comment = session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(
            joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
            joinedload(Comment.consultation),
            selectinload(Comment.topics),
        )
    )
    if comment is None:
        raise NotFound
    reports = list(
        session.scalars(
            select(CommentReport)
            .where(CommentReport.comment_id == comment_id)
            .order_by(CommentReport.created_at)
        )
    )
    return ReviewItem(
        comment=comment,
        flags=_flags_of(session, [comment_id]).get(comment_id, []),
        hits=detect_flags(comment.body, comment.locale),
        reports=reports,
        events=moderation_log(session, comment_id),
        campaign_copies=campaign_sizes(session, {comment.campaign_id}).get(comment.campaign_id, 0),
    )


def next_in_queue(session: Session, after_id: int) -> int | None:
    """The comment a moderator sees next, once one is decided."""
    return session.scalar(
        select(Comment.id)
        .where(_in_queue(), Comment.id != after_id)
        .order_by(Comment.priority.desc(), Comment.submitted_at, Comment.id)
        .limit(1)
    )


def moderation_log(session: Session, comment_id: int) -> list[ModerationEvent]:
    return list(
        session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.created_at, ModerationEvent.id)
        )
    )


def full_log(session: Session, batch: int = 1000) -> Iterator[ModerationEvent]:
    """Every log entry, oldest first, read in batches (for the oversight CSV export)."""
    statement = (
        select(ModerationEvent)
        .order_by(ModerationEvent.id)
        .options(joinedload(ModerationEvent.comment).load_only(Comment.receipt_code))
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(statement)


@dataclass(frozen=True)
class ModerationSummary:
    """Public counts of what moderation did; never the content of what was not published."""

    received: int
    waiting: int
    published: int
    redacted: int
    rejected_by_reason: dict[RejectionReason, int] = field(default_factory=dict)
    hidden_after_reports: int = 0
    hidden_by_staff: int = 0

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())


def moderation_summary(session: Session, consultation: Consultation) -> ModerationSummary:
    """One grouped read of the statuses, plus two small indexed counts."""
    by_status: dict[CommentStatus, int] = {}
    rejected: dict[RejectionReason, int] = {}
    for status, reason, count in session.execute(
        select(Comment.status, Comment.rejection_reason, func.count())
        .where(Comment.consultation_id == consultation.id)
        .group_by(Comment.status, Comment.rejection_reason)
    ):
        by_status[status] = by_status.get(status, 0) + count
        if status == CommentStatus.REJECTED and reason is not None:
            rejected[reason] = count
    redacted = session.scalar(
        select(func.count()).where(
            Comment.consultation_id == consultation.id,
            Comment.published_body.is_not(None),
            Comment.status == CommentStatus.PUBLISHED,
        )
    )
    hidden_after_reports = (
        session.scalar(
            select(func.count()).where(
                Comment.consultation_id == consultation.id,
                Comment.status == CommentStatus.HIDDEN,
                exists().where(
                    ModerationEvent.comment_id == Comment.id,
                    ModerationEvent.action == ModerationAction.AUTO_HIDE,
                ),
            )
        )
        or 0
    )
    hidden = by_status.get(CommentStatus.HIDDEN, 0)
    return ModerationSummary(
        received=sum(by_status.values()),
        waiting=by_status.get(CommentStatus.PENDING, 0),
        published=by_status.get(CommentStatus.PUBLISHED, 0),
        redacted=redacted or 0,
        rejected_by_reason=rejected,
        hidden_after_reports=hidden_after_reports,
        hidden_by_staff=hidden - hidden_after_reports,
    )
