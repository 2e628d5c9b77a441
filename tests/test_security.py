"""Security headers on every page, cookies, and long-lived static files with changing names."""

import re
from typing import Any

import pytest

from engagement.assets import fingerprint
from tests.factories import make_comment

PAGES = [
    "/en/",
    "/so/consultations/face-pilot",
    "/es/consultations/face-pilot/comments",
    "/hmn/receipts",
    "/en/staff/login",
    "/en/no-such-page",
    "/healthz",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(
    client: Any, consultation: Any, path: str
) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "microphone=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_hsts_over_https(client: Any, consultation: Any) -> None:
    response = client.get("/en/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_have_no_inline_script_or_style(client: Any, session: Any, consultation: Any) -> None:
    comment = make_comment(session, consultation)
    session.commit()
    for path in ("/en/", "/en/consultations/face-pilot", f"/en/receipts/{comment.receipt_code}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page
        assert "<style" not in page
        assert not re.search(r"\sstyle=", page)
        assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


def test_receipts_and_staff_pages_are_not_kept_in_shared_caches(
    client: Any, session: Any, consultation: Any
) -> None:
    comment = make_comment(session, consultation)
    session.commit()
    assert client.get(f"/en/receipts/{comment.receipt_code}").headers["Cache-Control"] == (
        "private, no-store"
    )
    assert client.get("/en/staff/login").headers["Cache-Control"] == "private, no-store"


def test_session_cookie_flags(app: Any, client: Any, consultation: Any) -> None:
    client.get("/en/consultations/face-pilot")  # the form puts a CSRF token in the session
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure
    app.config["SESSION_COOKIE_SECURE"] = True
    secure = app.test_client()
    secure.get("/en/consultations/face-pilot", base_url="https://localhost")
    assert secure.get_cookie("session", domain="localhost").secure


def test_stylesheet_has_a_content_hash_in_its_name_and_a_year_of_cache(
    client: Any, consultation: Any
) -> None:
    page = client.get("/en/").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert href == f"/static/site.{fingerprint('site.css')}.css"
    with client.get(href) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.immutable
    assert client.get("/static/site.000000000000.css").status_code == 404
    assert client.get("/static/site.css").status_code == 404
    assert client.get("/static/../engagement/config.py").status_code == 404


def test_odd_static_and_id_addresses_are_404_not_500(client: Any, login_as: Any) -> None:
    assert client.get("/static/" + "a" * 5000 + ".x.css").status_code == 404
    login_as("moderator")
    assert client.get("/en/staff/moderation/comments/99999999999999999999").status_code == 404
