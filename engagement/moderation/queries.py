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


@dataclass(frozen=True)
class QueueItem:
    comment: Comment
    flags: list[Flag]
    open_reports: int


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
    items = [QueueItem(comment, flags.get(comment.id, []), count) for comment, count in rows]
    return QueuePage(items, total, page, queue_counts(session, filters))


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
    def count(*conditions: Any) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Comment)
                .where(Comment.consultation_id == consultation.id, *conditions)
            )
            or 0
        )

    rejected = dict(
        session.execute(
            select(Comment.rejection_reason, func.count())
            .where(
                Comment.consultation_id == consultation.id,
                Comment.status == CommentStatus.REJECTED,
            )
            .group_by(Comment.rejection_reason)
        ).all()
    )
    hidden_after_reports = count(
        Comment.status == CommentStatus.HIDDEN,
        exists().where(
            ModerationEvent.comment_id == Comment.id,
            ModerationEvent.action == ModerationAction.AUTO_HIDE,
        ),
    )
    return ModerationSummary(
        received=count(),
        waiting=count(Comment.status == CommentStatus.PENDING),
        published=count(Comment.status == CommentStatus.PUBLISHED),
        redacted=count(
            Comment.status == CommentStatus.PUBLISHED, Comment.published_body.is_not(None)
        ),
        rejected_by_reason=rejected,
        hidden_after_reports=hidden_after_reports,
        hidden_by_staff=count(Comment.status == CommentStatus.HIDDEN) - hidden_after_reports,
    )
