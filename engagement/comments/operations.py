"""Receiving comments: receipts, fingerprints and the exactly-once rule."""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from engagement.campaigns.operations import could_be_a_copy
from engagement.campaigns.tasks import MATCH_COMMENT
from engagement.comments.models import Channel, Comment, CommentStatus, Position, Residence
from engagement.consultations.models import Consultation, Phase, Topic
from engagement.db import utcnow
from engagement.errors import DomainError
from engagement.geography.queries import neighborhood_ids
from engagement.jobs.operations import enqueue
from engagement.moderation.flags import Flag, detect_flags, flags_of
from engagement.moderation.models import CommentFlag

#: Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or copied from paper
#: can't be mistaken for another.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_GROUPS = 3
RECEIPT_GROUP_LENGTH = 4


class CommentPeriodClosed(DomainError):
    status_code = 409
    message = _l("The comment period for this consultation is closed, so we can't accept comments.")


class CommentPeriodNotOpen(DomainError):
    status_code = 409
    message = _l("The comment period for this consultation has not opened yet.")


class UnknownChoice(DomainError):
    status_code = 422


def new_receipt_code() -> str:
    """A random code like ``7KQ2-M9XD-4RTB``: 60 bits, easy to read aloud."""
    groups = (
        "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_GROUP_LENGTH))
        for _ in range(RECEIPT_GROUPS)
    )
    return "-".join(groups)


