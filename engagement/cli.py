"""Flask commands: database migrations, seed data, demo comments, bulk publishing, staff."""

import json
import sys
import time
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from engagement.auth.models import ROLE_LABELS, StaffRole
from engagement.auth.operations import create_staff, deactivate_staff
from engagement.campaigns.operations import rebuild_campaigns
from engagement.campaigns.tasks import REBUILD
from engagement.city_services.operations import (
    CATALOG,
    CatalogInvalid,
    ImportRejected,
    import_services,
    load_catalog,
)
from engagement.city_services.queries import services_csv
from engagement.comments.demo import add_demo_comments
from engagement.comments.models import Comment, CommentStatus
from engagement.config import PROJECT_ROOT
from engagement.consultations.models import Consultation
from engagement.consultations.operations import CLEARVIEW_PILOT, load_consultation
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db
from engagement.errors import DomainError
from engagement.geography.operations import import_boundaries, load_geography
from engagement.jobs.operations import enqueue
from engagement.jobs.queries import job_counts
from engagement.jobs.runners import InlineRunner, QueueRunner, runner
from engagement.moderation.operations import publish_all_pending


def alembic_config(database_url: str | None = None) -> AlembicConfig:
    """Alembic's settings, aimed at the app's database unless another URL is given."""
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = (
        database_url or current_app.config["SQLALCHEMY_DATABASE_URL"]
    )
    return config


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@with_appcontext
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(), revision)


@db_group.command("revision")
@with_appcontext
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a new migration from the models; review it before committing."""
    command.revision(alembic_config(), message=message, autogenerate=True)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models differ from what the migrations build."""
    command.check(alembic_config())


@click.command("seed")
@with_appcontext
@click.option(
    "--consultation",
    "consultation_file",
    type=click.Path(path_type=Path),
    default=CLEARVIEW_PILOT,
    show_default=True,
)
def seed(consultation_file: Path) -> None:
    """Load geography and the consultation with its topics. Running it twice changes nothing."""
    neighborhoods = load_geography(db.session)
    consultation = load_consultation(db.session, consultation_file)
    try:
        services = load_catalog(db.session, CATALOG) if CATALOG.exists() else None
    except CatalogInvalid as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Seeded {neighborhoods} neighborhoods and consultation '{consultation.slug}' "
        f"with {len(consultation.topics)} topics."
    )
    if services is not None:
        click.echo(
            f"City services: {services.created} added, {services.updated} updated, "
            f"{services.kept} kept as staff last saved them."
        )


@click.command("demo-comments")
@with_appcontext
@click.argument("count", type=click.IntRange(min=1))
@click.option("--consultation", "slug", default="clearview-ai-pilot", show_default=True)
@click.option("--publish", is_flag=True, help="Store them as published instead of pending.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the consultation has comments.")
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True)
@click.option(
    "--campaigns/--no-campaigns",
    "find_campaigns",
    default=True,
    show_default=True,
    help="Find the form letters among all comments afterwards (campaigns rebuild).",
)
def demo_comments(
    count: int, slug: str, publish: bool, if_empty: bool, random_seed: int, find_campaigns: bool
) -> None:
    """Add COUNT realistic demo comments across topics, positions, places, languages, channels."""
    consultation = consultation_by_slug(db.session, slug)
    existing = db.session.scalar(
        select(func.count()).where(Comment.consultation_id == consultation.id)
    )
    if if_empty and existing:
        click.echo(f"'{slug}' already has {existing} comments; none added.")
        return
    status = CommentStatus.PUBLISHED if publish else CommentStatus.PENDING
    added = add_demo_comments(db.session, consultation, count, status=status, seed=random_seed)
    db.session.commit()
    click.echo(f"Added {added} {status.value} demo comments to '{slug}'.")
    if find_campaigns:
        _rebuild_campaigns(consultation)


@click.group("campaigns")
def campaigns_group() -> None:
    """Form letters: near-duplicate comments grouped into campaigns."""


@campaigns_group.command("rebuild")
@with_appcontext
@click.option("--consultation", "slug", default="clearview-ai-pilot", show_default=True)
@click.option(
    "--background",
    is_flag=True,
    help="Leave it to the job queue (progress on the staff jobs page) instead of waiting.",
)
def campaigns_rebuild(slug: str, background: bool) -> None:
    """Find the consultation's campaigns again, over all its comments in arrival order."""
    consultation = consultation_by_slug(db.session, slug)
    if background:
        job = enqueue(
            db.session, REBUILD, subject_id=consultation.id, consultation_id=consultation.id
        )
        db.session.commit()
        click.echo(f"Queued as job {job.id}; its progress shows on the staff jobs page.")
        return
    _rebuild_campaigns(consultation, show_progress=True)


