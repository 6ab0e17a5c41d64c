"""Officials' positions for organizers: moderate the excerpts supporters reported (nothing is
public before approval), and record an official's public position with its source."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import campaigns, positions, reports
from ...constants import Position
from ...db import database
from ...models import Campaign
from . import CAMPAIGN_LINKS, CampaignLink, bp

CAMPAIGN_LINKS.append(
    CampaignLink("admin.positions", _l("Positions"), lambda c: {"campaign_id": c.id})
)


class PositionForm(FlaskForm):
    office = SelectField(_l("Office"), validators=[DataRequired()])
    position = SelectField(
        _l("Position"),
        choices=[
            SelectChoice(Position.SUPPORTS.value, _l("Supports the campaign's ask")),
            SelectChoice(Position.OPPOSES.value, _l("Opposes it")),
            SelectChoice(Position.NON_COMMITTAL.value, _l("Non-committal")),
            SelectChoice(Position.NO_REPLY.value, _l("No reply after several weeks")),
        ],
    )
    source_url = URLField(
        _l("Source (a speech, a vote, a statement)"),
        validators=[DataRequired(_l("A position needs its source.")), Length(max=500)],
    )
    note = StringField(_l("Note (public)"), validators=[Length(max=500)])


class ModerateForm(FlaskForm):
    report_id = HiddenField(validators=[DataRequired()])
    decision = HiddenField(validators=[DataRequired()])


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _page(campaign: Campaign, form: PositionForm, status: int = 200):
    cards, _levels, _regions = positions.scorecard(database(), campaign)
    return render_template(
        "admin/positions.html",
        campaign=campaign,
        form=form,
        pending=positions.pending_excerpts(database(), campaign),
        moderate_form=ModerateForm(formdata=None),
        cards=cards,
    ), status


def _offices(campaign: Campaign):
    return {o.id: o for o in reports.offices(database(), campaign)}


@bp.route("/campaigns/<int:campaign_id>/positions", methods=["GET", "POST"], endpoint="positions")
def positions_page(campaign_id: int):
    campaign = _campaign(campaign_id)
    offices = _offices(campaign)
    form = PositionForm()
    form.office.choices = [
        SelectChoice(o.id, f"{o.official_name} ({o.office}, {o.district})")
        for o in offices.values()
    ]
    if not form.validate_on_submit():
        return _page(campaign, form, 422 if form.errors else 200)
    office = offices[form.office.data]
    try:
        positions.record_position(
            database(),
            campaign,
            name=office.official_name,
            office=office.office,
            district=office.district,
            level=office.level,
            position=form.position.data,
            source_url=form.source_url.data,
            note=form.note.data or "",
            by=current_user.email,
        )
    except positions.PositionError as exc:
        form.source_url.errors.append(str(exc))
        return _page(campaign, form, 422)
    flash(_("Position recorded for %(name)s.", name=office.official_name))
    return redirect(url_for("admin.positions", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/positions/moderate")
def moderate_excerpt(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = ModerateForm()
    if not form.validate() or not (form.report_id.data or "").isdigit():
        abort(400)
    report_id = int(form.report_id.data)
    if not 0 < report_id < 2**63:
        abort(400)
    approve = form.decision.data == "approve"
    if positions.moderate(database(), campaign, report_id, approve):
        flash(_("Excerpt published.") if approve else _("Excerpt rejected and deleted."))
    return redirect(url_for("admin.positions", campaign_id=campaign.id), code=303)
