"""The health check that load balancers and monitoring poll."""

from typing import Any

from flask import Blueprint
from sqlalchemy.exc import DBAPIError

from engagement.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    try:
        db.check_connection()
    except DBAPIError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
