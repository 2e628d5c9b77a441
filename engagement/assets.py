"""Static files under names that change with their content, so browsers may keep them a year.

`asset_url("site.css")` gives `/static/site.3f2a9c1e.css`; when the file changes, so does its
name, and no visitor is left with a stale stylesheet.
"""

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_from_directory, url_for

from engagement.config import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("assets", __name__)


@cache
def fingerprint(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


@cache
def _published() -> frozenset[str]:
    """The files in static/ (only these are served, whatever the address says)."""
    return frozenset(path.name for path in STATIC.iterdir() if path.is_file())


def asset_url(filename: str) -> str:
    path = Path(filename)
    return url_for("assets.serve", filename=f"{path.stem}.{fingerprint(filename)}{path.suffix}")


def static_file(filename: str) -> Path | None:
    """The file behind a fingerprinted name ("site.3f2a9c1e.css"), or None if there is none."""
    stem, _dot, rest = filename.rpartition(".")
    name, _dot, digest = stem.rpartition(".")
    original = f"{name}.{rest}"
    if not name or len(filename) > 200 or original not in _published():
        return None
    if digest != fingerprint(original):
        return None
    return STATIC / original


@bp.get("/static/<path:filename>")
def serve(filename: str) -> Response:
    path = static_file(filename)
    if path is None:
        abort(404)
    response = send_from_directory(STATIC, path.name, max_age=ONE_YEAR)
    response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["asset_url"] = asset_url
