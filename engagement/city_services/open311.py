"""Open311 GeoReport v2 service discovery: the catalog for other programs, in XML and JSON.

A second blueprint, apart from the pages in views.py, because it shares nothing with them: no
language prefix (these are documents, not pages), its own formats chosen by the address
(``.xml``, required by the spec; ``.json``), and its own error format. Only discovery is
offered: the discovery file, the service list and service definitions. The platform takes no
service requests (residents are sent to 311), so the request methods are not implemented.

Extension: ``locale`` (``en``, the default, ``es``, ``so`` or ``hmn``) chooses the language of
names, descriptions, keywords and groups; text missing in that language comes in English.
"""

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from engagement.city_services.models import Service
from engagement.city_services.queries import (
    catalog_changed_at,
    open311_services,
    service_by_code,
)
from engagement.city_services.records import CONTENT_LANGUAGES
from engagement.db import db
from engagement.errors import NotFound
from engagement.i18n import DEFAULT_LANGUAGE, in_language, translated

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: Content types, as the discovery file lists them.
FORMATS = {"xml": "text/xml", "json": "application/json"}
DEFAULT_JURISDICTION = "minneapolismn.gov"
DEFAULT_CONTACT = (
    "City of Minneapolis public comment platform. For city services themselves, call "
    "Minneapolis 311: 311 or 612-673-3000."
)
KEY_SERVICE = "No key is needed: this endpoint only describes services, read-only."
#: No service request ID is ever returned: requests are made to 311, not here.
SERVICE_TYPE = "blackbox"
#: "What to have ready" is given as an informational attribute (variable false): the spec's
#: way to show text to a person filling in a request, without asking for input.
PREPARE_ATTRIBUTE = "PREPARE"
#: Before any service exists, the changeset is the start of the epoch (nothing to refresh).
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
#: The element each list item is written as in XML.
XML_ITEMS = {
    "services": "service",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


class Open311Error(Exception):
    """An answer in the spec's error format: ``[{"code": 404, "description": "..."}]``."""

    def __init__(self, status: int, description: LazyString | str) -> None:
        super().__init__(str(description))
        self.status = status
        self.description = description


UNKNOWN_FORMAT = _l("Unknown format: add .xml or .json to the address.")
UNKNOWN_LOCALE = _l("Unknown locale: use en, es, so or hmn.")
UNKNOWN_SERVICE = _l("There is no service with this service_code.")
UNKNOWN_RESOURCE = _l(
    "Not found. This endpoint offers discovery, services and service definitions."
)
READ_ONLY = _l("This endpoint only describes services; make service requests through 311.")
SERVER_ERROR = _l("Something went wrong on our side. Try again later.")
UNAVAILABLE = _l("The catalog is not available just now. Try again in a minute.")
#: What other HTTP errors inside the endpoint say.
HTTP_ERRORS = {404: UNKNOWN_RESOURCE, 405: READ_ONLY}


# --- the methods ----------------------------------------------------------------------------


@bp.get("/discovery.<fmt>")
def discovery(fmt: str) -> Response:
    _check_format(fmt)
    changed = _timestamp(catalog_changed_at(db.session) or NEVER)
    document = {
        "changeset": changed,
        "contact": current_app.config.get("OPEN311_CONTACT", DEFAULT_CONTACT),
        "key_service": KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0],
                "changeset": changed,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }
    return _answer("discovery", document, fmt)


@bp.get("/services.<fmt>")
def services(fmt: str) -> Response:
    locale = _check_request(fmt)
    listed = [_service_entry(service, locale) for service in open311_services(db.session)]
    return _answer("services", listed, fmt, locale)


@bp.get("/services/<code>.<fmt>")
def definition(code: str, fmt: str) -> Response:
    locale = _check_request(fmt)
    try:
        service = service_by_code(db.session, code)
    except NotFound as error:
        raise Open311Error(404, UNKNOWN_SERVICE) from error
    document = {"service_code": service.code, "attributes": _attributes(service, locale)}
    return _answer("service_definition", document, fmt, locale)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def elsewhere(rest: str) -> Response:
    """Any other address under the endpoint answers in the spec's error format too."""
    if request.method in ("GET", "HEAD"):
        raise Open311Error(404, UNKNOWN_RESOURCE)
    raise Open311Error(405, READ_ONLY)


