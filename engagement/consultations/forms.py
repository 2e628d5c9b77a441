from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField
from wtforms.validators import DataRequired, Optional

from engagement.forms import BaseForm

#: Dates are typed in Minneapolis time, as the City announces them.
FORMAT = "%Y-%m-%dT%H:%M"


class ScheduleForm(BaseForm):
    opens_at = DateTimeLocalField(
        _l("Comments open"),
        format=FORMAT,
        validators=[DataRequired(message=_l("Give the date and time comments open."))],
    )
    closes_at = DateTimeLocalField(
        _l("Comments close"),
        format=FORMAT,
        validators=[DataRequired(message=_l("Give the date and time comments close."))],
    )
    hearing_at = DateTimeLocalField(
        _l("Public hearing (optional)"), format=FORMAT, validators=[Optional()]
    )
