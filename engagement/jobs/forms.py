from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from engagement.forms import BaseForm


class RetryForm(BaseForm):
    """Only the CSRF token: the job is named by the address."""


class RebuildForm(BaseForm):
    consultation = SelectField(
        _l("Consultation"),
        validators=[InputRequired(message=_l("Choose a consultation."))],
        validate_choice=True,
    )
