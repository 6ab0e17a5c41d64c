"""Supporter forms. Every POST carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..constants import PostcodeShown
from ..letters import BLOCKS_MAX


def _max_from_config(key: str):
    def check(form, field):
        limit = current_app.config[key]
        if field.data and len(field.data) > limit:
            raise ValidationError(_l("Please keep this under %(limit)s characters.", limit=limit))

    return check


class VersionField(IntegerField):
    """The letter version a form was rendered with (hidden). A value that is not a number, or
    is too large to be an id, reads as "none": the current version is used."""

    widget = HiddenField.widget

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
        if self.data is not None and not 0 < self.data < 2**63:
            self.data = None


class PostcodeForm(FlaskForm):
    postcode = StringField(
        _l("Your postal code"),
        validators=[DataRequired(_l("Please enter your postal code.")), Length(max=32)],
        render_kw={
            "autocomplete": "postal-code",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )
    # Only for providers that need it (a US ZIP code can span districts): shown by the
    # template when the campaign's provider needs_address; sent to the geocoder, never stored.
    address = StringField(
        _l("Street address"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )


class LetterForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[Optional(), _max_from_config("SUPPORTER_FIELD_MAX")],
        render_kw={"autocomplete": "name"},
    )
    city = StringField(
        _l("Your city or town"),
        validators=[Optional(), _max_from_config("SUPPORTER_FIELD_MAX")],
        render_kw={"autocomplete": "address-level2"},
    )
    show_postcode = RadioField(
        _l("Postal code under your name"),
        choices=[
            SelectChoice(PostcodeShown.FULL, _l("My full postal code")),
            SelectChoice(PostcodeShown.PREFIX, _l("Only its first three characters")),
        ],
        default=PostcodeShown.PREFIX,
    )
    subject = StringField(
        _l("Subject"),
        validators=[
            DataRequired(_l("The letter needs a subject.")),
            _max_from_config("LETTER_SUBJECT_MAX"),
        ],
    )
    body = TextAreaField(
        _l("Your letter"),
        validators=[DataRequired(_l("The letter is empty.")), _max_from_config("LETTER_BODY_MAX")],
        render_kw={"rows": 22},
    )
    # "blocks" letters: the supporter's text for each editable block, in order. Their subject
    # and locked text are rendered again by the server, never read from the form.
    blocks = FieldList(
        TextAreaField(validators=[Optional(), _max_from_config("LETTER_BODY_MAX")]),
        max_entries=BLOCKS_MAX,
    )
    postcode = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])
    template_id = VersionField()
    # Issue 10: the supporter's words may go, without their name, in the report to this office.
    quotable = BooleanField(_l("My words may be quoted to this office (without my name)"))
    # When the form was shown (signed): a letter "written" in under a few seconds is a robot.
    started = HiddenField()
    # A honeypot: hidden from people by the stylesheet, filled in by form-filling robots.
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )


class ConfirmSentForm(FlaskForm):
    """'I have sent it': the one POST that logs a contact action."""

    postcode = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])
    template_id = VersionField()
    # Signed by the server on the send page: when the letter form was shown, a digest of the
    # letter, and whether it is the campaign's text untouched.
    proof = HiddenField()
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )


def required_email() -> EmailField:
    """A supporter's email address, required: for "send it for me" and "my data"."""
    return EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


class DeliverForm(FlaskForm):
    """ "Send it for me": the supporter's address, and the letter the server composed (signed)."""

    email = required_email()
    letter = HiddenField(validators=[DataRequired()])
    postcode = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])
    template_id = VersionField()


class ConfirmForm(FlaskForm):
    """A button: the confirmation link opens a page, and only its POST sends (mail scanners
    open links on their own)."""
