"""Test data for the city-services area: the fixture catalog and a one-service builder."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.city_services.models import Service, ServiceCategory
from engagement.city_services.operations import CatalogLoad, load_catalog

#: A small catalog in the real file's schema, four languages, real words in each.
FIXTURE_CATALOG = Path(__file__).with_name("catalog.json")


def load_fixture_catalog(session: Session) -> CatalogLoad:
    return load_catalog(session, FIXTURE_CATALOG)


def make_service(
    session: Session,
    *,
    code: str = "graffiti",
    category: str = "report-a-problem",
    name: dict[str, str] | None = None,
    description: dict[str, str] | None = None,
    keywords: dict[str, list[str]] | None = None,
    active: bool = True,
) -> Service:
    """One service in a category of its own making, for tests that need just one."""
    found = session.scalar(select(ServiceCategory).where(ServiceCategory.slug == category))
    if found is None:
        found = ServiceCategory(slug=category, name={"en": "Report a problem"})
        session.add(found)
    service = Service(
        code=code,
        category=found,
        name=name or {"en": "Graffiti", "es": "Grafiti"},
        description=description or {"en": "Paint on walls."},
        keywords=keywords or {"en": ["graffiti"]},
        phone="612-673-3000",
        active=active,
    )
    session.add(service)
    session.flush()
    return service
