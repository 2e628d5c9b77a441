"""The Minneapolis public comment platform: create_app() builds the Flask application."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from werkzeug.middleware.proxy_fix import ProxyFix

from engagement import assets, cli, errors, i18n, security, versions
from engagement.auth import views as auth
from engagement.config import INSTANCE_PATH, PROJECT_ROOT, default_config, secret_key
from engagement.db import db
from engagement.extensions import babel, limiter, login_manager
from engagement.jobs import runners as jobs


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_PATH),
        template_folder=str(PROJECT_ROOT / "templates"),
        # Static files are served by engagement.assets, under content-hashed names.
        static_folder=None,
    )
    app.config.from_mapping(default_config())
    app.config.from_prefixed_env()
    app.config.from_mapping(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key()
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    _configure_logging(app)
    _configure_templates(app)
    _watch_content()
    db.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app, babel)
    limiter.init_app(app)
    auth.init_app(app, login_manager)
    _register_blueprints(app)
    _register_labels(app)
    assets.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from engagement.api.views import bp as api
    from engagement.api.views import pages as open_data
    from engagement.city_services.open311 import bp as open311
    from engagement.city_services.views import bp as city_services
    from engagement.comments.views import bp as comments
    from engagement.consultations.views import bp as consultations
    from engagement.health import bp as health
    from engagement.jobs.views import bp as jobs_pages
    from engagement.moderation.views import bp as moderation
    from engagement.tallies.views import bp as tallies

    for blueprint in (
        health,
        consultations,
        comments,
        auth.bp,
        moderation,
        api,
        open_data,
        tallies,
        jobs_pages,
    ):
        app.register_blueprint(blueprint)
    for blueprint in (city_services, open311):
        app.register_blueprint(blueprint)


def _configure_templates(app: Flask) -> None:
    """Outside debugging, templates are compiled once per process and never checked for
    changes on disk, and the compiled code is kept in instance/ for the next worker."""
    if app.debug:
        return
    app.jinja_env.auto_reload = False
    cache_dir = Path(app.instance_path) / "jinja-cache"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only instance folder: compile in memory, as before
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache_dir))


def _watch_content() -> None:
    """Which changes make kept copies of pages and reference data stale (engagement.versions)."""
    from engagement.comments.queries import changes_public_record
    from engagement.consultations.models import Consultation, Topic
    from engagement.geography.models import Community, Neighborhood, Ward

    versions.watch((Consultation, Topic, Community, Neighborhood, Ward), changes_public_record)


def _register_labels(app: Flask) -> None:
    """The translated names of each status vocabulary, for every template, defined once."""
    from engagement.auth.models import ROLE_LABELS
    from engagement.city_services.models import EDIT_SOURCE_LABELS
    from engagement.comments.models import (
        CHANNEL_LABELS,
        POSITION_NAMES,
        REJECTION_REASON_LABELS,
        STATUS_LABELS,
    )
    from engagement.moderation.flags import FLAG_LABELS
    from engagement.moderation.models import ACTION_LABELS, REPORT_REASON_LABELS

    app.jinja_env.globals.update(
        position_names=POSITION_NAMES,
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
        rejection_reasons=REJECTION_REASON_LABELS,
        report_reasons=REPORT_REASON_LABELS,
        flag_labels=FLAG_LABELS,
        action_labels=ACTION_LABELS,
        role_labels=ROLE_LABELS,
        edit_source_labels=EDIT_SOURCE_LABELS,
    )


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
