"""Open311 GeoReport v2 discovery: every answer, in both formats, against the spec's fields.

The XML is read with a real XML parser (xml.etree.ElementTree) and turned into the same shape
as the JSON, so both formats are checked against one description of the spec's fields.
"""

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.city_services.models import Service

BASE = "/open311/v2"
FORMATS = ("json", "xml")

#: The spec's fields: name → type, for each kind of document.
SERVICE_FIELDS = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
ATTRIBUTE_FIELDS = {
    "variable": bool,
    "code": str,
    "datatype": str,
    "required": bool,
    "datatype_description": (str, type(None)),
    "order": int,
    "description": str,
}
ENDPOINT_FIELDS = {
    "specification": str,
    "url": str,
    "changeset": str,
    "type": str,
    "formats": list,
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
XML_BOOLEANS = {"true": True, "false": False}


# --- reading XML into the JSON's shape ------------------------------------------------------


def parse_xml(response: Any) -> ET.Element:
    assert response.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>"), response.data[:60]
    return ET.fromstring(response.data)  # noqa: S314 - our own answer, in a test


def text_of(element: ET.Element) -> str:
    assert len(element) == 0, f"<{element.tag}> should hold text, not elements"
    return element.text or ""


def xml_services(root: ET.Element) -> list[dict[str, Any]]:
    assert root.tag == "services"
    services = []
    for item in root:
        assert item.tag == "service"
        entry: dict[str, Any] = {child.tag: text_of(child) for child in item}
        entry["metadata"] = XML_BOOLEANS[entry["metadata"]]
        services.append(entry)
    return services


def xml_definition(root: ET.Element) -> dict[str, Any]:
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    attributes = []
    for item in root.find("attributes") or []:
        assert item.tag == "attribute"
        attribute: dict[str, Any] = {child.tag: text_of(child) for child in item}
        for name in ("variable", "required"):
            attribute[name] = XML_BOOLEANS[attribute[name]]
        attribute["order"] = int(attribute["order"])
        attribute["datatype_description"] = attribute["datatype_description"] or None
        attributes.append(attribute)
    return {"service_code": text_of(root[0]), "attributes": attributes}


def xml_discovery(root: ET.Element) -> dict[str, Any]:
    assert root.tag == "discovery"
    document: dict[str, Any] = {}
    for child in root:
        if child.tag != "endpoints":
            document[child.tag] = text_of(child)
            continue
        document["endpoints"] = []
        for item in child:
            assert item.tag == "endpoint"
            endpoint: dict[str, Any] = {}
            for field in item:
                if field.tag == "formats":
                    assert all(f.tag == "format" for f in field)
                    endpoint["formats"] = [text_of(f) for f in field]
                else:
                    endpoint[field.tag] = text_of(field)
            document["endpoints"].append(endpoint)
    return document


def xml_errors(root: ET.Element) -> list[dict[str, Any]]:
    assert root.tag == "errors"
    errors = []
    for item in root:
        assert item.tag == "error"
        assert [child.tag for child in item] == ["code", "description"]
        errors.append({"code": int(text_of(item[0])), "description": text_of(item[1])})
    return errors


READERS = {
    "services": xml_services,
    "definition": xml_definition,
    "discovery": xml_discovery,
    "errors": xml_errors,
}


def fetch(
    client: FlaskClient, path: str, fmt: str, kind: str, status: int = 200, **query: str
) -> Any:
    """GET ``path.fmt``; check the status, content type and encoding; return the document."""
    response = client.get(f"{BASE}/{path}.{fmt}", query_string=query)
    assert response.status_code == status, response.data[:300]
    expected = {"json": "application/json", "xml": "text/xml"}[fmt]
    assert response.mimetype == expected
    assert response.mimetype_params.get("charset") == "utf-8"
    response.data.decode("utf-8")  # raises unless the body is UTF-8
    if fmt == "json":
        return json.loads(response.data)
    return READERS[kind](parse_xml(response))


def check_fields(document: dict[str, Any], fields: dict[str, Any]) -> None:
    assert set(document) == set(fields), set(document) ^ set(fields)
    for name, kind in fields.items():
        assert isinstance(document[name], kind), (name, document[name])


def iso_8601_with_zone(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


# --- discovery ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client: FlaskClient, catalog: Any, fmt: str) -> None:
    document = fetch(client, "discovery", fmt, "discovery")
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    iso_8601_with_zone(document["changeset"])
    assert document["contact"]
    assert document["key_service"]
    [endpoint] = document["endpoints"]
    check_fields(endpoint, ENDPOINT_FIELDS)
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] in ("production", "test")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert iso_8601_with_zone(endpoint["changeset"]) == iso_8601_with_zone(document["changeset"])


def test_discovery_of_an_empty_catalog(client: FlaskClient, session: Session) -> None:
    document = fetch(client, "discovery", "json", "discovery")
    assert iso_8601_with_zone(document["changeset"]).year == 1970


def test_changeset_moves_when_a_service_changes(
    client: FlaskClient, session: Session, catalog: Any
) -> None:
    before = fetch(client, "discovery", "json", "discovery")["changeset"]
    graffiti = session.scalar(select(Service).where(Service.code == "graffiti"))
    graffiti.updated_at = iso_8601_with_zone("2099-01-01T00:00:00+00:00")
    session.commit()
    after = fetch(client, "discovery", "xml", "discovery")["changeset"]
    assert after == "2099-01-01T00:00:00Z" != before


# --- the service list -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(client: FlaskClient, session: Session, catalog: Any, fmt: str) -> None:
    services = fetch(client, "services", fmt, "services")
    active = set(session.scalars(select(Service.code).where(Service.active)))
    assert {service["service_code"] for service in services} == active
    for service in services:
        check_fields(service, SERVICE_FIELDS)
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert service["service_name"]
        assert service["description"]
        assert service["group"]
    garbage = next(s for s in services if s["service_code"] == "garbage-recycling")
    assert garbage == {
        "service_code": "garbage-recycling",
        "service_name": "Garbage and recycling",
        "description": "A missed pickup, a damaged cart, or a question about what to recycle.",
        "metadata": True,  # it has "what to have ready"
        "type": "blackbox",
        "keywords": "garbage, trash, recycling, cart",
        "group": "Report a problem",
    }
    pothole = next(s for s in services if s["service_code"] == "pothole")
    assert pothole["metadata"] is False


def test_both_formats_say_the_same(client: FlaskClient, catalog: Any) -> None:
    for locale in ("en", "es", "so", "hmn"):
        assert fetch(client, "services", "json", "services", locale=locale) == fetch(
            client, "services", "xml", "services", locale=locale
        )
        for code in ("garbage-recycling", "pothole", "opcr-complaint"):
            path = f"services/{code}"
            assert fetch(client, path, "json", "definition", locale=locale) == fetch(
                client, path, "xml", "definition", locale=locale
            )
    assert fetch(client, "discovery", "json", "discovery") == fetch(
        client, "discovery", "xml", "discovery"
    )


@pytest.mark.parametrize(
    ("locale", "name", "group", "keywords"),
    [
        (None, "Garbage and recycling", "Report a problem", "garbage, trash, recycling, cart"),
        ("en", "Garbage and recycling", "Report a problem", "garbage, trash, recycling, cart"),
        ("es", "Basura y reciclaje", "Reportar un problema", "basura, reciclaje, bote de basura"),
        (
            "so",
            "Qashinka iyo dib-u-warshadaynta",
            "Soo sheeg dhibaato",
            "qashin, qashinka, dib-u-warshadayn",
        ),
        (
            "hmn",
            "Khib nyiab thiab rov siv dua",
            "Qhia txog teeb meem",
            "khib nyiab, rov siv dua, thoob khib nyiab",
        ),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_locale_extension_chooses_the_language(
    client: FlaskClient,
    catalog: Any,
    fmt: str,
    locale: str | None,
    name: str,
    group: str,
    keywords: str,
) -> None:
    query = {"locale": locale} if locale else {}
    response = client.get(f"{BASE}/services.{fmt}", query_string=query)
    assert response.headers["Content-Language"] == (locale or "en")
    services = fetch(client, "services", fmt, "services", **query)
    garbage = next(s for s in services if s["service_code"] == "garbage-recycling")
    assert (garbage["service_name"], garbage["group"], garbage["keywords"]) == (
        name,
        group,
        keywords,
    )


def test_locale_falls_back_to_english_where_a_translation_is_missing(
    client: FlaskClient, catalog: Any
) -> None:
    # The Spanish line has no Somali keywords: they come in English.
    services = fetch(client, "services", "json", "services", locale="so")
    line = next(s for s in services if s["service_code"] == "mpls-311-lang-es")
    assert line["keywords"] == "spanish, interpreter"
    assert line["service_name"] == "Khadka 311 ee luqadda Isbaanishka"


def test_text_is_utf8_not_escaped(client: FlaskClient, catalog: Any) -> None:
    body = client.get(f"{BASE}/services.json?locale=es").data
    assert "Línea de 311 en español".encode() in body
    body = client.get(f"{BASE}/services.xml?locale=es").data
    assert "Línea de 311 en español".encode() in body


# --- service definitions --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_with_an_attribute(client: FlaskClient, catalog: Any, fmt: str) -> None:
    document = fetch(client, "services/opcr-complaint", fmt, "definition", locale="es")
    assert set(document) == {"service_code", "attributes"}
    assert document["service_code"] == "opcr-complaint"
    [attribute] = document["attributes"]
    check_fields(attribute, ATTRIBUTE_FIELDS)
    assert attribute["datatype"] in DATATYPES
    # Informational only: "what to have ready" is shown, never asked for.
    assert attribute["variable"] is False
    assert attribute["required"] is False
    assert attribute["order"] == 1
    assert attribute["description"].startswith("Cuándo y dónde ocurrió.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_without_attributes(client: FlaskClient, catalog: Any, fmt: str) -> None:
    document = fetch(client, "services/pothole", fmt, "definition")
    assert document == {"service_code": "pothole", "attributes": []}


def test_metadata_says_whether_a_definition_has_attributes(
    client: FlaskClient, catalog: Any
) -> None:
    for service in fetch(client, "services", "json", "services"):
        definition = fetch(client, f"services/{service['service_code']}", "json", "definition")
        assert service["metadata"] == bool(definition["attributes"])


# --- jurisdiction_id ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_our_jurisdiction_is_accepted(client: FlaskClient, catalog: Any, fmt: str) -> None:
    assert fetch(client, "services", fmt, "services", jurisdiction_id="minneapolismn.gov")
    assert fetch(client, "services/pothole", fmt, "definition", jurisdiction_id="minneapolismn.gov")


@pytest.mark.config(OPEN311_JURISDICTION_ID="example.gov")
def test_the_jurisdiction_is_configurable(client: FlaskClient, catalog: Any) -> None:
    assert fetch(client, "services", "json", "services", jurisdiction_id="example.gov")
    fetch(client, "services", "json", "errors", 404, jurisdiction_id="minneapolismn.gov")


# --- errors, in the spec's format -----------------------------------------------------------


def check_error(errors: list[dict[str, Any]], code: int) -> None:
    [error] = errors
    assert set(error) == {"code", "description"}
    assert error["code"] == code
    assert isinstance(error["description"], str)
    assert error["description"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("services", {"jurisdiction_id": "stpaul.gov"}, 404),
        ("services/pothole", {"jurisdiction_id": "stpaul.gov"}, 404),
        ("services", {"locale": "fr"}, 400),
        ("services/pothole", {"locale": "xx"}, 400),
        ("services", {"locale": "e" * 5000}, 400),
        ("services", {"locale": "es\x00"}, 400),
        ("services/no-such-service", {}, 404),
        ("services/%FF%FE", {}, 404),
        ("services/nul%00byte", {}, 404),
        ("requests", {}, 404),
        ("tokens/abc", {}, 404),
    ],
)
def test_errors(
    client: FlaskClient, catalog: Any, fmt: str, path: str, query: dict[str, str], status: int
) -> None:
    check_error(fetch(client, path, fmt, "errors", status, **query), status)


def test_an_inactive_service_has_no_definition(
    client: FlaskClient, session: Session, catalog: Any
) -> None:
    pothole = session.scalar(select(Service).where(Service.code == "pothole"))
    pothole.active = False
    session.commit()
    check_error(fetch(client, "services/pothole", "xml", "errors", 404), 404)
    codes = {s["service_code"] for s in fetch(client, "services", "xml", "services")}
    assert "pothole" not in codes


def test_an_unknown_format_answers_in_xml(client: FlaskClient, catalog: Any) -> None:
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404
    check_error(xml_errors(parse_xml(response)), 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_not_taken(client: FlaskClient, catalog: Any, fmt: str) -> None:
    for path in ("requests", "services"):
        response = client.post(f"{BASE}/{path}.{fmt}", data={"service_code": "pothole"})
        assert response.status_code == 405
        errors = json.loads(response.data) if fmt == "json" else xml_errors(parse_xml(response))
        check_error(errors, 405)


def test_errors_follow_the_locale_when_it_is_valid(client: FlaskClient, catalog: Any) -> None:
    english = fetch(client, "services/nope", "json", "errors", 404)
    spanish = fetch(client, "services/nope", "json", "errors", 404, locale="es")
    # Until the lead translates the new strings, Spanish falls back to the English text;
    # either way the answer keeps the spec's shape.
    check_error(english, 404)
    check_error(spanish, 404)


def test_answers_are_public_and_cacheable(client: FlaskClient, catalog: Any) -> None:
    response = client.get(f"{BASE}/services.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    assert client.get(f"{BASE}/services/nope.json").headers.get("Cache-Control") is None
