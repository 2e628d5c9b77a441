"""The application as a whole: health check, languages in addresses, errors, architecture."""

import ast
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engagement import create_app
from engagement.i18n import LANGUAGES

ENGAGEMENT = Path(__file__).resolve().parent.parent / "engagement"


def test_healthz_reports_the_database(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            # Nothing listens on port 9 of loopback: the connection is refused at once.
            "SQLALCHEMY_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    app.extensions["db"].engine.dispose()


@pytest.mark.parametrize(
    ("header", "expected"),
    [("so,en;q=0.5", "/so/"), ("es-MX", "/es/"), ("hmn", "/hmn/"), ("fr", "/en/"), ("", "/en/")],
)
def test_bare_address_follows_accept_language(client: Any, header: str, expected: str) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(expected)


def test_saved_choice_beats_accept_language(client: Any, consultation: Any) -> None:
    client.get("/hmn/")
    response = client.get("/", headers={"Accept-Language": "es"})
    assert response.headers["Location"].endswith("/hmn/")


def test_unknown_language_prefix_is_not_found(client: Any) -> None:
    response = client.get("/xx/")
    assert response.status_code == 404
    assert 'lang="en"' in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_public_page_answers_in_every_language(
    client: Any, session: Any, consultation: Any, lang: str
) -> None:
    from tests.factories import make_comment

    comment = make_comment(session, consultation)
    session.commit()
    pages = [
        f"/{lang}/",
        f"/{lang}/consultations/face-pilot",
        f"/{lang}/consultations/face-pilot/comments",
        f"/{lang}/consultations/face-pilot/comments/{comment.receipt_code}",
        f"/{lang}/receipts",
        f"/{lang}/receipts/{comment.receipt_code}",
    ]
    for url in pages:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}"' in page, url
        assert page.count("<h1") == 1, url
        for other in LANGUAGES:
            assert f'hreflang="{other}"' in page, url


def test_language_switcher_keeps_the_page(client: Any, consultation: Any) -> None:
    page = client.get("/en/consultations/face-pilot/comments?position=oppose").get_data(
        as_text=True
    )
    assert 'href="/so/consultations/face-pilot/comments?position=oppose"' in page
    assert ">Soomaali<" in page
    assert ">Hmoob<" in page
    assert ">Español<" in page


def test_missing_translation_of_content_is_marked_as_english(
    client: Any, consultation: Any
) -> None:
    page = client.get("/so/consultations/face-pilot").get_data(as_text=True)
    assert '<span lang="en">Face recognition pilot</span>' in page
    assert "fallback-note" in page
    spanish = client.get("/es/consultations/face-pilot").get_data(as_text=True)
    assert '<span lang="es">Piloto de reconocimiento facial</span>' in spanish


def test_unknown_page_is_a_404_page(client: Any) -> None:
    response = client.get("/en/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_api_clients_get_json_errors(client: Any) -> None:
    response = client.get("/en/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == 404


def test_unexpected_error_is_a_500_page_not_a_traceback(app: Flask) -> None:
    @app.get("/en/explode")
    def explode() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/en/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "boom" not in page


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch: Any) -> None:
    from engagement.config import secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) > 40
    assert secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    "path",
    sorted([*ENGAGEMENT.glob("*/operations.py"), *ENGAGEMENT.glob("*/queries.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_operations_and_queries_never_touch_the_request(path: Path) -> None:
    forbidden = {"flask.request", "flask.session", "flask.g"}
    imports = _imports(path)
    assert not imports & forbidden
    assert not any(".views" in name for name in imports)
