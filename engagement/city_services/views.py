from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from engagement.auth.models import StaffRole
from engagement.auth.policies import require_role
from engagement.city_services.forms import ServiceForm, ServiceSearchForm, WardForm, initial_data
from engagement.city_services.models import Service
from engagement.city_services.operations import EditedMeanwhile, InvalidService, update_service
from engagement.city_services.queries import (
    COUNCIL_PAGE,
    SERVICES_FOR_CONSULTATIONS,
    catalog_by_category,
    category_choices,
    category_names,
    find_services,
    language_line_service,
    service_by_code,
    service_history,
    service_page,
    services_for_staff,
    ward_lookup,
)
from engagement.city_services.records import COLUMNS, record_of
from engagement.db import db
from engagement.geography.queries import neighborhoods_by_community
from engagement.i18n import LANGUAGES, current_language

bp = Blueprint("city_services", __name__, url_prefix="/<lang>")


@bp.app_context_processor
def _services_for_consultations() -> dict[str, Any]:
    """A consultation's page links to a service for residents who came to report an incident
    rather than to comment (the pilot's page to the police conduct complaint)."""
    return {"service_for_consultation": SERVICES_FOR_CONSULTATIONS}


# --- public ---------------------------------------------------------------------------------


@bp.get("/services")
def index() -> tuple[str, int]:
    """Search and browse on one page: browsing until a search is sent."""
    lang = current_language()
    form = ServiceSearchForm(request.args)
    search, status = None, 200
    if "q" in request.args:
        if form.validate():
            search = find_services(db.session, form.q.data, lang)
        else:
            status = 400
    return render_template(
        "city_services/index.html",
        form=form,
        search=search,
        categories=category_names(db.session, lang),
        catalog=None if search or status != 200 else catalog_by_category(db.session, lang),
        language_line=language_line_service(db.session, lang),
    ), status


@bp.get("/services/find-my-ward")
def find_my_ward() -> tuple[str, int]:
    form = WardForm(request.args)
    form.neighborhood.choices = [
        SelectChoice(slug, name, optgroup=group.community)
        for group in neighborhoods_by_community(db.session)
        for slug, name in group.neighborhoods
    ]
    lookup, status = None, 200
    if "neighborhood" in request.args:
        if form.validate():
            lookup = ward_lookup(db.session, form.neighborhood.data)
        else:
            status = 400
    return render_template(
        "city_services/find_my_ward.html",
        form=form,
        lookup=lookup,
        council_page=COUNCIL_PAGE,
        language_line=language_line_service(db.session, current_language()),
    ), status


@bp.get("/services/<code>")
def show(code: str) -> str:
    page = service_page(db.session, code, current_language())
    return render_template("city_services/show.html", page=page, service=page.service)


# --- staff ----------------------------------------------------------------------------------


@bp.get("/staff/services/")
@require_role(StaffRole.ADMIN)
def staff_index() -> str:
    return render_template(
        "city_services/staff_index.html",
        services=services_for_staff(db.session),
        categories=category_names(db.session, current_language()),
    )


@bp.route("/staff/services/<code>", methods=["GET", "POST"])
@require_role(StaffRole.ADMIN)
def edit(code: str) -> BaseResponse | tuple[str, int]:
    service = service_by_code(db.session, code, include_inactive=True)
    is_post = request.method == "POST"
    form = ServiceForm(data=None if is_post else initial_data(record_of(service), service.version))
    # A category name shown in another language than the page's carries its own lang.
    form.category.choices = [
        SelectChoice(slug, name.text, render_kw={"lang": name.lang} if name.is_fallback else {})
        for slug, name in category_choices(db.session, current_language())
    ]
    if not is_post:
        return _render_edit(service, form, 200)
    if not form.validate():
        return _render_edit(service, form, 422)
    try:
        result = update_service(
            db.session, code, form.record(), seen_version=form.version.data, editor=current_user
        )
        db.session.commit()
    except InvalidService as error:
        db.session.rollback()
        form.show_problems(error.problems)
        return _render_edit(service, form, error.status_code)
    except EditedMeanwhile as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        # Saving again now is a choice made after seeing the other change in the log.
        service = service_by_code(db.session, code, include_inactive=True)
        form.version.data, form.version.raw_data = service.version, [str(service.version)]
        return _render_edit(service, form, error.status_code)
    flash(_("Saved.") if result.changed else _("Nothing was changed."), "success")
    return redirect(url_for("city_services.edit", code=code), code=303)


def _render_edit(service: Service, form: ServiceForm, status: int) -> tuple[str, int]:
    return render_template(
        "city_services/edit.html",
        service=service,
        form=form,
        history=service_history(db.session, service.id),
        column_labels=column_labels(),
    ), status


def column_labels() -> dict[str, tuple[str, str | None]]:
    """Each record column's label in the reader's language, and the language its value is in."""
    plain = {
        "code": _("Code"),
        "active": _("Shown to the public"),
        "category": _("Category"),
        "department": _("Department"),
        "phone": _("Phone"),
        "phone_uncertain": _("Number not confirmed"),
        "url": _("Web address"),
        "address": _("Address for walk-in visits"),
        "language_line": _("311 interpreted line for"),
    }
    translated = {
        "name": _("Name"),
        "description": _("Description"),
        "prepare": _("What to have ready"),
        "keywords": _("Keywords"),
        "hours": _("Opening hours"),
    }
    labels: dict[str, tuple[str, str | None]] = {}
    for column in COLUMNS:
        if column in plain:
            labels[column] = (plain[column], None)
        else:
            field, _sep, lang = column.rpartition("_")
            label = _(
                "%(field)s (%(language)s)",
                field=translated[field],
                language=LANGUAGES[lang].native_name,
            )
            labels[column] = (label, lang)
    return labels
