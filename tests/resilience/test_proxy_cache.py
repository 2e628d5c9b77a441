"""The README's nginx configuration (deploy/nginx-locations.conf) in front of a real gunicorn:
public pages without a form come from the proxy's cache; forms, receipts and anyone with a
session always reach the app.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import free_port
from tests.resilience.conftest import SLUG, LoopbackResident, receipt_code, serve, server_env

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxy(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (make test installs Debian's nginx when run as root)")
    env = server_env(sqlite_url, tmp_path, TRUSTED_PROXIES="1")
    with serve("app:app", env, tmp_path, workers=2) as app_server:
        port = free_port()
        (tmp_path / "cache").mkdir()
        config = tmp_path / "nginx.conf"
        config.write_text(
            f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    proxy_cache_path {tmp_path}/cache levels=1:2 keys_zone=engagement:10m max_size=50m
                     inactive=10m use_temp_path=off;
    upstream engagement {{ server 127.0.0.1:{app_server.port}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        include {PROJECT_ROOT / "deploy" / "nginx-locations.conf"};
    }}
}}
"""
        )
        process = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path)])
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    if LoopbackResident(url, "127.0.90.1").request("GET", "/healthz").status:
                        break
                except OSError:
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_reading_pages_come_from_the_proxy_and_forms_never_do(proxy: str) -> None:
    reader = LoopbackResident(proxy, "127.0.91.1")
    tallies = f"/en/consultations/{SLUG}/tallies"
    first, second = reader.request("GET", tallies), reader.request("GET", tallies)
    assert (first.status, second.status) == (200, 200)
    assert first.headers.get("x-cache-status") == "MISS"
    assert second.headers.get("x-cache-status") == "HIT"
    assert second.text == first.text

    # The comment form: every visitor gets tokens of their own, never a stored page.
    residents = [LoopbackResident(proxy, f"127.0.92.{n}") for n in (1, 2)]
    forms = [r.open_form() for r in residents]
    assert all("x-cache-status" not in form.headers for form in forms)
    answer, _fields = residents[0].submit("Sent through the proxy.", form=forms[0])
    assert answer.status == 303
    receipt = residents[0].request("GET", answer.location.split("://", 1)[-1].split("/", 1)[-1]
                                   if "://" in answer.location else answer.location)  # fmt: skip
    assert receipt.status == 200
    assert "x-cache-status" not in receipt.headers
    assert receipt_code(answer.location) in receipt.text

    # Someone with a session (the resident who just commented) reaches the app, not the cache.
    own = residents[0].request("GET", tallies)
    assert own.headers.get("x-cache-status") == "BYPASS"
