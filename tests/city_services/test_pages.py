"""The residents' pages: search, browse, a service, find my ward, in every language."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engagement.auth.models import StaffUser
from engagement.consultations.operations import load_consultation
from engagement.i18n import LANGUAGES

LANGS = list(LANGUAGES)


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.get_data(as_text=True)
    lang = url.split("/")[1]
    assert f'<html lang="{lang}"' in html, url
    assert html.count("<h1") == 1, url
    return html


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_answers_in_every_language(
    client: FlaskClient, catalog: Any, login_as: Callable[..., StaffUser], lang: str
) -> None:
    base = f"/{lang}/services"
    public = [
        (base, 200),
        (f"{base}?q=basura", 200),
        (f"{base}?q=pothool", 200),  # nothing found, a suggestion
        (f"{base}?q=", 400),
        (f"{base}/garbage-recycling", 200),
        (f"{base}/opcr-complaint", 200),
        (f"{base}/mpls-311-lang-hmn", 200),
        (f"{base}/find-my-ward", 200),
        (f"{base}/find-my-ward?neighborhood=seward", 200),
        (f"{base}/find-my-ward?neighborhood=nowhere", 400),
        (f"{base}/no-such-service", 404),
        (f"{base}/nul%00byte", 404),  # PostgreSQL can't even be asked about it
        (f"{base}/{'x' * 300}", 404),
    ]
    for url, status in public:
        page(client, url, status)
    login_as("admin")
    page(client, f"/{lang}/staff/services/")
    page(client, f"/{lang}/staff/services/pothole")


def test_the_main_navigation_links_to_the_services(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/so/services")
    assert '<a href="/so/services">' in html


# --- search ---------------------------------------------------------------------------------


def test_browsing_lists_every_category_and_service(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/es/services")
    for category in ("Ayuda e información", "Reportar un problema", "Policía y derechos civiles"):
        assert category in html
    assert 'href="#police-and-civil-rights"' in html
    # Every service, the ward finder, and the Spanish line in the callout at the top.
    assert html.count('href="/es/services/') == 11 + 1 + 1
    assert "Results for" not in html


def test_search_shows_results_in_the_readers_language(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/so/services?q=basura")
    assert 'href="/so/services/garbage-recycling"' in html
    assert '<span lang="so">Qashinka iyo dib-u-warshadaynta</span>' in html
    assert 'value="basura"' in html  # the words stay in the box
    assert 'role="status"' in html
    first = html.index("garbage-recycling")
    assert first < html.index("illegal-dumping")


def test_no_match_offers_did_you_mean_and_311(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services?q=pothool")
    assert "No service matches \u201cpothool\u201d." in html
    assert 'Did you mean <a href="/en/services?q=Pothole" lang="en">Pothole</a>?' in html
    assert 'href="tel:+16126733000"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two about what you need."),
        ("    ", "Type a word or two about what you need."),
        ("b" * 201, "This is 201 characters long; the limit is 200."),
        ("basura\x00", "Some characters could not be read"),
        ("basura\x1b[31m", "Some characters could not be read"),
    ],
)
def test_bad_searches_get_a_message_and_keep_the_text(
    client: FlaskClient, catalog: Any, query: str, message: str
) -> None:
    html = page(client, "/en/services?" + "q=" + query.replace(" ", "+"), 400)
    assert message in html
    assert 'aria-invalid="true"' in html
    if query.strip() and "\x00" not in query and "\x1b" not in query:
        assert query in html


def test_invalid_utf8_in_a_search_is_a_message_not_an_error(
    client: FlaskClient, catalog: Any
) -> None:
    html = page(client, "/en/services?q=basur%E1", 400)
    assert "Some characters could not be read" in html
    assert "basur\ufffd" in html


def test_a_huge_query_string_is_refused_politely(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services?q=" + "x" * 20_000, 400)
    assert "the limit is 200" in html


def test_the_311_line_is_always_offered(client: FlaskClient, catalog: Any) -> None:
    for url in ("/en/services", "/en/services?q=graffiti", "/en/services?q=zzzz",
                "/en/services/pothole", "/en/services/find-my-ward"):  # fmt: skip
        assert 'href="tel:+16126733000"' in page(client, url), url


@pytest.mark.parametrize(
    ("lang", "phone", "service"),
    [("es", "612-673-2700", "mpls-311-lang-es"), ("so", "612-673-3500", "mpls-311-lang-so"),
     ("hmn", "612-673-2800", "mpls-311-lang-hmn")],
)  # fmt: skip
def test_readers_of_es_so_hmn_see_their_language_line_first(
    client: FlaskClient, catalog: Any, lang: str, phone: str, service: str
) -> None:
    for url in (f"/{lang}/services", f"/{lang}/services/pothole", f"/{lang}/services/find-my-ward"):
        html = page(client, url)
        main = html[html.index("<main") :]
        callout = main.index('class="language-line"')
        assert callout < main.index("<form") if "<form" in main else True
        assert phone in main[callout : callout + 400]
        assert f'href="/{lang}/services/{service}"' in main


def test_english_readers_get_no_language_line_callout(client: FlaskClient, catalog: Any) -> None:
    assert 'class="language-line"' not in page(client, "/en/services")


# --- a service's page -----------------------------------------------------------------------


def test_a_service_page_has_everything_to_reach_it(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/es/services/mpls-311")
    assert '<span lang="es">311 de Minneapolis</span>' in html
    assert '<dd lang="en">Minneapolis 311</dd>' in html  # the department, a proper name
    assert 'href="tel:+16126733000"' in html
    assert 'href="https://www.minneapolismn.gov/report-an-issue/"' in html
    assert '<dd lang="en">505 4th Ave S</dd>' in html
    assert "De lunes a viernes" in html


def test_an_uncertain_number_is_replaced_by_311(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services/garbage-recycling")
    assert "612-673-2917" not in html
    assert 'href="tel:+16126733000"' in html
    assert "could not be confirmed" in html
    assert "Your address and your pickup day." in html  # what to have ready


def test_a_missing_translation_is_shown_in_english_and_marked(
    client: FlaskClient, session: Session, catalog: Any
) -> None:
    from tests.city_services.builders import make_service

    make_service(session, code="snow-emergency", name={"en": "Snow emergency"})
    session.commit()
    html = page(client, "/hmn/services/snow-emergency")
    assert '<span lang="en">Snow emergency</span>' in html
    assert "fallback-note" in html


def test_the_police_complaint_and_the_pilot_link_to_each_other(
    client: FlaskClient, session: Session, catalog: Any
) -> None:
    load_consultation(session)
    session.commit()
    service = page(client, "/so/services/opcr-complaint")
    assert 'href="/so/consultations/clearview-ai-pilot"' in service
    consultation = page(client, "/so/consultations/clearview-ai-pilot")
    assert 'href="/so/services/opcr-complaint"' in consultation


def test_other_consultations_do_not_link_to_the_complaint(
    client: FlaskClient, consultation: Any, catalog: Any
) -> None:
    assert "/services/opcr-complaint" not in page(client, f"/en/consultations/{consultation.slug}")


def test_without_the_pilot_the_complaint_page_has_no_dead_link(
    client: FlaskClient, catalog: Any
) -> None:
    assert "/consultations/" not in page(client, "/en/services/opcr-complaint")


# --- find my ward ---------------------------------------------------------------------------


def test_find_my_ward_lists_neighborhoods_by_community(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services/find-my-ward")
    assert '<optgroup label="Phillips">' in html
    assert '<option value="east-phillips">East Phillips</option>' in html
    assert "ward-result" not in html


def test_a_neighborhood_in_one_ward(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/es/services/find-my-ward?neighborhood=east-phillips")
    result = html[html.index("ward-result") :]
    assert "East Phillips" in result
    assert "Phillips" in result
    links = re.findall(r'href="(https://www\.minneapolismn\.gov/[^"]+)"', result)
    assert links == ["https://www.minneapolismn.gov/government/city-council/members/ward-9/"]
    assert '<option value="east-phillips" selected>' in html


def test_a_neighborhood_in_two_wards(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services/find-my-ward?neighborhood=east-isles")
    assert "/members/ward-7/" in html
    assert "/members/ward-10/" in html
    assert "your street address decides" in html


def test_a_neighborhood_without_a_known_ward(client: FlaskClient, catalog: Any) -> None:
    html = page(client, "/en/services/find-my-ward?neighborhood=shingle-creek")
    assert "We don't know the ward of this neighborhood yet." in html
    assert 'href="https://www.minneapolismn.gov/government/city-council/"' in html


@pytest.mark.parametrize("value", ["nowhere", "", "x" * 5000, "seward\x00"])
def test_an_unknown_neighborhood_gets_a_message(
    client: FlaskClient, catalog: Any, value: str
) -> None:
    html = page(client, f"/en/services/find-my-ward?neighborhood={value}", 400)
    assert "Choose your neighborhood from the list." in html or "not on our list" in html
    assert "ward-result" not in html
