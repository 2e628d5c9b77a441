"""The catalog as a CSV file (export, import) and as the seed's JSON file."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engagement import cli
from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.city_services.models import EditSource, Service, ServiceEdit
from engagement.city_services.operations import (
    CATALOG,
    CatalogInvalid,
    ImportRejected,
    import_services,
    load_catalog,
    update_service,
)
from engagement.city_services.queries import search_services, services_csv
from engagement.city_services.records import COLUMNS, CONTENT_LANGUAGES, record_of
from tests.city_services.builders import FIXTURE_CATALOG
from tests.conftest import STAFF_PASSWORD


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def csv_text(rows: list[dict[str, str]], columns: list[str] | tuple[str, ...] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def edit_count(session: Session) -> int:
    return session.scalar(select(func.count(ServiceEdit.id))) or 0


# --- export and import ----------------------------------------------------------------------


def test_export_has_one_row_per_service_and_a_column_per_field_and_language(
    session: Session, catalog: Any
) -> None:
    text = services_csv(session)
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["code", "active", "category"]
    assert {"name_en", "name_es", "name_so", "name_hmn", "keywords_hmn", "phone_uncertain"} <= set(
        header
    )
    rows = rows_of(text)
    assert [row["code"] for row in rows] == sorted(row["code"] for row in rows)
    assert len(rows) == 11
    garbage = next(row for row in rows if row["code"] == "garbage-recycling")
    assert garbage["keywords_hmn"] == "khib nyiab; rov siv dua; thoob khib nyiab"
    assert (garbage["phone_uncertain"], garbage["active"]) == ("true", "true")
    assert garbage["hours_en"] == ""


def test_export_then_import_changes_nothing_and_exports_the_same_bytes(
    session: Session, catalog: Any
) -> None:
    first = services_csv(session)
    result = import_services(session, first.encode("utf-8"))
    session.commit()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 11)
    assert edit_count(session) == 0
    assert services_csv(session) == first
    assert session.scalar(select(func.sum(Service.version))) == 11  # nothing was written


def test_an_edited_file_imports_and_exports_exactly_as_edited(
    session: Session, catalog: Any
) -> None:
    rows = rows_of(services_csv(session))
    pothole = next(row for row in rows if row["code"] == "pothole")
    pothole["name_es"] = "Bache en la calle"
    pothole["keywords_so"] = "god; waddo; god waddo"
    pothole["description_hmn"] = "Ib lub qhov loj\nntawm txoj kev."  # a line break in a cell
    new = {
        **pothole,
        "code": "sidewalk-repair",
        "name_en": "Sidewalk repair",
        "keywords_en": "sidewalk; curb",
    }
    rows.append(new)
    edited = csv_text(sorted(rows, key=lambda row: row["code"]))

    result = import_services(session, edited.encode("utf-8"))
    session.commit()
    assert (result.created, result.updated, result.unchanged) == (1, 1, 10)
    assert services_csv(session) == edited
    assert search_services(session, "curb", "en")[0].code == "sidewalk-repair"
    entries = session.scalars(select(ServiceEdit).order_by(ServiceEdit.id)).all()
    assert [(e.source, e.actor, e.staff_user_id) for e in entries] == [
        (EditSource.IMPORT, "command line", None)
    ] * 2
    assert entries[0].after["name_es"] == "Bache en la calle"
    assert entries[0].before["name_es"] == "Bache"
    assert entries[1].before == {}  # created by the import


def test_import_accepts_a_byte_order_mark(session: Session, catalog: Any) -> None:
    text = services_csv(session)
    result = import_services(session, b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert result.unchanged == 11


def test_a_file_with_bad_rows_lists_each_by_line_and_changes_nothing(
    session: Session, catalog: Any
) -> None:
    before = services_csv(session)
    rows = rows_of(before)
    rows[0]["phone"] = "call 311"  # line 2
    rows[1]["name_en"] = "Changed, and it must not stick"  # line 3: fine on its own
    rows[2]["name_en"] = ""  # line 4
    rows[2]["url"] = "ftp://example.org"
    rows[3]["category"] = "weather"  # line 5
    rows[4]["keywords_es"] = "basura, reciclaje"  # line 6
    rows[5]["code"] = "Bad Code!"  # line 7
    rows.append(dict(rows[6]))  # line 13: the code of line 8 again
    rows[7]["active"] = "maybe"  # line 9

    with pytest.raises(ImportRejected) as refused:
        import_services(session, csv_text(rows).encode("utf-8"))
    session.rollback()
    problems = refused.value.problems
    assert [p.split(",")[0] for p in problems] == [
        "line 2", "line 4", "line 4", "line 5", "line 6", "line 7", "line 9", "line 13",
    ]  # fmt: skip
    assert problems[0] == "line 2, phone: Write the phone number like 612-673-3000, or 311 or 911."
    assert "line 4, name_en: This is required in English." in problems
    assert "line 4, url: Write the whole web address, starting with https://." in problems
    assert "line 13, code: this code is already on line 8." in problems
    assert services_csv(session) == before
    assert edit_count(session) == 0


def test_line_numbers_count_line_breaks_inside_cells(session: Session, catalog: Any) -> None:
    rows = rows_of(services_csv(session))
    rows[0]["description_en"] = "One\nTwo\nThree"  # row 1 spans lines 2 to 4
    rows[1]["phone"] = "nope"  # so row 2 starts on line 5
    with pytest.raises(ImportRejected) as refused:
        import_services(session, csv_text(rows).encode("utf-8"))
    assert refused.value.problems == [
        "line 5, phone: Write the phone number like 612-673-3000, or 311 or 911."
    ]


@pytest.mark.parametrize(
    ("header_change", "message"),
    [
        (lambda cols: [*cols, "colour"], "line 1, header: unknown columns: colour"),
        (
            lambda cols: [c for c in cols if c != "hours_so"],
            "line 1, header: missing columns: hours_so",
        ),
        (lambda cols: [*cols, "phone"], "line 1, header: columns that appear twice: phone"),
    ],
)
def test_the_header_must_be_the_exports(
    session: Session, catalog: Any, header_change: Any, message: str
) -> None:
    columns = header_change(list(COLUMNS))
    rows = [{c: row.get(c, "") for c in columns} for row in rows_of(services_csv(session))]
    with pytest.raises(ImportRejected) as refused:
        import_services(session, csv_text(rows, columns).encode("utf-8"))
    assert refused.value.problems == [message]


def test_a_file_that_is_not_utf8_is_refused(session: Session, catalog: Any) -> None:
    text = services_csv(session).replace("Basura y reciclaje", "Basura y reciclaje ñ")
    with pytest.raises(ImportRejected) as refused:
        import_services(session, text.encode("latin-1", errors="replace"))
    [problem] = refused.value.problems
    assert problem.startswith("The file is not UTF-8 text (unreadable byte at position ")
    assert "CSV UTF-8" in problem


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (
            b"code,active\r\n",
            "line 1, header: missing columns: category",
        ),
    ],
)
def test_empty_or_headless_files_are_refused(
    session: Session, catalog: Any, data: bytes, message: str
) -> None:
    with pytest.raises(ImportRejected) as refused:
        import_services(session, data)
    assert refused.value.problems[0].startswith(message)


def test_a_row_with_too_many_cells_is_refused(session: Session, catalog: Any) -> None:
    text = services_csv(session)
    lines = text.split("\r\n")
    lines[3] += ",extra"
    with pytest.raises(ImportRejected) as refused:
        import_services(session, "\r\n".join(lines).encode("utf-8"))
    assert refused.value.problems == [
        f"line 4, row: this row has {len(COLUMNS) + 1} cells; the header has {len(COLUMNS)}."
    ]


# --- the command line -----------------------------------------------------------------------


def test_commands_export_and_import(
    runner: FlaskCliRunner, session: Session, catalog: Any, tmp_path: Path
) -> None:
    exported = tmp_path / "services.csv"
    result = runner.invoke(args=["services", "export", str(exported)])
    assert result.exit_code == 0, result.output
    assert "Exported 11 services" in result.output
    assert exported.read_bytes() == services_csv(session).encode("utf-8")

    result = runner.invoke(args=["services", "import", str(exported)])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 11 unchanged" in result.output

    exported.write_text(exported.read_text("utf-8").replace("612-673-5500", "six one two"), "utf-8")
    result = runner.invoke(args=["services", "import", str(exported)])
    assert result.exit_code == 1
    assert "phone: Write the phone number like 612-673-3000" in result.output
    assert "The file was not imported. Nothing was changed." in result.output
    session.expire_all()
    assert (
        session.scalar(select(Service.phone).where(Service.code == "opcr-complaint"))
        == "612-673-5500"
    )


# --- the seed -------------------------------------------------------------------------------


def test_seed_loads_the_catalog_once(
    runner: FlaskCliRunner, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "CATALOG", FIXTURE_CATALOG)
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "City services: 11 added, 0 updated" in first.output
    versions = session.scalar(select(func.sum(Service.version)))
    again = runner.invoke(args=["seed"])
    assert "City services: 0 added, 0 updated" in again.output
    session.expire_all()
    assert session.scalar(select(func.sum(Service.version))) == versions


def test_seed_refreshes_unedited_services_and_keeps_staff_edits(
    session: Session, catalog: Any, tmp_path: Path
) -> None:
    admin = create_staff(session, "a@minneapolismn.gov", StaffRole.ADMIN, STAFF_PASSWORD, "Ana")
    graffiti = session.scalar(select(Service).where(Service.code == "graffiti"))
    record = {**record_of(graffiti), "name_en": "Graffiti and tags"}
    update_service(session, "graffiti", record, seen_version=graffiti.version, editor=admin)
    session.commit()

    data = json.loads(FIXTURE_CATALOG.read_text("utf-8"))
    for entry in data["services"]:
        if entry["code"] in ("graffiti", "pothole"):
            entry["name"]["en"] += " (new wording)"
    changed = tmp_path / "catalog.json"
    changed.write_text(json.dumps(data), "utf-8")
    result = load_catalog(session, changed)
    session.commit()
    assert (result.created, result.updated, result.kept) == (0, 1, 1)
    names = dict(session.execute(select(Service.code, Service.name)).all())
    assert names["pothole"]["en"] == "Pothole (new wording)"
    assert names["graffiti"]["en"] == "Graffiti and tags"


def test_a_catalog_that_breaks_the_rules_is_refused(session: Session, tmp_path: Path) -> None:
    data = json.loads(FIXTURE_CATALOG.read_text("utf-8"))
    data["services"][0]["phone"] = "call us"
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data), "utf-8")
    with pytest.raises(CatalogInvalid, match=r"mpls-311.*phone"):
        load_catalog(session, bad)


@pytest.mark.skipif(
    not CATALOG.exists(), reason="engagement/city_services/catalog.json not written yet"
)
def test_the_real_catalog_loads_in_four_languages(session: Session) -> None:
    result = load_catalog(session, CATALOG)
    session.commit()
    assert result.created >= 52
    for service in session.scalars(select(Service)):
        for field in ("name", "description"):
            assert set(getattr(service, field)) == set(CONTENT_LANGUAGES), (service.code, field)
    lines = set(
        session.scalars(select(Service.language_line).where(Service.language_line.is_not(None)))
    )
    assert lines == {"es", "so", "hmn"}
    assert session.scalar(select(Service).where(Service.code == "opcr-complaint")) is not None