def hash_client(address: str, secret: str, day: date) -> str:
    """A keyed hash of the client address that changes every day.

    Enough to notice one client sending many comments or reports on the same day; the raw
    address is never stored, and yesterday's hashes can't be linked to today's.
    """
    key = hmac.new(secret.encode(), f"client:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def canonical_record(
    *,
    consultation: str,
    receipt: str,
    received_at: datetime,
    text: str,
    position: Position,
    topics: list[str],
    neighborhood: str | None,
    residence: Residence,
    display_name: str | None,
    language: str,
    channel: Channel,
) -> str:
    """The canonical text of what was received, whose SHA-256 is the receipt's fingerprint.

    Compact JSON with sorted keys, UTF-8, so anyone holding the receipt can recompute it.
    """
    record = {
        "consultation": consultation,
        "receipt": receipt,
        "received_at": received_at.isoformat(timespec="seconds"),
        "text": text,
        "position": position.value,
        "topics": sorted(topics),
        "neighborhood": neighborhood,
        "residence": residence.value,
        "display_name": display_name,
        "language": language,
        "channel": channel.value,
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def received_record(comment: Comment, neighborhood: str | None = None) -> str:
    """The canonical record of a stored comment (``neighborhood``: its slug, when the caller
    knows it without loading the neighborhood)."""
    if neighborhood is None and comment.neighborhood is not None:
        neighborhood = comment.neighborhood.slug
    return canonical_record(
        consultation=comment.consultation.slug,
        receipt=comment.receipt_code,
        received_at=comment.submitted_at,
        text=comment.body,
        position=comment.position,
        topics=[topic.slug for topic in comment.topics],
        neighborhood=neighborhood,
        residence=comment.residence,
        display_name=comment.display_name,
        language=comment.locale,
        channel=comment.channel,
    )


def fingerprint_of(record: str) -> str:
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CommentDraft:
    """What a resident (or a staff member for them) sends, already checked for shape."""

    body: str
    position: Position
    topic_slugs: list[str]
    #: A neighborhood slug, or a Residence value for "outside" / "prefer not to say".
    neighborhood: str
    display_name: str | None
    contact_email: str | None
    locale: str
    channel: Channel = Channel.WEB


def submit_comment(
    session: Session,
    consultation: Consultation,
    draft: CommentDraft,
    *,
    submission_token: str | None,
    client_hash: str | None = None,
    now: datetime | None = None,
) -> Comment:
    """Store a comment as pending and give it a receipt code and fingerprint.

    Exactly once: a second call with the same submission token returns the comment stored by
    the first, whatever the draft says (a double click, a reload, the back button).

    Raises:
        CommentPeriodNotOpen, CommentPeriodClosed: outside the consultation's comment period.
        NotFound: a topic or neighborhood that is not on the consultation's lists.
    """
    if submission_token is not None:
        existing = comment_by_submission_token(session, submission_token)
        if existing is not None:
            return existing
    now = now or utcnow()
    phase = consultation.phase_at(now)
    if phase is Phase.UPCOMING:
        raise CommentPeriodNotOpen
    if phase is Phase.CLOSED:
        raise CommentPeriodClosed

    topics = _topics(consultation, draft.topic_slugs)
    flags = flags_of(detect_flags(draft.body, draft.locale))
    long_enough = could_be_a_copy(draft.body)
    comment = Comment(
        consultation=consultation,
        body=draft.body,
        position=draft.position,
        topics=topics,
        topic_bits=sum(topic.mask for topic in topics),
        display_name=draft.display_name or None,
        contact_email=draft.contact_email or None,
        locale=draft.locale,
        channel=draft.channel,
        status=CommentStatus.PENDING,
        receipt_code=new_receipt_code(),
        submission_token=submission_token,
        client_hash=client_hash,
        submitted_at=now.replace(microsecond=0),
        # A possible threat goes first in the moderators' line.
        priority=1 if Flag.THREAT in flags else 0,
        # A text too short to be a form letter is settled at once (see _check_for_copies).
        copies_checked_at=None if long_enough else now,
    )
    _place(session, comment, draft.neighborhood)
    comment.fingerprint = fingerprint_of(
        received_record(comment, draft.neighborhood if comment.neighborhood_id else None)
    )
    session.add(comment)
    session.flush()
    _flag(session, comment, flags)
    if long_enough:
        _check_for_copies(session, comment)
    return comment


def _flag(session: Session, comment: Comment, flags: list[Flag]) -> None:
    """Record the automatic flags moderators see (with the comment, in its transaction)."""
    session.add_all(CommentFlag(comment_id=comment.id, flag=flag) for flag in flags)


def _check_for_copies(session: Session, comment: Comment) -> None:
    """Have the comment compared with earlier ones after it is stored (a background job).

    The comparison never runs in the resident's request, and can never cost the comment: the
    job is stored with it, and runs (or is tried again) once the comment is committed.
    """
    enqueue(session, MATCH_COMMENT, subject_id=comment.id, comment_id=comment.id)


def is_same_submission(comment: Comment, draft: CommentDraft) -> bool:
    """Whether a stored comment is what this draft says (a repeat, not a changed resend)."""
    session = object_session(comment)
    slugs = {i: slug for slug, i in neighborhood_ids(session).items()} if session else {}
    place = slugs.get(comment.neighborhood_id or 0) or comment.residence.value
    return (
        comment.body == draft.body
        and comment.position == draft.position
        and sorted(topic.slug for topic in comment.topics) == sorted(draft.topic_slugs)
        and place == draft.neighborhood
        and (comment.display_name or None) == (draft.display_name or None)
        and (comment.contact_email or None) == (draft.contact_email or None)
    )


def comment_by_submission_token(session: Session, token: str) -> Comment | None:
    return session.scalar(select(Comment).where(Comment.submission_token == token))


def _topics(consultation: Consultation, slugs: list[str]) -> list[Topic]:
    """The chosen topics, from the consultation's own list (loaded with it)."""
    if not slugs:
        return []
    wanted = set(slugs)
    topics = [topic for topic in consultation.topics if topic.slug in wanted]
    if len(topics) != len(wanted):
        raise UnknownChoice(_l("One of the topics is not on this consultation's list."))
    return sorted(topics, key=lambda topic: topic.position)


def _place(session: Session, comment: Comment, neighborhood: str) -> None:
    if neighborhood in (Residence.OUTSIDE, Residence.UNDISCLOSED):
        comment.residence = Residence(neighborhood)
        comment.neighborhood_id = None
        return
    found = neighborhood_ids(session).get(neighborhood)
    if found is None:
        raise UnknownChoice(_l("That neighborhood is not on our list."))
    comment.residence = Residence.MINNEAPOLIS
    comment.neighborhood_id = found
