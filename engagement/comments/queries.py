"""Reading comments. This module owns what "published" means, for every page, tally and API."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, inspect, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from engagement.comments.models import (
    PUBLISHED_STATUSES,
    REJECTION_REASON_LABELS,
    RESIDENCE_LABELS,
    STATUS_LABELS,
    Channel,
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
from engagement.geography.models import Community, Neighborhood, neighborhood_wards
from engagement.geography.queries import neighborhoods_by_community
from engagement.i18n import TranslatedValue, translated

_RECEIPT_LENGTH = RECEIPT_GROUPS * RECEIPT_GROUP_LENGTH
#: What people type for letters that are not in the alphabet.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]")


def is_published() -> ColumnElement[bool]:
    """SQL condition: the comment is public and counted (PUBLISHED_STATUSES, the one definition
    of a comment the public can read and the council counts)."""
    return Comment.status.in_(PUBLISHED_STATUSES)


def publication_time() -> ColumnElement[datetime]:
    """SQL: when a comment became public, set once at its first publication.

    Every way of publishing sets ``published_at``; the submission time only stands in so that
    a row without it could never break the order of the comments feed.
    """
    return func.coalesce(Comment.published_at, Comment.submitted_at)


def published_at(comment: Comment) -> datetime:
    """When a published comment became public (``publication_time`` for one comment)."""
    return comment.published_at or comment.submitted_at


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
    #: A community slug: comments from any of its neighborhoods.
    community: str | None = None
    #: A ward number: comments from any neighborhood that lies (even partly) in that ward.
    ward: int | None = None
    channel: Channel | None = None
    #: Published at or after this moment.
    since: datetime | None = None
    #: Published before this moment.
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return any(
            value is not None and value != ""
            for value in (
                self.topic,
                self.position,
                self.neighborhood,
                self.language,
                self.community,
                self.ward,
                self.channel,
                self.since,
                self.until,
            )
        )


#: A place in the public list as its address writes it: the submission time in UTC to the
#: microsecond (the fraction only when there is one), then the receipt code.
_LIST_POSITION = re.compile(r"(\d{8}T\d{6})(?:\.(\d{6}))?Z_([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


@dataclass(frozen=True)
class ListPosition:
    """A place in the public list: the submission time and receipt code of a comment.

    The list is ordered by these two, newest first, and a page starts at a position (keyset
    paging), never at an offset. Both are public (each comment shows its time, and its code is
    its permalink), so a position is written in the address as it is, readable and unsigned:
    a shared link keeps showing the same part of the list, in any language and after any
    change of the site's keys.
    """

    submitted_at: datetime
    receipt_code: str

    @property
    def token(self) -> str:
        """The position as the list's address writes it (``20261201T101530Z_7KQ2-M9XD-4RTB``)."""
        moment = self.submitted_at.astimezone(UTC)
        fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
        return f"{moment:%Y%m%dT%H%M%S}{fraction}Z_{self.receipt_code}"

    @classmethod
    def from_token(cls, token: str) -> "ListPosition | None":
        """The position an address holds, or None when it is not one (damaged, or made up)."""
        match = _LIST_POSITION.fullmatch(token)
        if match is None:
            return None
        moment, fraction, code = match.groups()
        try:
            submitted_at = datetime.strptime(moment, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(submitted_at.replace(microsecond=int(fraction or 0)), code)

    @classmethod
    def of(cls, comment: Comment) -> "ListPosition":
        return cls(comment.submitted_at, comment.receipt_code)


@dataclass(frozen=True)
class CommentPage:
    """One page of the public list, and where its neighbours start."""

    comments: list[Comment]
    #: Where the page of older comments starts (this page's last comment), if there is one.
    older: ListPosition | None
    #: Where the page of newer comments starts (this page's first comment), if there is one.
    newer: ListPosition | None
    #: How many comments match the filters, where that is known without counting them: on a
    #: first page that holds them all. Counting a whole consultation on every view would cost
    #: time that grows with the comments.
    total: int | None


def origin_conditions(
    *,
    neighborhood: str | None,
    community: str | None,
    ward: int | None,
    language: str | None,
    channel: Channel | None,
) -> list[ColumnElement[bool]]:
    """SQL conditions on where a comment came from: place (a neighborhood, community or ward,
    by slug or number), language and channel. The public list, the API and the tallies share
    them; a ward takes every neighborhood that lies (even partly) in it."""
    conditions: list[ColumnElement[bool]] = []
    if language:
        conditions.append(Comment.locale == language)
    if channel is not None:
        conditions.append(Comment.channel == channel)
    if neighborhood:
        conditions.append(
            Comment.neighborhood_id.in_(
                select(Neighborhood.id).where(Neighborhood.slug == neighborhood)
            )
        )
    if community:
        conditions.append(
            Comment.neighborhood_id.in_(
                select(Neighborhood.id)
                .join(Community, Community.id == Neighborhood.community_id)
                .where(Community.slug == community)
            )
        )
    if ward is not None:
        conditions.append(
            Comment.neighborhood_id.in_(
                select(neighborhood_wards.c.neighborhood_id).where(
                    neighborhood_wards.c.ward_number == ward
                )
            )
        )
    return conditions


def _filtered(consultation: Consultation, filters: CommentFilters) -> list[Any]:
    conditions: list[Any] = [Comment.consultation_id == consultation.id, is_published()]
    if filters.position is not None:
        conditions.append(Comment.position == filters.position)
    conditions += origin_conditions(
        neighborhood=filters.neighborhood,
        community=filters.community,
        ward=filters.ward,
        language=filters.language,
        channel=filters.channel,
    )
    if filters.topic:
        conditions.append(
            Comment.topics.any(
                (Topic.slug == filters.topic) & (Topic.consultation_id == consultation.id)
            )
        )
    if filters.since is not None:
        conditions.append(publication_time() >= filters.since)
    if filters.until is not None:
        conditions.append(publication_time() < filters.until)
    return conditions


def published_comments(
    session: Session,
    consultation: Consultation,
    filters: CommentFilters,
    *,
    before: ListPosition | None = None,
    after: ListPosition | None = None,
    per_page: int = 20,
) -> CommentPage:
    """One page of published comments, newest submitted first, with what the list shows loaded.

    The order is (``submitted_at``, ``receipt_code``), both descending; the receipt code breaks
    ties (comments are stored to the second) and, unlike the row id, is public. Without a
    position the page holds the newest comments; ``before`` gives the comments just older
    than a position, ``after`` the comments just newer (the "newer" link of a deep page).
    Each reads ``per_page`` + 1 rows from ``ix_comments_listing`` from the position on, and
    a page with a position asks once more whether there is anything on its other side: the
    cost of a page is the same at the top of the list and at its end.

    A comment published later with an older submission time (moderation takes a while) joins
    the list where its time puts it, so a page can gain a comment; newly sent ones start a new
    first page and leave the others as they were.
    """
    conditions = _filtered(consultation, filters)
    newest_first = after is None
    start = before if newest_first else after
    if start is not None:
        conditions.append(_beyond(start, older=newest_first))
    time, code = Comment.submitted_at, Comment.receipt_code
    comments = list(
        session.scalars(
            select(Comment)
            .where(*conditions)
            .order_by(*((time.desc(), code.desc()) if newest_first else (time, code)))
            .limit(per_page + 1)
            .options(
                joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
                selectinload(Comment.topics),
            )
        )
    )
    further = len(comments) > per_page
    comments = comments[:per_page]
    if not newest_first:
        comments.reverse()
    # The other side of a position, read from the position outwards: the position's comment
    # was on the page the reader came from, so it is nearly always the first row read.
    behind = start is not None and (
        session.scalar(
            select(Comment.id)
            .where(
                *_filtered(consultation, filters),
                _beyond(start, older=not newest_first, inclusive=True),
            )
            .order_by(*((time, code) if newest_first else (time.desc(), code.desc())))
            .limit(1)
        )
        is not None
    )
    has_older, has_newer = (further, behind) if newest_first else (behind, further)
    return CommentPage(
        comments,
        older=ListPosition.of(comments[-1]) if comments and has_older else None,
        newer=ListPosition.of(comments[0]) if comments and has_newer else None,
        total=len(comments) if start is None and not further else None,
    )


def _beyond(position: ListPosition, *, older: bool, inclusive: bool = False) -> ColumnElement[bool]:
    """SQL: the comment comes after ``position`` in the list (``older``), or before it;
    ``inclusive``: or is at the position itself.

    Written as a range on the submission time, then the tie, so that both databases start
    reading ``ix_comments_listing`` at the position instead of filtering from its start.
    """
    time, code = Comment.submitted_at, Comment.receipt_code
    moment, tie = position.submitted_at, position.receipt_code
    if older:
        return and_(time <= moment, or_(time < moment, code <= tie if inclusive else code < tie))
    return and_(time >= moment, or_(time > moment, code >= tie if inclusive else code > tie))


def public_record_options() -> tuple[LoaderOption, ...]:
    """Loader options that bring in everything ``public_record`` reads, in a fixed few queries."""
    return (
        joinedload(Comment.neighborhood).joinedload(Neighborhood.community),
        joinedload(Comment.neighborhood).selectinload(Neighborhood.wards),
        selectinload(Comment.topics),
    )


@dataclass(frozen=True)
class FeedPosition:
    """Where a reader of the published-comments feed stopped: the last comment they were given."""

    published_at: datetime
    receipt_code: str


@dataclass(frozen=True)
class CommentFeedPage:
    comments: list[Comment]
    #: Where the next page starts; after the last comment, where comments published later will
    #: appear. None only when nothing was read and no position was given.
    next_position: FeedPosition | None
    #: Whether more comments were already published after this page when it was read.
    has_more: bool


def published_comments_feed(
    session: Session,
    consultation: Consultation,
    filters: CommentFilters,
    *,
    after: FeedPosition | None = None,
    limit: int = 20,
) -> CommentFeedPage:
    """Published comments in the order they became public: oldest publication first.

    The order is (``published_at``, ``receipt_code``), and a page starts strictly after a
    position (keyset paging), never at an offset. Why this key and not ``submitted_at``, which
    the HTML list shows: a comment can be published days after it was written (moderation,
    paper comments typed in later). Ordered by submission, a newly published comment would
    appear among pages a client had already read, and the client would miss it. Ordered by
    publication, a comment published while a client pages through lands after every position
    the client has already passed, so the client sees it when it reaches the end: no
    duplicates, no gaps. ``published_at`` is set once, at the first publication, and never
    changes; the receipt code breaks ties between comments published in the same instant
    (a bulk decision) and is public, unlike the row id.

    The position after the last page is still useful: a client that keeps it later receives
    exactly what was published since. What this order does not show again: a comment hidden
    and then restored keeps its first ``published_at``, so it returns in its old place, and
    two moderators' transactions committing out of order can publish a comment just before a
    position a client already holds. A client that must be exact re-reads with ``since`` set
    a few minutes before its last ``published_at`` and de-duplicates by receipt code.
    """
    conditions = _filtered(consultation, filters)
    published = publication_time()
    if after is not None:
        # A range on the publication time, then the tie: both databases start reading
        # ix_comments_feed at the position instead of filtering from its start.
        conditions.append(
            and_(
                published >= after.published_at,
                or_(published > after.published_at, Comment.receipt_code > after.receipt_code),
            )
        )
    comments = list(
        session.scalars(
            select(Comment)
            .where(*conditions)
            .order_by(published, Comment.receipt_code)
            .limit(limit + 1)
            .options(*public_record_options())
        )
    )
    has_more = len(comments) > limit
    comments = comments[:limit]
    position = after
    if comments:
        position = FeedPosition(published_at(comments[-1]), comments[-1].receipt_code)
    return CommentFeedPage(comments, position, has_more)


#: The public fields of one published comment, in order: the API's comment object and the
#: columns of the open-data CSV. Nothing else about a comment is public: not the contact
#: e-mail, the original of a redacted text, the client hash, the submission token, who on the
#: staff typed it in or from what source, the redactions, flags, reports or internal ids.
PUBLIC_FIELDS = (
    "receipt_code",
    "submitted_at",
    "published_at",
    "position",
    "topics",
    "residence",
    "neighborhood",
    "community",
    "wards",
    "language",
    "channel",
    "campaign",
    "display_name",
    "text",
    "fingerprint",
)


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: the one timestamp format of the open data."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def public_record(comment: Comment) -> dict[str, Any]:
    """The public record of one published comment: ``PUBLIC_FIELDS``, as JSON-ready values.

    ``text`` is the published text, redacted where moderators removed personal information.
    ``fingerprint`` is the receipt's SHA-256 of what was received; it is given only while the
    published text is that text, as on the receipt page: for a redacted comment it is a hash of
    the original, which would let anyone confirm a guess of the removed words (a phone number
    has few enough possibilities to try them all).
    Load the comment with ``public_record_options()``.
    """
    neighborhood = comment.neighborhood
    record = {
        "receipt_code": comment.receipt_code,
        "submitted_at": utc_timestamp(comment.submitted_at),
        "published_at": utc_timestamp(published_at(comment)),
        "position": comment.position.value,
        "topics": [topic.slug for topic in comment.topics],
        "residence": comment.residence.value,
        "neighborhood": neighborhood.slug if neighborhood else None,
        "community": neighborhood.community.slug if neighborhood else None,
        "wards": [ward.number for ward in neighborhood.wards] if neighborhood else [],
        "language": comment.locale,
        "channel": comment.channel.value,
        "campaign": comment.campaign_id,
        "display_name": comment.display_name,
        "text": comment.public_text,
        "fingerprint": comment.fingerprint if comment.published_body is None else None,
    }
    return {name: record[name] for name in PUBLIC_FIELDS}


@dataclass(frozen=True)
class CommentCounts:
    """How many comments a consultation received, by state: public aggregate facts.

    The moderation summary page shows the same numbers; the comments behind the pending,
    rejected and hidden counts are never public.
    """

    received: int = 0
    published: int = 0
    pending: int = 0
    rejected: int = 0
    hidden: int = 0


def comment_counts(session: Session, consultation_ids: list[int]) -> dict[int, CommentCounts]:
    """The counts of each consultation, in one grouped query."""
    rows = session.execute(
        select(
            Comment.consultation_id,
            func.count(),
            func.count().filter(is_published()),
            func.count().filter(Comment.status == CommentStatus.PENDING),
            func.count().filter(Comment.status == CommentStatus.REJECTED),
            func.count().filter(Comment.status == CommentStatus.HIDDEN),
        )
        .where(Comment.consultation_id.in_(consultation_ids))
        .group_by(Comment.consultation_id)
    )
    found = {row[0]: CommentCounts(*row[1:]) for row in rows}
    return {key: found.get(key, CommentCounts()) for key in consultation_ids}


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


def changes_public_record(obj: object) -> bool:
    """Whether a new, changed or removed row alters what the public reads (the lists,
    permalinks, tallies and open data): a comment that is, or was until now, published."""
    if not isinstance(obj, Comment):
        return False
    state = inspect(obj)
    if obj.status in PUBLISHED_STATUSES or state.deleted:
        return True
    before = state.attrs.status.history.deleted
    return bool(before) and before[0] in PUBLISHED_STATUSES
