"""Imports every area's models, so Base.metadata knows every table (for Alembic and tests)."""

from engagement.auth.models import StaffUser
from engagement.comments.models import Comment
from engagement.consultations.models import Consultation, Topic
from engagement.geography.models import Community, Neighborhood, Ward

__all__ = ["Comment", "Community", "Consultation", "Neighborhood", "StaffUser", "Topic", "Ward"]
