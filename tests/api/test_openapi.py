"""The OpenAPI document: kept in the repository, served as it is, and matching the routes."""

import json
import re
from typing import Any

from flask import Flask

from engagement.api.views import OPENAPI_DOCUMENT
from engagement.comments.queries import PUBLIC_FIELDS

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every route under /api/v1, in OpenAPI's path syntax.

    HEAD and OPTIONS are left out: Flask answers them for every GET route by itself.
    """
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_route_is_documented_and_every_operation_has_a_route(app: Flask) -> None:
    routes = api_routes(app)
    operations = documented_operations()
    assert routes - operations == set(), "routes the OpenAPI document does not describe"
    assert operations - routes == set(), "operations in the OpenAPI document without a route"


def test_the_document_is_valid_openapi_3_1() -> None:
    # Schemathesis carries the official OpenAPI 3.1 schema; it checks the document's structure.
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    loaded = document()
    assert loaded["openapi"].startswith("3.1.")
    OPENAPI_31_VALIDATOR.validate(loaded)


def test_the_served_document_is_the_file(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data() == OPENAPI_DOCUMENT.read_bytes()
    assert response.headers["Content-Language"] == "en"


def test_the_comment_schema_is_the_public_record() -> None:
    comment = document()["components"]["schemas"]["Comment"]
    assert list(comment["properties"]) == list(PUBLIC_FIELDS)
    assert comment["required"] == list(PUBLIC_FIELDS)
    assert comment["additionalProperties"] is False


def test_every_operation_documents_its_answers() -> None:
    for path, item in document()["paths"].items():
        operation = item["get"]
        assert operation["operationId"], path
        for status in ("200", "304", "400", "429"):
            assert status in operation["responses"], (path, status)
        if "{" in path:
            assert "404" in operation["responses"], path
        names = {parameter["$ref"].rsplit("/", 1)[-1] for parameter in operation["parameters"]}
        assert {"lang", "Accept-Language", "If-None-Match"} <= names, path
