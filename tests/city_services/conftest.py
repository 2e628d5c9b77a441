from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.city_services.builders import load_fixture_catalog


@pytest.fixture
def catalog(session: Session, places: None) -> Any:
    """The City's places and the fixture catalog of eleven services."""
    loaded = load_fixture_catalog(session)
    session.commit()
    return loaded
