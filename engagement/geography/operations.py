import csv
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engagement.geography.models import Community, Neighborhood, Ward

NEIGHBORHOODS_CSV = Path(__file__).with_name("neighborhoods.csv")
WARD_COUNT = 13


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def load_geography(session: Session, csv_path: Path = NEIGHBORHOODS_CSV) -> int:
    """Create or update wards, communities and neighborhoods from the City's list.

    Idempotent: running it again with the same file changes nothing. Returns how many
    neighborhoods the file holds.
    """
    wards = {w.number: w for w in session.scalars(select(Ward))}
    for number in range(1, WARD_COUNT + 1):
        if number not in wards:
            wards[number] = Ward(number=number)
            session.add(wards[number])
    communities = {c.slug: c for c in session.scalars(select(Community))}
    neighborhoods = {
        n.slug: n
        for n in session.scalars(select(Neighborhood).options(selectinload(Neighborhood.wards)))
    }
    with csv_path.open(newline="", encoding="utf-8") as rows:
        records = list(csv.DictReader(rows))
    for record in records:
        community_slug = slugify(record["community"])
        community = communities.get(community_slug)
        if community is None:
            community = communities[community_slug] = Community(
                slug=community_slug, name=record["community"]
            )
            session.add(community)
        slug = slugify(record["neighborhood"])
        neighborhood = neighborhoods.get(slug)
        if neighborhood is None:
            neighborhood = neighborhoods[slug] = Neighborhood(slug=slug)
            session.add(neighborhood)
        neighborhood.name = record["neighborhood"]
        neighborhood.community = community
        ward_numbers = [int(w) for w in record["ward(s)"].split(";") if w.strip()]
        if [w.number for w in neighborhood.wards] != ward_numbers:
            neighborhood.wards = [wards[w] for w in ward_numbers]
    session.flush()
    return len(records)
