from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engagement.geography.models import Community


@dataclass(frozen=True)
class CommunityGroup:
    community: str
    neighborhoods: list[tuple[str, str]]  # (slug, name)


def neighborhoods_by_community(session: Session) -> list[CommunityGroup]:
    """Every neighborhood, grouped under its community, both in alphabetical order."""
    communities = session.scalars(
        select(Community).options(selectinload(Community.neighborhoods)).order_by(Community.name)
    )
    return [
        CommunityGroup(c.name, [(n.slug, n.name) for n in c.neighborhoods]) for c in communities
    ]