def _rebuild_campaigns(consultation: Consultation, *, show_progress: bool = False) -> None:
    started = time.perf_counter()
    with click.progressbar(
        length=1, label="Comparing comments", hidden=not show_progress, file=sys.stderr
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        result = rebuild_campaigns(db.session, consultation, progress)
    db.session.commit()
    click.echo(
        f"Compared {result.comments} comments of '{consultation.slug}': {result.matched} are "
        f"copies in {result.campaigns} campaigns ({time.perf_counter() - started:.1f} s)."
    )


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for cron or tests).")
def worker(burst: bool) -> None:
    """Run jobs from the queue on JOBS_REDIS_URL (RQ, with its scheduler for later tries).

    Start as many as you like, on any machine that reaches the database and Redis; each also
    hands over the jobs that Redis lost or a dead worker left.
    """
    jobs = runner()
    if not isinstance(jobs, QueueRunner):
        raise click.ClickException(
            "JOBS_REDIS_URL is not set, so jobs run inside the web process and no worker is "
            "needed. Set it (e.g. redis://127.0.0.1:6379/1) to use workers."
        )
    jobs.work(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs kept in the database (the outbox)."""


@jobs_group.command("run")
@with_appcontext
def jobs_run() -> None:
    """Run every job that is due, here and now (the embedded default, or a queue that is down)."""
    runs = InlineRunner().drain(current_app._get_current_object())  # type: ignore[attr-defined]
    counts = job_counts(db.session)
    click.echo(
        f"Ran {runs} jobs; {counts.waiting} waiting for a later try, {counts.failed} failed."
    )


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """Print how many jobs wait, run and failed (for monitoring)."""
    counts = job_counts(db.session)
    oldest = counts.oldest_waiting.isoformat(timespec="seconds") if counts.oldest_waiting else "-"
    click.echo(
        f"waiting {counts.waiting} (oldest {oldest}), running {counts.running}, "
        f"failed {counts.failed}, done in 24 h {counts.done_recently}"
    )


@click.command("publish-all")
@with_appcontext
@click.option("--consultation", "slug", default=None, help="Only this consultation.")
def publish_all(slug: str | None) -> None:
    """Publish every pending comment without review. For demos and benchmarks only."""
    consultation = consultation_by_slug(db.session, slug) if slug else None
    published = publish_all_pending(db.session, consultation)
    db.session.commit()
    click.echo(f"Published {published} pending comments.")


@click.command("import-boundaries")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--name-property",
    default=None,
    help="The feature property holding the neighborhood's name (found by itself if left out).",
)
def import_boundaries_command(file: Path, name_property: str | None) -> None:
    """Store the neighborhood outlines for the council map from a GeoJSON FILE (WGS 84).

    Features are matched to neighborhoods by name, and every name that matched nothing is
    listed. A file that is not a FeatureCollection of polygons changes nothing.
    """
    try:
        collection = json.loads(file.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file} is not a JSON file: {error}") from error
    try:
        result = import_boundaries(db.session, collection, name_property=name_property)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    total = len(result.stored) + len(result.missing_neighborhoods)
    click.echo(
        f"Stored outlines for {len(result.stored)} of {total} neighborhoods "
        f"({result.changed} changed)."
    )
    for name in result.joined:
        click.echo(f"The outline of {name} joins several features of the file.")
    if unmatched := result.unmatched_features:
        click.echo(
            f"Not stored, matching no neighborhood ({len(unmatched)}): {'; '.join(unmatched)}"
        )
    if missing := result.missing_neighborhoods:
        click.echo(f"No outline in this file ({len(missing)}): {'; '.join(missing)}")


@click.group("staff")
def staff_group() -> None:
    """Staff accounts: create and deactivate."""


def _read_password() -> str:
    """Asked twice, unseen, at a terminal; one line from standard input when piped."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@staff_group.command("create")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(list(StaffRole), case_sensitive=False), required=True)
@click.option("--name", "display_name", default=None, help="Shown to colleagues in the logs.")
def staff_create(email: str, role: StaffRole, display_name: str | None) -> None:
    """Open a staff account for EMAIL. The password is asked for, or read from standard input."""
    try:
        user = create_staff(db.session, email, role, _read_password(), display_name)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({ROLE_LABELS[user.role]}).")


@staff_group.command("deactivate")
@with_appcontext
@click.argument("email")
def staff_deactivate(email: str) -> None:
    """Close the account of EMAIL: it can no longer sign in, and open sessions end."""
    try:
        user = deactivate_staff(db.session, email)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@click.group("services")
def services_group() -> None:
    """The city services catalog as a CSV file: export, edit, import."""


@services_group.command("export")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def services_export(file: Path) -> None:
    """Write every service to FILE (CSV, UTF-8): one row per service, one column per field
    and language, keywords separated by semicolons."""
    text = services_csv(db.session)
    with file.open("w", encoding="utf-8", newline="") as out:
        out.write(text)
    # Rows end in CRLF; a line break inside a cell is a bare LF.
    click.echo(f"Exported {text.count(chr(13) + chr(10)) - 1} services to {file}.")


@services_group.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def services_import(file: Path) -> None:
    """Create or update services from FILE, as `services export` writes it.

    Every row is checked first; if any row is wrong, each problem is listed by line number
    and nothing is changed.
    """
    try:
        result = import_services(db.session, file.read_bytes())
    except ImportRejected as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(
        f"Imported {file}: {result.created} added, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


def init_app(app: Flask) -> None:
    for cmd in (
        db_group,
        seed,
        demo_comments,
        publish_all,
        staff_group,
        campaigns_group,
        worker,
        jobs_group,
        import_boundaries_command,
        services_group,
    ):
        app.cli.add_command(cmd)