# --- what the answers hold ------------------------------------------------------------------


def _service_entry(service: Service, locale: str) -> dict[str, Any]:
    keywords = service.keywords or {}
    return {
        "service_code": service.code,
        "service_name": translated(service.name, locale).text,
        "description": translated(service.description, locale).text,
        "metadata": bool(service.prepare),
        "type": SERVICE_TYPE,
        "keywords": ", ".join(keywords.get(locale) or keywords.get(DEFAULT_LANGUAGE) or []),
        "group": translated(service.category.name, locale).text,
    }


def _attributes(service: Service, locale: str) -> list[dict[str, Any]]:
    if not service.prepare:
        return []
    return [
        {
            "variable": False,
            "code": PREPARE_ATTRIBUTE,
            "datatype": "text",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": translated(service.prepare, locale).text,
        }
    ]


def _timestamp(moment: datetime) -> str:
    """ISO 8601 with the time zone, as the spec requires: 2026-11-26T16:00:00Z."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- checking the request -------------------------------------------------------------------


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Open311Error(404, UNKNOWN_FORMAT)


def _check_request(fmt: str) -> str:
    """The locale asked for, once the format, locale and jurisdiction are known to be ours.

    Raises:
        Open311Error: 404 for an unknown format or jurisdiction, 400 for an unknown locale.
    """
    _check_format(fmt)
    locale = request.args.get("locale", "").strip() or DEFAULT_LANGUAGE
    if locale not in CONTENT_LANGUAGES:
        raise Open311Error(400, UNKNOWN_LOCALE)
    jurisdiction = request.args.get("jurisdiction_id", "").strip()
    ours = current_app.config.get("OPEN311_JURISDICTION_ID", DEFAULT_JURISDICTION)
    if jurisdiction and jurisdiction != ours:
        raise Open311Error(
            404,
            _l(
                "Unknown jurisdiction_id: this endpoint serves %(jurisdiction)s only.",
                jurisdiction=ours,
            ),
        )
    return locale


# --- writing XML and JSON -------------------------------------------------------------------


def _answer(
    root: str, payload: Any, fmt: str, locale: str = DEFAULT_LANGUAGE, status: int = 200
) -> Response:
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        body = ET.tostring(_element(root, payload), encoding="UTF-8", xml_declaration=True)
    response = Response(body, status=status, content_type=f"{FORMATS[fmt]}; charset=utf-8")
    response.headers["Content-Language"] = locale
    # Public, read-only data: any site's script may read it, and caches may keep it briefly.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _element(tag: str, value: Any) -> ET.Element:
    """``value`` as an element: objects as child elements, lists as repeated items."""
    element = ET.Element(tag)
    if isinstance(value, Mapping):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(XML_ITEMS[tag], item) for item in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def _format_of_path() -> str:
    return "json" if request.path.endswith(".json") else "xml"


def _error(status: int, description: LazyString | str) -> Response:
    locale = request.args.get("locale", "")
    with in_language(locale if locale in CONTENT_LANGUAGES else DEFAULT_LANGUAGE):
        errors = [{"code": status, "description": str(description)}]
    return _answer("errors", errors, _format_of_path(), status=status)


@bp.errorhandler(Open311Error)
def _open311_error(error: Open311Error) -> Response:
    return _error(error.status, error.description)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    return _error(code, HTTP_ERRORS.get(code, SERVER_ERROR))


@bp.errorhandler(DBAPIError)
def _database_unavailable(error: DBAPIError) -> Response:
    current_app.logger.exception("Open311: database error")
    db.session.rollback()
    return _error(503, UNAVAILABLE)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("Open311 error")
    db.session.rollback()
    return _error(500, SERVER_ERROR)
