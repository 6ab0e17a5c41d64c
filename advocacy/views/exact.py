"""The street-address form for a postal code that crosses a district boundary (issue 11)."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class ExactAddressForm(FlaskForm):
    """A street address: sent to the geocoder once, never stored or logged. The same robot
    rules as the letter form: CSRF, a honeypot field and a minimum time between showing and
    sending (``started``, a signed stamp)."""

    address = StringField(
        _l("Your street address"),
        validators=[DataRequired(_l("Please enter your street address.")), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    website = StringField(_l("Leave this empty"))
    started = HiddenField()


def retry_after(seconds: float | None) -> str:
    """A ``Retry-After`` header's value: whole seconds, at least one, a minute when unknown."""
    return str(max(1, math.ceil(seconds or 60)))
