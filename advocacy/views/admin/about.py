"""Who runs a campaign, its contact and its privacy page, as organizers edit them (issue 14)."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ... import campaign_contact, campaigns
from ...db import database
from ..about import email_delivery_on, retention
from . import CAMPAIGN_LINKS, CampaignLink, bp

EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
WEB = re.compile(r"^https?://[^\s<>\"']+$")


def _email_or_web_address(form, field) -> None:
    value = (field.data or "").strip()
    if value and not (EMAIL.match(value) or WEB.match(value)):
        raise ValidationError(_("Give an email address or a web address starting with https://."))


class AboutForm(FlaskForm):
    organizer_name = StringField(
        _l("Who runs this campaign"),
        validators=[Optional(), Length(max=campaign_contact.NAME_MAX)],
    )
    contact = StringField(
        _l("Contact (email address or web page)"),
        validators=[Optional(), Length(max=campaign_contact.CONTACT_MAX), _email_or_web_address],
    )
    privacy_text = TextAreaField(
        _l("Privacy page (Markdown; leave empty to use the page generated from the settings)"),
        validators=[Optional(), Length(max=campaign_contact.PRIVACY_MAX)],
        render_kw={"rows": 14},
    )


CAMPAIGN_LINKS.append(
    CampaignLink("admin.about", _l("Who runs it, privacy"), lambda c: {"campaign_id": c.id})
)


@bp.route("/campaigns/<int:campaign_id>/about", methods=["GET", "POST"])
def about(campaign_id: int):
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    current = campaign_contact.get(database(), campaign.id)
    form = AboutForm(obj=current)
    if form.validate_on_submit():
        campaign_contact.save(
            database(),
            campaign.id,
            campaign_contact.Contact(
                form.organizer_name.data or "",
                form.contact.data or "",
                form.privacy_text.data or "",
            ),
            current_user.email,
        )
        flash(_("Saved."))
        return redirect(url_for("admin.about", campaign_id=campaign.id))
    return render_template(
        "admin/about.html",
        campaign=campaign,
        form=form,
        contact=current,
        delivery=email_delivery_on(campaign),
        smtp=bool(current_app.config["SMTP_URL"]),
        **retention(),
    ), (422 if form.errors else 200)
