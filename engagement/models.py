"""Imports every area's models, so Base.metadata knows every table (for Alembic and tests)."""

from engagement.auth.models import StaffUser
from engagement.campaigns.models import Campaign, SignatureBand
from engagement.city_services.models import Service, ServiceCategory, ServiceEdit
from engagement.comments.models import Comment
from engagement.consultations.models import Consultation, Topic
from engagement.geography.models import Community, Neighborhood, Ward
from engagement.moderation.models import CommentFlag, CommentReport, ModerationEvent

__all__ = [
    "Campaign",
    "Comment",
    "CommentFlag",
    "CommentReport",
    "Community",
    "Consultation",
    "ModerationEvent",
    "Neighborhood",
    "Service",
    "ServiceCategory",
    "ServiceEdit",
    "SignatureBand",
    "StaffUser",
    "Topic",
    "Ward",
]
