"""Loading the City's places: wards, communities, neighborhoods and their outlines."""

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from engagement.errors import DomainError
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


class InvalidBoundaries(DomainError):
    """The file is not neighborhood outlines we can use; the message says where and why.

    Only ``flask import-boundaries`` shows it, to the administrator running it, in English.
    """


class NoNeighborhoods(DomainError):
    """Outlines can't be matched before the neighborhoods themselves are loaded."""


#: Feature properties that name a neighborhood in the files we know of, tried in this order:
#: the City of Minneapolis publishes ``BDNAME``; other sources say ``name``.
NAME_PROPERTIES = ("BDNAME", "name", "NAME", "Name", "neighborhood", "NEIGHBORHOOD", "NBHD_NAME")
#: Coordinate reference systems that mean WGS 84 longitude/latitude, GeoJSON's only one.
WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326")
#: Six decimals of a degree are about 10 cm: finer than any neighborhood boundary is surveyed,
#: and half the size of the 15 digits some GIS exports write.
COORDINATE_DECIMALS = 6


@dataclass(frozen=True)
class BoundaryImport:
    """What an import of neighborhood outlines did; nothing in the file goes unmentioned."""

    #: Names of the neighborhoods that have an outline from this file.
    stored: list[str]
    #: How many of those had no outline, or a different one, before.
    changed: int
    #: Names in the file that match none of our neighborhoods; their outlines were not stored.
    unmatched_features: list[str]
    #: Our neighborhoods the file has no outline for; an outline from an earlier import stays.
    missing_neighborhoods: list[str]
    #: Neighborhoods whose outline was assembled from more than one feature of the file.
    joined: list[str]


