"""The API's JSON objects, written out field by field (never ``model.to_dict``).

Every object here is described in engagement/api/openapi.json; a field added here and not
there fails the schemathesis run. Comments use ``engagement.comments.queries.public_record``,
the same record as the open-data CSV.
"""

from datetime import datetime
from typing import Any

from flask import url_for

from engagement.city_services.models import Service
from engagement.comments.queries import CommentCounts, Receipt, utc_timestamp
from engagement.consultations.models import Consultation, Topic
from engagement.geography.models import Neighborhood
from engagement.i18n import current_language, translated


def translated_text(value: dict[str, str] | None) -> dict[str, Any]:
    """Content in the language of the response, or the language that stands in for it.

    ``fallback`` is true when the requested language was missing and ``language`` says which
    one the text is in (English first, by the one fallback rule of ``i18n.translated``).
    """
    text = translated(value, current_language())
    return {"text": text.text, "language": text.lang, "fallback": text.is_fallback}


def consultation(item: Consultation, counts: CommentCounts, now: datetime) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "title": translated_text(item.title),
        "summary": translated_text(item.summary),
        "responsible_body": translated_text(item.responsible_body),
        "opens_at": utc_timestamp(item.opens_at),
        "closes_at": utc_timestamp(item.closes_at),
        "hearing_at": utc_timestamp(item.hearing_at) if item.hearing_at else None,
        "status": item.phase_at(now).value,
        "comment_counts": {
            "published": counts.published,
            "received": counts.received,
            "pending": counts.pending,
            "rejected": counts.rejected,
            "hidden": counts.hidden,
        },
        "links": {
            "self": url_for("api.consultation", slug=item.slug),
            "comments": url_for("api.comments", slug=item.slug),
            "topics": url_for("api.topics", consultation=item.slug),
            "page": url_for("consultations.show", slug=item.slug, lang=current_language()),
        },
    }


def topic(item: Topic) -> dict[str, Any]:
    return {
        "consultation": item.consultation.slug,
        "slug": item.slug,
        "name": translated_text(item.name),
        "description": translated_text(item.description),
    }


def neighborhood(item: Neighborhood) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "name": item.name,
        "community": {"slug": item.community.slug, "name": item.community.name},
        "wards": [ward.number for ward in item.wards],
    }


def receipt(item: Receipt) -> dict[str, Any]:
    """What the receipt page shows, and nothing more: the text only while it may be shown, the
    fingerprint and canonical record only while they hold nothing the public text leaves out."""
    comment = item.comment
    place = comment.neighborhood
    return {
        "receipt_code": comment.receipt_code,
        "consultation": {
            "slug": comment.consultation.slug,
            "title": translated_text(comment.consultation.title),
        },
        "status": comment.status.value,
        "status_label": str(item.status_label),
        "rejection_reason": comment.rejection_reason.value
        if item.reason_label is not None and comment.rejection_reason is not None
        else None,
        "rejection_reason_label": str(item.reason_label) if item.reason_label is not None else None,
        "counted": item.is_counted,
        "submitted_at": utc_timestamp(comment.submitted_at),
        "position": comment.position.value,
        "topics": [topic.slug for topic in comment.topics],
        "residence": comment.residence.value,
        "neighborhood": place.slug if place else None,
        "community": place.community.slug if place else None,
        "display_name": comment.display_name,
        "text": item.text,
        "fingerprint": comment.fingerprint if item.record is not None else None,
        "record": item.record,
    }


def service(item: Service, score: float | None = None) -> dict[str, Any]:
    """A city service as residents see it: the 311 number stands in for an uncertain one."""
    return {
        "code": item.code,
        "category": item.category.slug,
        "category_name": translated_text(item.category.name),
        "name": translated_text(item.name),
        "description": translated_text(item.description),
        "prepare": translated_text(item.prepare) if item.prepare else None,
        "department": item.department,
        "phone": item.shown_phone,
        "url": item.url,
        "address": item.address,
        "hours": translated_text(item.hours) if item.hours else None,
        "language_line": item.language_line,
        "score": score,
    }
