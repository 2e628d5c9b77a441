"""The tallies and the open-data CSV through the API: the same numbers as the council's report."""

import csv
import io
from typing import Any

from engagement.comments.queries import PUBLIC_FIELDS
from engagement.moderation.operations import hide_comment
from tests.api.conftest import ApiData

TALLIES = "/api/v1/consultations/face-pilot/tallies"
CSV = "/api/v1/consultations/face-pilot/comments.csv"


def test_tallies_count_published_comments_only(client: Any, api_data: ApiData) -> None:
    response = client.get(TALLIES, query_string={"lang": "es"})

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["counted"] == "published"
    assert data["total"]["comments"] == len(api_data.published)
    positions = {key: value["comments"] for key, value in data["total"]["by_position"].items()}
    assert sum(positions.values()) == len(api_data.published)
    assert response.headers["Content-Language"] == "es"
    english = client.get(TALLIES).get_json()["data"]["rules"]["wards"]
    assert data["rules"]["wards"] != english  # the rule is stated in the reader's language


def test_tallies_filters_and_bad_values(client: Any, api_data: ApiData) -> None:
    by_channel = client.get(TALLIES, query_string={"channel": "web"}).get_json()["data"]
    nothing = client.get(TALLIES, query_string={"since": "2999-01-01"}).get_json()["data"]
    bad_day = client.get(TALLIES, query_string={"since": "yesterday"})
    unknown = client.get(TALLIES, query_string={"status": "pending"})

    assert by_channel["filters"] == {"channel": "web"}
    assert [row["key"] for row in by_channel["tables"]["channel"]] in ([], ["web"])
    assert nothing["total"]["comments"] == 0
    assert bad_day.status_code == 400
    assert bad_day.get_json()["error"]["parameter"] == "since"
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["parameter"] == "status"


def test_the_csv_holds_the_same_records_as_the_json(client: Any, api_data: ApiData) -> None:
    response = client.get(CSV)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    records: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/consultations/face-pilot/comments", query_string=query)
        body = page.get_json()
        records += body["data"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break

    assert response.mimetype == "text/csv"
    assert tuple(rows[0]) == PUBLIC_FIELDS
    as_csv = {
        record["receipt_code"]: {
            name: ";".join(map(str, value))
            if isinstance(value, list)
            else ("" if value is None else str(value))
            for name, value in record.items()
        }
        for record in records
    }
    assert {row["receipt_code"]: row for row in rows} == as_csv


def test_the_csv_answers_304_until_the_data_changes(
    client: Any, session: Any, api_data: ApiData
) -> None:
    first = client.get(CSV)
    assert first.data.startswith(b"receipt_code,")
    etag = first.headers["ETag"]

    again = client.get(CSV, headers={"If-None-Match": etag})
    hidden = api_data.published[0]
    hide_comment(session, hidden.id, hidden.version, api_data.staff, "Abuse")
    session.commit()
    changed = client.get(CSV, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert changed.status_code == 200
    assert hidden.receipt_code.encode() not in changed.data
