"""Imports every area's models, so Base.metadata knows every table (for Alembic and tests)."""

from engagement.auth.models import StaffUser
from engagement.campaigns.models import Campaign, SignatureBand
from engagement.city_services.models import Service, ServiceCategory, ServiceEdit
from engagement.comments.models import Comment
from engagement.consultations.models import Consultation, Topic
from engagement.geography.models import Community, Neighborhood, Ward
from engagement.jobs.models import Job, SentMail
from engagement.moderation.models import CommentFlag, CommentReport, ModerationEvent
from engagement.tallies.models import ReportFile
from engagement.versions import ContentVersion

__all__ = [
    "Campaign",
    "Comment",
    "CommentFlag",
    "CommentReport",
    "Community",
    "Consultation",
    "ContentVersion",
    "Job",
    "ModerationEvent",
    "Neighborhood",
    "ReportFile",
    "SentMail",
    "Service",
    "ServiceCategory",
    "ServiceEdit",
    "SignatureBand",
    "StaffUser",
    "Topic",
    "Ward",
]
