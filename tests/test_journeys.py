"""The resident's whole path, in each of the four languages, on the real seeded consultation."""

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.support import Translations
from flask import Flask

from engagement.config import PROJECT_ROOT
from engagement.consultations.operations import load_consultation
from engagement.db import utcnow
from engagement.geography.operations import load_geography
from engagement.i18n import LANGUAGES
from engagement.moderation.operations import publish_all_pending
from tests.conftest import Resident


@pytest.fixture
def pilot(session: Any) -> Any:
    load_geography(session)
    pilot = load_consultation(session)
    pilot.opens_at, pilot.closes_at = utcnow() - timedelta(days=3), utcnow() + timedelta(days=30)
    session.commit()
    return pilot


def catalog_text(lang: str) -> Any:
    """What a string reads as in ``lang``, from the compiled catalog the app uses."""
    translations = Translations.load(str(PROJECT_ROOT / "translations"), [lang])
    return translations.gettext


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_resident_journey_in_every_language(
    app: Flask, client: Any, session: Any, pilot: Any, lang: str
) -> None:
    t = catalog_text(lang)

    def page(url: str, status: int = 200) -> str:
        response = client.get(url)
        assert response.status_code == status, url
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html, url
        return html

    home = page(f"/{lang}/")
    assert t("Have your say") in home
    assert pilot.title[lang] in home

    consultation = page(f"/{lang}/consultations/{pilot.slug}")
    assert pilot.title[lang] in consultation
    assert t("Send my comment") in consultation
    assert pilot.topics[0].name[lang] in consultation
    assert "fallback-note" not in consultation  # everything is in this language

    resident = Resident(client, pilot.slug, lang=lang)
    sent = resident.submit(
        body="Ma aqaan / No sé / Kuv tsis paub / I don't know",
        topics=["privacy-surveillance"],
        neighborhood="cedar-riverside",
    )
    assert sent.status_code == 303
    receipt_url = sent.headers["Location"]
    assert f"/{lang}/receipts/" in receipt_url
    receipt = page(receipt_url)
    assert t("Thank you. Your comment was received and stored.") in receipt
    assert t("Received, waiting for review") in receipt
    code = re.search(r'class="receipt-code">([0-9A-Z-]+)<', receipt).group(1)

    lookup = client.get(f"/{lang}/receipts", query_string={"code": code.lower()})
    assert lookup.headers["Location"].endswith(f"/{lang}/receipts/{code}")

    with app.app_context():
        publish_all_pending(session)
        session.commit()
    status = page(f"/{lang}/receipts/{code}")
    assert t("Published") in status

    listed = page(f"/{lang}/consultations/{pilot.slug}/comments?language={lang}")
    assert f'<div class="comment-text" lang="{lang}">' in listed
    assert "Cedar Riverside" in listed
    other = "so" if lang != "so" else "es"
    nothing = page(f"/{lang}/consultations/{pilot.slug}/comments?language={other}")
    assert "Ma aqaan" not in nothing


def test_hmong_dates_use_digits_not_english_month_names(client: Any, pilot: Any) -> None:
    html = client.get(f"/hmn/consultations/{pilot.slug}").get_data(as_text=True)
    local = pilot.closes_at.astimezone(ZoneInfo("America/Chicago"))
    assert f"{local.month}/{local.day}/{local.year}" in html
    assert "January" not in html
    assert "November" not in html


def test_spanish_dates_are_spanish_in_minneapolis_time(
    client: Any, session: Any, pilot: Any
) -> None:
    next_year = utcnow().year + 1
    pilot.closes_at = pilot.closes_at.replace(year=next_year, month=1, day=8, hour=23, minute=0)
    session.commit()
    html = client.get(f"/es/consultations/{pilot.slug}").get_data(as_text=True)
    assert "8 de enero de" in html
    assert "5:00\u202fp.\u00a0m." in html or "5:00\u202fp.m." in html  # 23:00 UTC = 5 p.m. here
