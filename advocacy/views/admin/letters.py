"""Organizers' letter editor: a campaign's letters, their settings (language, target group,
order, editing mode), their text (every save a new version), a preview of unsaved text
against the sample official and a real one, and the history of versions with diffs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ... import campaigns, civic, editor, letters
from ...civic.officials import LEVELS
from ...db import database
from ...extensions import providers, supporter_path
from ...models import Campaign, Letter
from . import bp
from .campaigns import CheckboxesField

LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
EDITING_LABELS = {
    "free": _l("Free: supporters may change the whole letter"),
    "blocks": _l("Blocks: only the editable blocks; the rest and the subject are locked"),
}


class LetterSettingsForm(FlaskForm):
    language = StringField(
        _l("Language"),
        default="en",
        validators=[
            DataRequired(),
            Regexp(LANGUAGE, message=_l("Use a language code such as en, fr or zh-Hant.")),
        ],
    )
    name = StringField(_l("Name (seen by organizers only)"), validators=[Length(max=100)])
    applies_to = CheckboxesField(_l("For which officials"))
    position = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=10_000)]
    )
    editing = RadioField(
        _l("What supporters may change"),
        default="free",
        choices=[SelectChoice(k, v) for k, v in EDITING_LABELS.items()],
    )


class LetterTextForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("The letter needs a subject.")), Length(max=1000)],
    )
    body = TextAreaField(
        _l("Letter"),
        validators=[
            DataRequired(_l("The letter is empty.")),
            Length(max=letters.TEMPLATE_MAX),
        ],
        render_kw={"rows": 24, "spellcheck": "true"},
    )
    postcode = StringField(
        _l("Also preview for the officials of this postal code (optional)"),
        validators=[Optional(), Length(max=32)],
        render_kw={"size": 10, "autocomplete": "off"},
    )
    preview = SubmitField(_l("Preview (does not save)"))
    save = SubmitField(_l("Save as a new version"))


class NewLetterForm(LetterSettingsForm, LetterTextForm):
    save = SubmitField(_l("Create the letter"))


class RestoreForm(FlaskForm):
    """Only the CSRF token: restoring is a POST."""


# -- helpers ------------------------------------------------------------------------------------


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _letter(campaign: Campaign, letter_id: int) -> Letter:
    letter = editor.get_letter(database(), campaign, letter_id)
    if letter is None:
        abort(404)
    return letter


def _limits() -> editor.Limits:
    config = current_app.config
    return editor.Limits(
        body_max=config["LETTER_BODY_MAX"], subject_max=config["LETTER_SUBJECT_MAX"]
    )


def _today() -> str:
    return format_date(date.today(), format="long")


def _group_choices(campaign: Campaign, letter: Letter | None) -> list[SelectChoice]:
    """Levels, then the offices of the campaign's provider and the campaign's own, then any
    value the letter already has (from a shipped file, say)."""
    provider = providers().get(campaign.provider)
    offices: list[str] = []
    for office in (
        *(provider.offices if provider else ()),
        *(campaign.target_offices or []),
    ):
        if office not in offices and office not in LEVELS:
            offices.append(office)
    choices = [SelectChoice(level, _("every %(level)s official", level=level)) for level in LEVELS]
    choices += [SelectChoice(office, _("office: %(office)s", office=office)) for office in offices]
    known = set(LEVELS) | set(offices)
    choices += [
        SelectChoice(value, value)
        for value in (letter.applies_to if letter else []) or []
        if value not in known
    ]
    return choices


def _settings_form(form_class, campaign: Campaign, letter: Letter | None, **data):
    form = form_class(obj=letter, **data)
    form.applies_to.choices = _group_choices(campaign, letter)
    return form


def _settings(form: LetterSettingsForm) -> dict:
    return {
        "language": form.language.data.strip(),
        "name": (form.name.data or "").strip(),
        "applies_to": list(form.applies_to.data or []),
        "position": form.position.data or 0,
        "editing": form.editing.data,
    }


def _show_problems(form: LetterTextForm, exc: editor.InvalidLetter) -> None:
    for field, problem in exc.problems.items():
        getattr(form, field).errors.append(str(problem))


def _officials_for_preview(
    campaign: Campaign, raw: str, gets_it: Callable[[civic.Official], bool]
) -> tuple[list[civic.Official], str]:
    """The officials of the postal code the organizer typed that would get this letter
    (``gets_it``), and a message if there are none or some are missing. Upstream trouble is
    a message, never a 500."""
    provider = providers().get(campaign.provider)
    if provider is None:
        return [], _("This campaign's provider is not available.")
    if provider.needs_address:
        return [], _(
            "This campaign's provider needs a street address, so letters cannot be previewed "
            "by postal code: only the sample official is shown."
        )
    try:
        # As supporters see them: the provider's officials (through the cache) and the
        # campaign's custom targets.
        looked, result = supporter_path().look_up(campaign, raw)
    except civic.InvalidPostcode:
        return [], _("%(code)s is not a postal code this campaign's provider knows.", code=raw)
    except civic.PostcodeNotFound:
        return [], _("No official was found for %(code)s.", code=raw)
    except civic.UpstreamUnavailable:
        return [], _(
            "The service that finds officials is not answering: only the sample official is "
            "shown. Try again in a minute."
        )
    except civic.CivicError:
        return [], _("The officials of %(code)s could not be looked up.", code=raw)
    officials = [o for o in result.officials if campaigns.is_targeted(campaign, o) and gets_it(o)]
    message = ""
    if result.extra.get("provider_unavailable"):
        message = _(
            "The service that finds officials is not answering: only the campaign's own "
            "targets and the sample official are shown. Try again in a minute."
        )
    elif not officials:
        message = _(
            "None of the officials of %(code)s that the campaign writes to gets this letter "
            "(another letter may come first for them, or this one is for other officials).",
            code=looked.postcode,
        )
    return officials, message


def _preview(form: LetterTextForm, campaign: Campaign, gets_it: Callable[[civic.Official], bool]):
    raw = (form.postcode.data or "").strip()
    officials, message = _officials_for_preview(campaign, raw, gets_it) if raw else ([], "")
    previews = editor.preview(
        form.subject.data, form.body.data, campaign, officials, _today(), _limits()
    )
    return previews, message


def _gets(campaign: Campaign, letter: Letter, official: civic.Official) -> bool:
    """Whether this letter is the one the official gets (the first matching, by order)."""
    chosen = campaigns.letter_for(database(), campaign, letter.language, official)
    return chosen is not None and chosen.id == letter.id


def _signature() -> str:
    return letters.signature(
        editor.SAMPLE_SUPPORTER["name"], editor.SAMPLE_SUPPORTER["city"], "K1P 5G4"
    )


# -- pages --------------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/letters", endpoint="letters")
def letter_list(campaign_id: int):
    campaign = _campaign(campaign_id)
    rows = editor.letter_rows(database(), campaign)
    return render_template(
        "admin/letters.html", campaign=campaign, rows=rows, editing_labels=EDITING_LABELS
    )


def _letter_form_page(form, campaign, letter, current, previews, message, editing):
    """The letter editor: a new letter (``letter`` None) or a new version of one."""
    return render_template(
        "admin/letter_form.html",
        campaign=campaign,
        letter=letter,
        current=current,
        form=form,
        previews=previews,
        preview_message=message,
        editing=editing,
        signature=_signature(),
        fields=letters.FIELDS,
        filters=letters.FILTERS,
    ), 422 if form.errors else 200


@bp.route("/campaigns/<int:campaign_id>/letters/new", methods=["GET", "POST"])
def new_letter(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = _settings_form(
        NewLetterForm, campaign, None, position=editor.next_position(database(), campaign)
    )
    previews, message = [], ""
    if form.validate_on_submit():
        try:
            if form.preview.data:
                editor.check_text(
                    form.subject.data, form.body.data, campaign.title, _today(), _limits()
                )
                # Not saved yet: the officials of its target group.
                group = Letter(applies_to=list(form.applies_to.data or []))
                previews, message = _preview(
                    form, campaign, lambda o: group.applies(o.level, o.elected_office)
                )
            else:
                letter, _version = editor.create_letter(
                    database(),
                    campaign,
                    _settings(form),
                    form.subject.data,
                    form.body.data,
                    current_user.email,
                    _today(),
                    _limits(),
                )
                flash(_("Letter created (version 1)."))
                return redirect(
                    url_for("admin.edit_letter", campaign_id=campaign.id, letter_id=letter.id)
                )
        except editor.InvalidLetter as exc:
            _show_problems(form, exc)
    return _letter_form_page(form, campaign, None, None, previews, message, form.editing.data)


@bp.route("/campaigns/<int:campaign_id>/letters/<int:letter_id>/settings", methods=["GET", "POST"])
def letter_settings(campaign_id: int, letter_id: int):
    campaign = _campaign(campaign_id)
    letter = _letter(campaign, letter_id)
    form = _settings_form(LetterSettingsForm, campaign, letter)
    if form.validate_on_submit():
        editor.save_settings(database(), letter, _settings(form))
        flash(_("Settings saved."))
        return redirect(url_for("admin.letters", campaign_id=campaign.id))
    status = 422 if form.errors else 200
    return render_template(
        "admin/letter_settings.html", campaign=campaign, letter=letter, form=form
    ), status


@bp.route("/campaigns/<int:campaign_id>/letters/<int:letter_id>/edit", methods=["GET", "POST"])
def edit_letter(campaign_id: int, letter_id: int):
    campaign = _campaign(campaign_id)
    letter = _letter(campaign, letter_id)
    current = campaigns.newest_version(database(), letter)
    form = LetterTextForm(obj=current)
    previews, message = [], ""
    if form.validate_on_submit():
        try:
            if form.preview.data:
                editor.check_text(
                    form.subject.data, form.body.data, campaign.title, _today(), _limits()
                )
                previews, message = _preview(form, campaign, lambda o: _gets(campaign, letter, o))
            else:
                saved = editor.save_version(
                    database(),
                    campaign,
                    letter,
                    form.subject.data,
                    form.body.data,
                    current_user.email,
                    _today(),
                    _limits(),
                )
                flash(_("Saved as version %(version)s.", version=saved.version))
                return redirect(
                    url_for("admin.edit_letter", campaign_id=campaign.id, letter_id=letter.id)
                )
        except editor.InvalidLetter as exc:
            _show_problems(form, exc)
    return _letter_form_page(form, campaign, letter, current, previews, message, letter.editing)


@bp.get("/campaigns/<int:campaign_id>/letters/<int:letter_id>/history")
def letter_history(campaign_id: int, letter_id: int):
    campaign = _campaign(campaign_id)
    letter = _letter(campaign, letter_id)
    return render_template(
        "admin/letter_history.html",
        campaign=campaign,
        letter=letter,
        rows=editor.history(database(), letter),
        form=RestoreForm(),
    )


@bp.post("/campaigns/<int:campaign_id>/letters/<int:letter_id>/versions/<int:template_id>/restore")
def restore_letter(campaign_id: int, letter_id: int, template_id: int):
    campaign = _campaign(campaign_id)
    letter = _letter(campaign, letter_id)
    if not RestoreForm().validate_on_submit():
        abort(400)
    try:
        saved = editor.restore_version(
            database(), campaign, letter, template_id, current_user.email, _today(), _limits()
        )
    except LookupError:
        abort(404)
    except editor.InvalidLetter as exc:
        for problem in exc.problems.values():
            flash(_("This version cannot be restored: %(problem)s", problem=str(problem)))
    else:
        flash(_("Version restored: it is now version %(version)s.", version=saved.version))
    return redirect(url_for("admin.letter_history", campaign_id=campaign.id, letter_id=letter.id))
