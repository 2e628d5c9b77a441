from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engagement.geography.models import Community, Neighborhood
from engagement.versions import REFERENCE, KeptCopies


@dataclass(frozen=True)
class CommunityGroup:
    community: str
    neighborhoods: list[tuple[str, str]]  # (slug, name)


_kept = KeptCopies(size=4)


def neighborhoods_by_community(session: Session) -> list[CommunityGroup]:
    """Every neighborhood, grouped under its community, both in alphabetical order.

    Every form and filter needs this list: each worker builds it once per version of the
    reference data (see engagement.versions), not once per request.
    """

    def build() -> list[CommunityGroup]:
        communities = session.scalars(
            select(Community)
            .options(selectinload(Community.neighborhoods))
            .order_by(Community.name)
        )
        return [
            CommunityGroup(c.name, [(n.slug, n.name) for n in c.neighborhoods]) for c in communities
        ]

    return _kept.get(session, "groups", (REFERENCE,), build)


def neighborhood_ids(session: Session) -> dict[str, int]:
    """Each neighborhood's id by its slug, kept per worker like the grouped list."""

    def build() -> dict[str, int]:
        rows = session.execute(select(Neighborhood.slug, Neighborhood.id)).all()
        return {row.slug: row.id for row in rows}

    return _kept.get(session, "ids", (REFERENCE,), build)


def neighborhood_shapes(session: Session) -> dict[str, dict[str, Any]]:
    """Each neighborhood's outline (a GeoJSON geometry) by slug, for the council map.

    Neighborhoods without an outline are left out, and an empty answer means no boundaries are
    loaded, so the map is left out too. One query, of the two columns the map needs: the
    outlines are the table's largest values and stay deferred everywhere else.
    """
    rows = session.execute(
        select(Neighborhood.slug, Neighborhood.boundary)
        .where(Neighborhood.boundary.is_not(None))
        .order_by(Neighborhood.slug)
    )
    return {slug: boundary for slug, boundary in rows if boundary}
