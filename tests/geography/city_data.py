"""The City of Minneapolis' neighborhood outlines, for tests and demos.

The project ships ``flask import-boundaries``, not the City's file: the file lives in the shared
data folder beside the repository (``../shared/data``), and the tests that need it are skipped,
saying why, where it is absent.
"""

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from engagement.config import PROJECT_ROOT

CITY_NEIGHBORHOODS = PROJECT_ROOT.parent / "shared" / "data" / "minneapolis-neighborhoods.geojson"


def city_neighborhoods_path() -> Path:
    """Where the City's GeoJSON is; skips the calling test when it is not there."""
    if not CITY_NEIGHBORHOODS.exists():
        pytest.skip(
            f"The City's neighborhood GeoJSON is not at {CITY_NEIGHBORHOODS}: it comes with the "
            "shared data folder beside the repository, not with the project."
        )
    return CITY_NEIGHBORHOODS


def city_neighborhoods() -> dict[str, Any]:
    """The City's FeatureCollection, read once per run; copy it before changing it."""
    return _read(city_neighborhoods_path())


@functools.cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())  # type: ignore[no-any-return]
