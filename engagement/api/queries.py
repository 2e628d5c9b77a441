"""Reads that only the API needs: whole lists the HTML pages never show at once.

Comments, and what "published" means, come from ``engagement.comments.queries``.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engagement.consultations.models import Consultation, Topic
from engagement.geography.models import Community, Neighborhood, Ward


def topics_of(session: Session, consultation: Consultation | None = None) -> list[Topic]:
    """Topics in their display order, grouped by consultation (newest consultation first)."""
    statement = (
        select(Topic)
        .join(Consultation, Consultation.id == Topic.consultation_id)
        .options(joinedload(Topic.consultation))
        .order_by(Consultation.opens_at.desc(), Consultation.id, Topic.position, Topic.id)
    )
    if consultation is not None:
        statement = statement.where(Topic.consultation_id == consultation.id)
    return list(session.scalars(statement))


def neighborhoods_with_wards(session: Session) -> list[Neighborhood]:
    """Every neighborhood, by name, with its community and wards loaded."""
    return list(
        session.scalars(
            select(Neighborhood)
            .options(joinedload(Neighborhood.community), selectinload(Neighborhood.wards))
            .order_by(Neighborhood.name)
        )
    )


def is_neighborhood(session: Session, slug: str) -> bool:
    return session.scalar(select(Neighborhood.id).where(Neighborhood.slug == slug)) is not None


def is_community(session: Session, slug: str) -> bool:
    return session.scalar(select(Community.id).where(Community.slug == slug)) is not None


def ward_numbers(session: Session) -> list[int]:
    return list(session.scalars(select(Ward.number).order_by(Ward.number)))
