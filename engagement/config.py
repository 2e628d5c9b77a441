"""Settings from the environment, with safe defaults for one machine."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))


def secret_key(instance_path: Path = INSTANCE_PATH) -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in instance/.

    A constant key in the code would let anyone forge sessions and CSRF tokens; a key generated
    per start would log every moderator out and void every open form at each restart.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


def default_config() -> dict[str, Any]:
    """The settings in force when nothing overrides them."""
    return {
        "SQLALCHEMY_DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'engagement.sqlite3'}"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        #: If Redis stops answering, count in each worker's memory until it is back, instead of
        #: refusing every comment with a 500: the limits loosen (per worker), intake goes on.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        #: Submissions per client: generous for a family sharing one connection or a library
        #: computer, tight enough to slow a script.
        "COMMENT_RATE_LIMIT": os.environ.get("COMMENT_RATE_LIMIT", "5 per minute; 40 per hour"),
        "STATUS_LOOKUP_RATE_LIMIT": os.environ.get("STATUS_LOOKUP_RATE_LIMIT", "30 per minute"),
        #: Sign-in attempts per client, on top of the lock after five wrong passwords per account:
        #: this one slows a script trying one password on many accounts.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        #: Number of reverse proxies in front of the app whose X-Forwarded-For we trust.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # Residents may take a long time to write; an expired token only costs one more click,
        # because the form comes back with their text.
        "WTF_CSRF_TIME_LIMIT": int(timedelta(hours=8).total_seconds()),
        # A staff session lasts a working day at most: the signed cookie is refused 8 hours
        # after it was last written.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "America/Chicago",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "COMMENTS_PER_PAGE": 20,
        "READING_RATE_LIMIT": os.environ.get("READING_RATE_LIMIT", "120 per minute"),
        "REPORT_RATE_LIMIT": os.environ.get("REPORT_RATE_LIMIT", "5 per hour"),
        #: Drawing the hearing report as PDF takes a second or two of a worker: per staff client.
        "PDF_RATE_LIMIT": os.environ.get("PDF_RATE_LIMIT", "20 per hour"),
        #: Without MAIL_SERVER, messages are written to MAIL_OUTBOX instead of being sent.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "1") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Minneapolis public comment <no-reply@localhost>"
        ),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX", str(INSTANCE_PATH / "outbox")),
        #: The site's address as residents reach it, for links in e-mails and reports made by
        #: background jobs (which have no request to take it from).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
        #: Redis for the RQ job queue. Unset: jobs run in this process after each response.
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL", ""),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "engagement"),
        #: Seconds to wait before each new try of a failed job; then it is failed for good.
        "JOBS_RETRY_INTERVALS": os.environ.get("JOBS_RETRY_INTERVALS", "30,120,600"),
        #: A job handed to RQ that has not started within this many seconds (Redis down or
        #: restarted, a worker killed) is handed over again by the dispatcher.
        "JOBS_LEASE_SECONDS": int(os.environ.get("JOBS_LEASE_SECONDS", "120")),
        #: A job that started is presumed dead (its worker killed) after its task's timeout
        #: (minutes for a check or an e-mail, hours for a rebuild), or after this many seconds
        #: if set and shorter; then it is handed over again and runs once more.
        "JOBS_RUN_LEASE_SECONDS": int(os.environ.get("JOBS_RUN_LEASE_SECONDS", "0")),
        "JOBS_SWEEP_SECONDS": float(os.environ.get("JOBS_SWEEP_SECONDS", "5")),
        #: Above this many comments, the hearing-report PDF is drawn by a background job and
        #: staff get a link when it is ready; below, it is drawn in the request.
        "PDF_IN_REQUEST_MAX_COMMENTS": int(os.environ.get("PDF_IN_REQUEST_MAX_COMMENTS", "5000")),
    }
