from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from engagement.auth.models import StaffRole
from engagement.auth.policies import require_role
from engagement.campaigns.tasks import REBUILD
from engagement.consultations.queries import consultations_newest_first
from engagement.db import db
from engagement.errors import DomainError
from engagement.i18n import translated
from engagement.jobs.forms import RebuildForm, RetryForm
from engagement.jobs.models import JOB_STATUS_LABELS
from engagement.jobs.operations import TASKS, enqueue, retry_job
from engagement.jobs.queries import failed_jobs, job_counts, running_jobs
from engagement.jobs.runners import QueueRunner, runner

bp = Blueprint("jobs", __name__, url_prefix="/<lang>/staff/jobs")


def _rebuild_form() -> RebuildForm:
    form = RebuildForm()
    form.consultation.choices = [
        SelectChoice(str(c.id), translated(c.title).text)
        for c in consultations_newest_first(db.session)
    ]
    return form


@bp.get("/")
@require_role(StaffRole.ADMIN)
def index() -> tuple[str, int]:
    return _page(_rebuild_form(), 200)


def _page(rebuild: RebuildForm, status: int) -> tuple[str, int]:
    jobs = runner()
    running = running_jobs(db.session)
    return render_template(
        "jobs/index.html",
        counts=job_counts(db.session),
        queue_counts=jobs.queue_counts(),
        on_queue=isinstance(jobs, QueueRunner),
        running=running,
        progress={job.id: jobs.progress_of(job.id) for job in running},
        failed=failed_jobs(db.session),
        task_labels={name: task.label for name, task in TASKS.items()},
        status_labels=JOB_STATUS_LABELS,
        retry=RetryForm(formdata=None),
        rebuild=rebuild,
    ), status


@bp.post("/<int(max=2147483647):job_id>/retry")
@require_role(StaffRole.ADMIN)
def retry(job_id: int) -> BaseResponse:
    form = RetryForm()
    if not form.validate():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("jobs.index"), code=303)
    try:
        retry_job(db.session, job_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("jobs.index"), code=303)
    runner().forget_failure(job_id)
    db.session.commit()
    flash(_("The job will be tried again."), "success")
    return redirect(url_for("jobs.index"), code=303)


@bp.post("/rebuild-campaigns")
@require_role(StaffRole.ADMIN)
def rebuild_campaigns() -> BaseResponse | tuple[str, int]:
    form = _rebuild_form()
    if not form.validate():
        return _page(form, 422)
    enqueue(
        db.session, REBUILD, subject_id=int(form.consultation.data),
        requested_by_id=current_user.id, consultation_id=int(form.consultation.data),
    )  # fmt: skip
    db.session.commit()
    flash(_("Finding the form letters again. The progress shows below."), "success")
    return redirect(url_for("jobs.index"), code=303)
