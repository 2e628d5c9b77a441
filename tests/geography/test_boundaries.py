"""Neighborhood outlines: matching the City's GeoJSON by name, refusing bad files, the command."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.geography.models import Neighborhood
from engagement.geography.operations import (
    InvalidBoundaries,
    NoNeighborhoods,
    boundary_name_key,
    import_boundaries,
)
from engagement.geography.queries import neighborhood_shapes
from tests.conftest import count_queries
from tests.geography.city_data import city_neighborhoods, city_neighborhoods_path

NEIGHBORHOOD_COUNT = 87


@pytest.fixture
def city_file() -> Path:
    """The City's GeoJSON file, from the shared data folder (skips the test when absent)."""
    return city_neighborhoods_path()


@pytest.fixture
def city(city_file: Path) -> dict[str, Any]:
    """A copy of the City's FeatureCollection that a test may change."""
    return copy.deepcopy(city_neighborhoods())


def feature_named(collection: dict[str, Any], name: str) -> dict[str, Any]:
    [feature] = [f for f in collection["features"] if f["properties"]["BDNAME"] == name]
    return feature  # type: ignore[no-any-return]


def square(lon: float, lat: float, size: float = 0.01) -> list[list[list[float]]]:
    """A Polygon's coordinates, already rounded as stored."""
    east, north = round(lon + size, 6), round(lat + size, 6)
    return [[[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]]


def shapes_now(session: Session) -> dict[str, Any]:
    session.expire_all()
    return neighborhood_shapes(session)


def test_every_neighborhood_of_the_city_file_matches(
    session: Session, places: None, city: dict[str, Any]
) -> None:
    result = import_boundaries(session, city)
    session.commit()

    assert len(result.stored) == NEIGHBORHOOD_COUNT
    assert result.changed == NEIGHBORHOOD_COUNT
    assert result.unmatched_features == []
    assert result.missing_neighborhoods == []
    assert result.joined == []
    shapes = shapes_now(session)
    assert set(shapes) == set(session.scalars(select(Neighborhood.slug)))
    # Names the City's file spells differently from its neighborhood list found their outline.
    for slug in ("bryn-mawr", "stevens-square-loring-heights", "near-north", "marcy-holmes"):
        assert shapes[slug]["type"] == "MultiPolygon"
    ring = shapes["seward"]["coordinates"][0][0]
    assert ring[0] == ring[-1]
    assert all(round(value, 6) == value for position in ring for value in position)


@pytest.mark.parametrize(
    ("in_the_file", "in_our_list"),
    [
        ("Bryn - Mawr", "Bryn Mawr"),
        ("Cedar - Isles - Dean", "Cedar-Isles-Dean"),
        ("Steven's Square - Loring Heights", "Stevens Square-Loring Heights"),
        ("Near - North", "Near North"),
        ("Marcy Holmes", "Marcy-Holmes"),
        ("ST. ANTHONY EAST", "St. Anthony East"),
        ("Saint Anthony East", "St. Anthony East"),
        ("Cedar & Isles", "Cedar and Isles"),
        ("Steven\u2019s Square", "Stevens Square"),
        ("Bde Maká Ska", "Bde Maka Ska"),
    ],
)
def test_names_that_differ_only_in_spelling_match(in_the_file: str, in_our_list: str) -> None:
    assert boundary_name_key(in_the_file) == boundary_name_key(in_our_list)


@pytest.mark.parametrize(
    ("one", "other"),
    [("East Isles", "West Isles"), ("Lowry Hill", "Lowry Hill East"), ("Windom", "Windom Park")],
)
def test_different_neighborhoods_do_not_match(one: str, other: str) -> None:
    assert boundary_name_key(one) != boundary_name_key(other)


def test_features_and_neighborhoods_without_a_match_are_reported(
    session: Session, places: None, city: dict[str, Any]
) -> None:
    city["features"].remove(feature_named(city, "Seward"))
    feature_named(city, "Whittier")["properties"]["BDNAME"] = "Atlantis"
    nameless = copy.deepcopy(feature_named(city, "Hale"))
    nameless["properties"] = {"OBJECTID": 999}
    city["features"].append(nameless)

    result = import_boundaries(session, city)
    session.commit()

    assert result.unmatched_features == ["Atlantis", f"feature {NEIGHBORHOOD_COUNT} (no BDNAME)"]
    assert result.missing_neighborhoods == ["Seward", "Whittier"]
    assert len(result.stored) == NEIGHBORHOOD_COUNT - 2
    shapes = shapes_now(session)
    assert "seward" not in shapes
    assert "whittier" not in shapes
    assert len(shapes) == NEIGHBORHOOD_COUNT - 2


def test_a_neighborhood_in_several_features_gets_one_outline(
    session: Session, places: None
) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Seward"},
                "geometry": {"type": "Polygon", "coordinates": square(-93.24, 44.95)},
            },
            {
                "type": "Feature",
                "properties": {"name": "SEWARD"},
                "geometry": {"type": "Polygon", "coordinates": square(-93.22, 44.95)},
            },
            {
                "type": "Feature",
                "properties": {"name": "Howe"},
                "geometry": {"type": "Polygon", "coordinates": square(-93.21, 44.93)},
            },
        ],
    }

    result = import_boundaries(session, collection)

    assert result.joined == ["Seward"]
    assert result.stored == ["Howe", "Seward"]
    assert len(result.missing_neighborhoods) == NEIGHBORHOOD_COUNT - 2
    shapes = shapes_now(session)
    assert shapes["seward"] == {
        "type": "MultiPolygon",
        "coordinates": [square(-93.24, 44.95), square(-93.22, 44.95)],
    }
    assert shapes["howe"] == {"type": "Polygon", "coordinates": square(-93.21, 44.93)}