def boundary_name_key(name: str) -> str:
    """A neighborhood name reduced to what identifies it, to match names across sources.

    The City's GeoJSON and its neighborhood list spell some names differently: "Bryn - Mawr"
    and "Bryn Mawr", "Steven's Square - Loring Heights" and "Stevens Square-Loring Heights",
    "Marcy Holmes" and "Marcy-Holmes". Case, accents, apostrophes, dashes and other punctuation,
    "and" or "&", and "Saint" or "St." make no difference.
    """
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['\u2019`]", "", text.replace("&", " and "))
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join("st" if word == "saint" else word for word in words if word != "and")


def import_boundaries(
    session: Session, feature_collection: Any, *, name_property: str | None = None
) -> BoundaryImport:
    """Store each neighborhood's outline from a GeoJSON FeatureCollection, matched by name.

    Features are matched to neighborhoods by ``boundary_name_key`` of the feature's name
    property (``name_property``, or the first of ``NAME_PROPERTIES`` the features have).
    Several features with one neighborhood's name become one MultiPolygon. The whole file is
    checked before anything is stored, so a bad file changes nothing; importing the same file
    again changes nothing either.

    Raises:
        InvalidBoundaries: the file is not a FeatureCollection of Polygon and MultiPolygon
            features in WGS 84 longitude/latitude, or no name property can be found.
        NoNeighborhoods: the neighborhoods are not loaded yet (``flask seed``).
    """
    features = _boundary_features(feature_collection)
    name_property = name_property or _name_property(features)
    outlines: list[tuple[str | None, dict[str, Any]]] = []
    for number, feature in enumerate(features, start=1):
        name = (feature.get("properties") or {}).get(name_property)
        label = f"feature {number}" + (f" ({name})" if name else "")
        geometry = _boundary_geometry(feature.get("geometry"), label)
        outlines.append((str(name).strip() if name is not None else None, geometry))

    neighborhoods = list(
        session.scalars(
            select(Neighborhood).options(undefer(Neighborhood.boundary)).order_by(Neighborhood.name)
        )
    )
    if not neighborhoods:
        raise NoNeighborhoods("No neighborhoods are loaded yet: run `flask seed` first.")
    by_key = {boundary_name_key(n.name): n for n in neighborhoods}
    parts: dict[int, list[dict[str, Any]]] = {}
    unmatched = []
    for number, (name, geometry) in enumerate(outlines, start=1):
        neighborhood = by_key.get(boundary_name_key(name)) if name else None
        if neighborhood is None:
            unmatched.append(name or f"feature {number} (no {name_property})")
            continue
        parts.setdefault(neighborhood.id, []).append(geometry)

    changed = 0
    for neighborhood in neighborhoods:
        pieces = parts.get(neighborhood.id)
        if pieces is None:
            continue
        geometry = pieces[0] if len(pieces) == 1 else _joined(pieces)
        if neighborhood.boundary != geometry:
            neighborhood.boundary = geometry
            changed += 1
    session.flush()
    return BoundaryImport(
        stored=[n.name for n in neighborhoods if n.id in parts],
        changed=changed,
        unmatched_features=unmatched,
        missing_neighborhoods=[n.name for n in neighborhoods if n.id not in parts],
        joined=[n.name for n in neighborhoods if len(parts.get(n.id, ())) > 1],
    )


def _boundary_features(collection: Any) -> list[dict[str, Any]]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidBoundaries("The file is not a GeoJSON FeatureCollection.")
    crs = collection.get("crs")
    if crs is not None:
        crs_name = str(((crs or {}).get("properties") or {}).get("name", ""))
        if not crs_name.upper().endswith(WGS84_NAMES):
            raise InvalidBoundaries(
                f"The file's coordinates are in {crs_name or 'an unnamed system'}; "
                "export it in WGS 84 longitude/latitude (EPSG:4326), as GeoJSON requires."
            )
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidBoundaries("The FeatureCollection has no features.")
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidBoundaries(f"Item {number} of the features is not a GeoJSON Feature.")
    return features


def _name_property(features: list[dict[str, Any]]) -> str:
    present = {key for feature in features for key in (feature.get("properties") or {})}
    for candidate in NAME_PROPERTIES:
        if candidate in present:
            return candidate
    raise InvalidBoundaries(
        f"No feature has a name property ({', '.join(NAME_PROPERTIES)}); name the one to use "
        f"with --name-property. The features have: {', '.join(sorted(present)) or 'none'}."
    )


def _joined(geometries: list[dict[str, Any]]) -> dict[str, Any]:
    """One MultiPolygon of all the polygons of several Polygons and MultiPolygons."""
    polygons = []
    for geometry in geometries:
        if geometry["type"] == "Polygon":
            polygons.append(geometry["coordinates"])
        else:
            polygons.extend(geometry["coordinates"])
    return {"type": "MultiPolygon", "coordinates": polygons}


def _boundary_geometry(geometry: Any, label: str) -> dict[str, Any]:
    """The geometry checked, with its coordinates rounded and nothing but its type and them."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or kind not in ("Polygon", "MultiPolygon"):
        raise InvalidBoundaries(
            f"The geometry of {label} is {kind or 'missing'}; outlines must be a Polygon or a "
            "MultiPolygon."
        )
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidBoundaries(f"The {kind} of {label} has no coordinates.")
    rounded = [_polygon(polygon, label) for polygon in polygons]
    return {"type": kind, "coordinates": rounded[0] if kind == "Polygon" else rounded}


def _polygon(polygon: Any, label: str) -> list[list[list[float]]]:
    if not isinstance(polygon, list) or not polygon:
        raise InvalidBoundaries(f"A polygon of {label} has no rings.")
    rings = []
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            raise InvalidBoundaries(f"A ring of {label} has fewer than the 4 positions it needs.")
        rings.append([_position(position, label) for position in ring])
    return rings


def _position(position: Any, label: str) -> list[float]:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(
            isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
            for c in position[:2]
        )
    ):
        raise InvalidBoundaries(f"A position of {label} is not a [longitude, latitude] pair.")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidBoundaries(
            f"The position {position[:2]} of {label} is not a longitude and latitude: export "
            "the file in WGS 84 (EPSG:4326), as GeoJSON requires."
        )
    return [round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)]
