"""Keyword-only builders for test data."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.campaigns.tasks import match_new_comment
from engagement.comments.models import Channel, CommentStatus, Position
from engagement.comments.operations import CommentDraft, submit_comment
from engagement.consultations.models import Consultation, Topic
from engagement.db import utcnow

TOPICS = {
    "privacy": "Privacy",
    "accuracy": "Accuracy",
    "cost": "Cost",
}


def make_consultation(
    session: Session,
    *,
    slug: str = "face-pilot",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    title: dict[str, str] | None = None,
) -> Consultation:
    now = utcnow()
    consultation = Consultation(
        slug=slug,
        title=title or {"en": "Face recognition pilot", "es": "Piloto de reconocimiento facial"},
        summary={"en": "A proposed pilot."},
        body={"en": "## What is proposed\n\nA pilot.\n\n- one\n- two"},
        responsible_body={"en": "Office of Police Conduct Review"},
        opens_at=opens_at or now - timedelta(days=1),
        closes_at=closes_at or now + timedelta(days=30),
        hearing_at=now + timedelta(days=40),
    )
    consultation.topics = [
        Topic(slug=slug_, name={"en": name}, description={"en": f"About {name}"}, position=i, bit=i)
        for i, (slug_, name) in enumerate(TOPICS.items())
    ]
    session.add(consultation)
    session.flush()
    return consultation


def make_comment(
    session: Session,
    consultation: Consultation,
    *,
    body: str = "A comment about the pilot.",
    position: Position = Position.OPPOSE,
    topics: list[str] | None = None,
    neighborhood: str = "seward",
    status: CommentStatus = CommentStatus.PUBLISHED,
    display_name: str | None = None,
    contact_email: str | None = None,
    locale: str = "en",
    channel: Channel = Channel.WEB,
    submitted_at: datetime | None = None,
    check_copies: bool = True,
    **extra: Any,
) -> Any:
    draft = CommentDraft(
        body=body,
        position=position,
        topic_slugs=topics if topics is not None else ["privacy"],
        neighborhood=neighborhood,
        display_name=display_name,
        contact_email=contact_email,
        locale=locale,
        channel=channel,
    )
    comment = submit_comment(
        session, consultation, draft, submission_token=None, now=submitted_at or utcnow()
    )
    if check_copies:
        # What the background job does once the comment is stored (it then finds it done).
        match_new_comment(session, comment.id)
    comment.status = status
    if status == CommentStatus.PUBLISHED:
        comment.published_at = utcnow()
    for key, value in extra.items():
        setattr(comment, key, value)
    session.flush()
    return comment


def topic(session: Session, consultation: Consultation, slug: str) -> Topic:
    found = session.scalar(
        select(Topic).where(Topic.consultation_id == consultation.id, Topic.slug == slug)
    )
    assert found is not None
    return found