def polygon_feature(name: str, geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"BDNAME": name}, "geometry": geometry}


BAD_FILES: dict[str, Any] = {
    "a list": [],
    "a single feature": polygon_feature("Seward", {"type": "Polygon", "coordinates": square(0, 0)}),
    "no features": {"type": "FeatureCollection", "features": []},
    "a point": {
        "type": "FeatureCollection",
        "features": [polygon_feature("Seward", {"type": "Point", "coordinates": [-93.2, 44.9]})],
    },
    "no geometry": {"type": "FeatureCollection", "features": [polygon_feature("Seward", None)]},
    "projected coordinates": {
        "type": "FeatureCollection",
        "features": [
            polygon_feature("Seward", {"type": "Polygon", "coordinates": square(481000, 4979000)})
        ],
    },
    "a projected crs": {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26915"}},
        "features": [polygon_feature("Seward", {"type": "Polygon", "coordinates": square(0, 0)})],
    },
    "a ring too short": {
        "type": "FeatureCollection",
        "features": [
            polygon_feature(
                "Seward", {"type": "Polygon", "coordinates": [[[-93.2, 44.9], [-93.1, 44.9]]]}
            )
        ],
    },
    "text for a coordinate": {
        "type": "FeatureCollection",
        "features": [
            polygon_feature(
                "Seward",
                {"type": "MultiPolygon", "coordinates": [[[["-93.2", "44.9"]] * 4]]},
            )
        ],
    },
    "no name property": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"OBJECTID": 1},
                "geometry": {"type": "Polygon", "coordinates": square(-93.2, 44.9)},
            }
        ],
    },
}


