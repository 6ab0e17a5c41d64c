"""Organizers' campaign list and campaign settings."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ... import campaigns, civic, delivery
from ...db import database
from ...extensions import providers
from . import bp, display  # noqa: F401 - display registers the time and author filters

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
STATUS_LABELS = {
    "draft": _l("Draft (only organizers see it)"),
    "live": _l("Live"),
    "closed": _l("Closed"),
}


class CheckboxListWidget:
    """Checkboxes in a list, each inside its own label (so box and words cannot drift apart),
    and none marked ``required``: a browser reads ``required`` on a checkbox as "this one must
    be ticked", so one on every box demands all of them. "At least one" is checked on the
    server; admin/_field.html wraps the list in a fieldset whose legend is the field's label."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.pop("required", None)
        items = []
        for option in field:
            box = widgets.CheckboxInput()(option, required=False)
            items.append(
                Markup('<li><label class="option">{} {}</label></li>').format(
                    box, option.label.text
                )
            )
        params = widgets.html_params(class_="checkboxes", **kwargs)
        opening = Markup(f"<ul {params}>")  # noqa: S704 - html_params escapes every value
        return opening + Markup("").join(items) + Markup("</ul>")


class CheckboxesField(SelectMultipleField):
    widget = CheckboxListWidget()
    option_widget = widgets.CheckboxInput()


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            DataRequired(),
            Regexp(
                SLUG,
                message=_l(
                    "Use 2 to 80 lower-case letters, digits and hyphens, starting with a letter or "
                    "digit."
                ),
            ),
        ],
    )
    introduction = TextAreaField(
        _l("Why it matters (Markdown)"),
        validators=[Optional(), Length(max=20_000)],
        render_kw={"rows": 12},
    )
    provider = SelectField(_l("Where officials come from"))
    target_offices = CheckboxesField(
        _l("Offices supporters may write to"),
        validators=[DataRequired(_l("Choose at least one office."))],
    )
    target_mode = SelectField(
        _l("Whom supporters may write to"),
        choices=[
            SelectChoice("provider", _l("Officials from the provider")),
            SelectChoice("directory", _l("Only this campaign's custom targets")),
            SelectChoice("both", _l("Both")),
        ],
    )
    server_delivery = BooleanField(_l("Offer to send letters by email for supporters"))
    status = SelectField(
        _l("Status"), choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()]
    )
    goal = IntegerField(
        _l("Goal (number of letters, optional)"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000)],
    )
    # Issue 11: after an election, lookups stored before this day are fetched again.
    officials_changed_on = DateField(_l("Officials changed on (optional)"), validators=[Optional()])


def _providers() -> dict:
    return providers()


def _form(campaign=None) -> CampaignForm:
    form_class, initial = _with_texts(campaign)
    form = form_class(obj=campaign, **initial)
    providers = _providers()
    form.provider.choices = [
        SelectChoice(name, f"{name} ({provider.country})") for name, provider in providers.items()
    ]
    offices: list[str] = []
    for provider in providers.values():
        offices += [o for o in provider.offices if o not in offices]
    offices += [o for o in (campaign.target_offices if campaign else []) if o not in offices]
    form.target_offices.choices = [SelectChoice(o, o) for o in offices]
    return form


@bp.get("/")
def index():
    rows = campaigns.overview(database())
    deliveries = {
        row.campaign.id: delivery.status_counts(database(), row.campaign.id)
        for row in rows
        if row.campaign.server_delivery
    }
    return render_template("admin/index.html", rows=rows, deliveries=deliveries)


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    return _campaign_page(None, _("Campaign created. Now write its letter."))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id: int):
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return _campaign_page(campaign, _("Saved."))


def _campaign_page(campaign, saved_message: str):
    """The settings form of a campaign (None: a new one); saved, it leads to the campaign."""
    form = _form(campaign)
    if form.validate_on_submit():
        try:
            fields = _fields(form) | _texts(form, campaign)
            saved = campaigns.save_campaign(database(), campaign.id if campaign else None, fields)
        except campaigns.CampaignConflict:
            form.slug.errors.append(_("Another campaign already uses this address."))
        else:
            flash(saved_message)
            return redirect(url_for("admin.edit_campaign", campaign_id=saved.id))
    status = 422 if form.errors else 200
    return render_template(
        "admin/campaign_form.html",
        form=form,
        campaign=campaign,
        deliveries=delivery.status_counts(database(), campaign.id) if campaign else {},
        smtp=bool(current_app.config["SMTP_URL"]),
        data_age=civic.freshness.data_age(database(), campaign.provider) if campaign else None,
        text_fields=text_fields(form),
    ), status


def _fields(form: CampaignForm) -> dict:
    provider = _providers()[form.provider.data]
    return {
        "title": form.title.data.strip(),
        "slug": form.slug.data.strip(),
        "introduction": form.introduction.data or "",
        "provider": form.provider.data,
        "country": provider.country,
        "target_offices": list(form.target_offices.data),
        "status": form.status.data,
        "target_mode": form.target_mode.data,
        "server_delivery": bool(form.server_delivery.data),
        "goal": form.goal.data,
        "officials_changed_on": form.officials_changed_on.data,
    }


# -- the title and introduction in other languages (issue 9) ----------------------------------


def text_languages() -> list[str]:
    """The app's languages other than the first, which the campaign's own text is written in."""
    return list(current_app.config["LANGUAGE_LIST"][1:])


def _text_key(tag: str) -> str:
    return "text_" + re.sub(r"[^a-z0-9]", "_", tag.lower())


def _with_texts(campaign) -> tuple[type[CampaignForm], dict]:
    """The settings form with an optional title and introduction for each other language, and
    their saved values."""
    languages = text_languages()
    if not languages:
        return CampaignForm, {}

    class TextsForm(CampaignForm):
        pass

    saved = (campaign.texts or {}) if campaign is not None else {}
    initial = {}
    for tag in languages:
        key = _text_key(tag)
        setattr(TextsForm, key + "_title", StringField(_l("Title"), [Optional(), Length(max=200)]))
        setattr(
            TextsForm,
            key + "_introduction",
            TextAreaField(
                _l("Why it matters (Markdown)"),
                [Optional(), Length(max=20_000)],
                render_kw={"rows": 8},
            ),
        )
        for name in campaigns.TEXT_FIELDS:
            initial[f"{key}_{name}"] = (saved.get(tag) or {}).get(name, "")
    return TextsForm, initial


def text_fields(form: CampaignForm) -> list[tuple[str, list]]:
    """(language, [title field, introduction field]) for the template's fieldsets."""
    return [
        (tag, [form[f"{_text_key(tag)}_{name}"] for name in campaigns.TEXT_FIELDS])
        for tag in text_languages()
        if f"{_text_key(tag)}_title" in form
    ]


def _texts(form: CampaignForm, campaign) -> dict:
    """``{"texts": ...}`` to save: the form's languages, and any other language kept as it was
    (nothing when the app has one language)."""
    fieldsets = text_fields(form)
    if not fieldsets:
        return {}
    saved = (campaign.texts or {}) if campaign is not None else {}
    texts = {tag: values for tag, values in saved.items() if tag not in dict(fieldsets)}
    for tag, fields in fieldsets:
        values = {
            name: (field.data or "").strip()
            for name, field in zip(campaigns.TEXT_FIELDS, fields, strict=True)
        }
        values = {name: value for name, value in values.items() if value}
        if values:
            texts[tag] = values
    return {"texts": texts}


# Issue 12: the settings page's partner part (embed snippet, partner sites, API tokens).
from . import partners as _partners  # noqa: E402,F401 - its routes register on bp
