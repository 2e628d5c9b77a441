"""Reading comments. This module owns what "published" means, for every page, tally and API."""

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from engagement.comments.models import (
    REJECTION_REASON_LABELS,
    RESIDENCE_LABELS,
    STATUS_LABELS,
    Comment,
    CommentStatus,
    Position,
)
from engagement.comments.operations import (
    RECEIPT_ALPHABET,
    RECEIPT_GROUP_LENGTH,
    RECEIPT_GROUPS,
    received_record,
)
from engagement.consultations.models import Consultation, Topic
from engagement.errors import NotFound
from engagement.geography.models import Neighborhood
from engagement.geography.queries import neighborhoods_by_community
from engagement.i18n import TranslatedValue, translated

_RECEIPT_LENGTH = RECEIPT_GROUPS * RECEIPT_GROUP_LENGTH
#: What people type for letters that are not in the alphabet.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]")


#: The one definition of a comment the public can read and the council counts.
PUBLISHED_STATUSES = (CommentStatus.PUBLISHED,)


def is_published() -> ColumnElement[bool]:
    """SQL condition: the comment is public and counted (see PUBLISHED_STATUSES)."""
    return Comment.status.in_(PUBLISHED_STATUSES)


def is_counted(comment: Comment) -> bool:
    """Whether this comment is in the public list and the tallies right now."""
    return comment.status in PUBLISHED_STATUSES


def normalize_receipt_code(typed: str) -> str | None:
    """Turn what a resident typed ("7kq2 m9xd 4rtb", "7KQ2M9XD4RTB") into a stored code, or None."""
    compact = _SEPARATORS.sub("", typed.upper()).translate(_LOOKALIKES)
    if len(compact) != _RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in compact):
        return None
    return "-".join(
        compact[i : i + RECEIPT_GROUP_LENGTH]
        for i in range(0, _RECEIPT_LENGTH, RECEIPT_GROUP_LENGTH)
    )


def comment_by_receipt(session: Session, typed_code: str) -> Comment:
    """The comment a receipt code belongs to, with what its receipt page shows.

    Raises:
        NotFound: the code is malformed or belongs to no comment.
    """
    code = normalize_receipt_code(typed_code)
    comment = None
    if code is not None:
        comment = session.scalar(
            select(Comment)
            .where(Comment.receipt_code == code)
            .options(
                joinedload(Comment.consultation),
                joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
                selectinload(Comment.topics),
            )
        )
    if comment is None:
        raise NotFound
    return comment


@dataclass(frozen=True)
class CommentFilters:
    topic: str | None = None
    position: Position | None = None
    #: A neighborhood slug.
    neighborhood: str | None = None
    #: The language the resident wrote in (our language code).
    language: str | None = None

    @property
    def active(self) -> bool:
        return any((self.topic, self.position, self.neighborhood, self.language))


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _filtered(consultation: Consultation, filters: CommentFilters) -> list[Any]:
    conditions: list[Any] = [Comment.consultation_id == consultation.id, is_published()]
    if filters.position is not None:
        conditions.append(Comment.position == filters.position)
    if filters.language:
        conditions.append(Comment.locale == filters.language)
    if filters.neighborhood:
        conditions.append(
            Comment.neighborhood_id.in_(
                select(Neighborhood.id).where(Neighborhood.slug == filters.neighborhood)
            )
        )
    if filters.topic:
        conditions.append(
            Comment.topics.any(
                (Topic.slug == filters.topic) & (Topic.consultation_id == consultation.id)
            )
        )
    return conditions


def published_comments(
    session: Session,
    consultation: Consultation,
    filters: CommentFilters,
    *,
    page: int = 1,
    per_page: int = 20,
) -> CommentPage:
    """One page of published comments, newest first, with what the list shows already loaded.

    Raises:
        NotFound: the page number is past the last page.
    """
    conditions = _filtered(consultation, filters)
    total = session.scalar(select(func.count()).select_from(Comment).where(*conditions)) or 0
    if page < 1 or (page > 1 and (page - 1) * per_page >= total):
        raise NotFound
    comments = session.scalars(
        select(Comment)
        .where(*conditions)
        .order_by(Comment.submitted_at.desc(), Comment.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(
            joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
            selectinload(Comment.topics),
        )
    )
    return CommentPage(list(comments), total, page, per_page)


def published_comment(session: Session, consultation: Consultation, typed_code: str) -> Comment:
    """One published comment of a consultation, by its receipt code (its permalink).

    Raises:
        NotFound: no published comment of this consultation has that code.
    """
    comment = comment_by_receipt(session, typed_code)
    if comment.consultation_id != consultation.id or not is_counted(comment):
        raise NotFound
    return comment


@dataclass(frozen=True)
class FormChoices:
    """(value, label) pairs for the comment form and the filters, in one language."""

    #: Topic slug → its name in the reader's language (or marked as a fallback).
    topics: list[tuple[str, TranslatedValue]]
    #: Community name → its neighborhoods.
    neighborhoods: dict[str, list[tuple[str, str]]]
    #: "Outside Minneapolis" and "Prefer not to say".
    other_answers: list[tuple[str, Any]]


def form_choices(session: Session, consultation: Consultation, lang: str) -> FormChoices:
    return FormChoices(
        topics=[(t.slug, translated(t.name, lang)) for t in consultation.topics],
        neighborhoods={
            group.community: group.neighborhoods for group in neighborhoods_by_community(session)
        },
        other_answers=[(value.value, label) for value, label in RESIDENCE_LABELS.items()],
    )


@dataclass(frozen=True)
class Receipt:
    """What the receipt page shows to whoever holds the code.

    Codes of published comments are public (they are the comments' permalinks and appear in the
    open data), so the page shows a comment's text only while it is pending or public, and the
    canonical record only while it holds nothing the public version leaves out.
    """

    comment: Comment
    status_label: Any
    reason_label: Any | None
    is_counted: bool
    text: str | None
    record: str | None


def receipt_by_code(session: Session, typed_code: str) -> Receipt:
    """The receipt and status of a comment.

    Raises:
        NotFound: the code is malformed or belongs to no comment.
    """
    comment = comment_by_receipt(session, typed_code)
    # A code that was ever public (its comment was published once) may be in anyone's hands:
    # then only what is public now is shown, never the original.
    never_public = comment.published_at is None and comment.published_body is None
    private_draft = comment.status == CommentStatus.PENDING and never_public
    shows_text = private_draft or is_counted(comment)
    return Receipt(
        comment=comment,
        status_label=STATUS_LABELS[comment.status],
        reason_label=REJECTION_REASON_LABELS[comment.rejection_reason]
        if comment.status == CommentStatus.REJECTED and comment.rejection_reason
        else None,
        is_counted=is_counted(comment),
        text=comment.public_text if shows_text else None,
        record=received_record(comment) if shows_text and comment.published_body is None else None,
    )
