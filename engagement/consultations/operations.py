import json
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engagement.consultations.models import MAX_TOPICS, Consultation, Topic
from engagement.errors import DomainError

CLEARVIEW_PILOT = Path(__file__).with_name("clearview_pilot.json")


def load_consultation(session: Session, path: Path = CLEARVIEW_PILOT) -> Consultation:
    """Create or update a consultation and its topics from a JSON description.

    Idempotent: the same file twice leaves the database as it was. Topics missing from the file
    are kept, since comments may already point at them.
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.slug == data["slug"])
        .options(selectinload(Consultation.topics))
    )
    if consultation is None:
        consultation = Consultation(slug=data["slug"], topics=[])
        session.add(consultation)
    for field in ("title", "summary", "body", "responsible_body"):
        if getattr(consultation, field, None) != data[field]:
            setattr(consultation, field, data[field])
    for field in ("opens_at", "closes_at", "hearing_at"):
        moment = datetime.fromisoformat(data[field])
        if getattr(consultation, field, None) != moment:
            setattr(consultation, field, moment)
    topics = {topic.slug: topic for topic in consultation.topics}
    bits_used = {topic.bit for topic in consultation.topics}
    for position, entry in enumerate(data["topics"]):
        topic = topics.get(entry["slug"])
        if topic is None:
            topic = Topic(slug=entry["slug"], consultation=consultation, bit=_free_bit(bits_used))
            bits_used.add(topic.bit)
            session.add(topic)
        for field, value in (
            ("name", entry["name"]),
            ("description", entry["description"]),
            ("position", position),
        ):
            if getattr(topic, field, None) != value:
                setattr(topic, field, value)
    session.flush()
    return consultation


class TooManyTopics(DomainError):
    message = _l("A consultation can have at most %(count)s topics.", count=MAX_TOPICS)


def _free_bit(used: set[int]) -> int:
    """The lowest bit no topic of the consultation has (bits are never reused or moved)."""
    bit = next((b for b in range(MAX_TOPICS) if b not in used), None)
    if bit is None:
        raise TooManyTopics
    return bit


class PeriodOutOfOrder(DomainError):
    message = _l("The comment period must close after it opens.")


def reschedule(
    session: Session,
    consultation: Consultation,
    *,
    opens_at: datetime,
    closes_at: datetime,
    hearing_at: datetime | None,
) -> Consultation:
    """Change when comments open and close and when the hearing is.

    Whether residents can comment follows from these dates alone, so this is how staff open,
    extend or close a comment period, without a deploy.

    Raises:
        PeriodOutOfOrder: the period would close before it opens.
    """
    if closes_at <= opens_at:
        raise PeriodOutOfOrder
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.hearing_at = hearing_at
    session.flush()
    return consultation