@pytest.mark.parametrize("bad", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_changes_nothing(
    session: Session, places: None, city: dict[str, Any], bad: Any
) -> None:
    city_shapes = {"type": "FeatureCollection", "features": city["features"][:3]}
    import_boundaries(session, city_shapes)
    session.commit()
    before = shapes_now(session)
    # A good feature ahead of the bad one: the whole file is checked before anything is stored.
    if isinstance(bad, dict) and bad.get("features"):
        bad = copy.deepcopy(bad)
        good = copy.deepcopy(bad["features"][0])
        good["geometry"] = {"type": "Polygon", "coordinates": square(-93.2, 44.9)}
        bad["features"].insert(0, good)

    with pytest.raises(InvalidBoundaries) as raised:
        import_boundaries(session, bad)

    assert str(raised.value.message)
    assert shapes_now(session) == before
    assert len(before) == 3


def test_importing_the_same_file_again_changes_nothing(
    session: Session, places: None, city: dict[str, Any]
) -> None:
    import_boundaries(session, city)
    session.commit()
    before = shapes_now(session)

    again = import_boundaries(session, copy.deepcopy(city))
    session.commit()

    assert again.changed == 0
    assert len(again.stored) == NEIGHBORHOOD_COUNT
    assert shapes_now(session) == before


def test_outlines_need_the_neighborhoods_loaded_first(
    session: Session, city: dict[str, Any]
) -> None:
    with pytest.raises(NoNeighborhoods, match="flask seed"):
        import_boundaries(session, city)


def test_shapes_are_only_the_loaded_outlines_read_in_one_query(
    session: Session, places: None
) -> None:
    assert neighborhood_shapes(session) == {}
    outline = {"type": "Polygon", "coordinates": square(-93.24, 44.95)}
    collection = {"type": "FeatureCollection", "features": [polygon_feature("Seward", outline)]}
    import_boundaries(session, collection)
    session.commit()
    session.expire_all()

    with count_queries() as statements:
        shapes = neighborhood_shapes(session)

    assert shapes == {"seward": outline}
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == statements[-1:]


# -- flask import-boundaries ---------------------------------------------------------------------


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "boundaries.geojson"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_command_imports_the_city_file(
    runner: FlaskCliRunner, session: Session, places: None, city_file: Path
) -> None:
    first = runner.invoke(args=["import-boundaries", str(city_file)])
    again = runner.invoke(args=["import-boundaries", str(city_file)])

    assert first.exit_code == 0, first.output
    assert first.output == "Stored outlines for 87 of 87 neighborhoods (87 changed).\n"
    assert again.exit_code == 0, again.output
    assert again.output == "Stored outlines for 87 of 87 neighborhoods (0 changed).\n"
    assert len(shapes_now(session)) == NEIGHBORHOOD_COUNT


def test_the_command_lists_what_did_not_match(
    runner: FlaskCliRunner, session: Session, places: None, city: dict[str, Any], tmp_path: Path
) -> None:
    city["features"].remove(feature_named(city, "Seward"))
    feature_named(city, "Whittier")["properties"]["BDNAME"] = "Atlantis"

    result = runner.invoke(args=["import-boundaries", str(write(tmp_path, city))])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Stored outlines for 85 of 87 neighborhoods (85 changed).",
        "Not stored, matching no neighborhood (1): Atlantis",
        "No outline in this file (2): Seward; Whittier",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"type": "Feature"}, "Error: The file is not a GeoJSON FeatureCollection."),
        (BAD_FILES["a point"], "Error: The geometry of feature 1 (Seward) is Point;"),
        ("not json {", "is not a JSON file"),
    ],
)
def test_the_command_refuses_a_bad_file(
    runner: FlaskCliRunner,
    session: Session,
    places: None,
    tmp_path: Path,
    content: Any,
    message: str,
) -> None:
    result = runner.invoke(args=["import-boundaries", str(write(tmp_path, content))])

    assert result.exit_code == 1
    assert message in result.output
    assert shapes_now(session) == {}


def test_the_command_refuses_a_missing_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import-boundaries", str(tmp_path / "nowhere.geojson")])

    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_the_command_takes_the_name_property_it_is_given(
    runner: FlaskCliRunner, session: Session, places: None, tmp_path: Path
) -> None:
    outline = {"type": "Polygon", "coordinates": square(-93.24, 44.95)}
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"LABEL": "Seward"}, "geometry": outline}],
    }
    path = write(tmp_path, collection)

    guessed = runner.invoke(args=["import-boundaries", str(path)])
    named = runner.invoke(args=["import-boundaries", str(path), "--name-property", "LABEL"])

    assert guessed.exit_code == 1
    assert "use with --name-property. The features have: LABEL." in guessed.output
    assert named.exit_code == 0, named.output
    assert named.output.startswith("Stored outlines for 1 of 87 neighborhoods (1 changed).")
    assert shapes_now(session) == {"seward": outline}
