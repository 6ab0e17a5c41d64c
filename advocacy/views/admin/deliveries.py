"""Letters by email held back by the per-official cap, for an organizer to release or decline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ... import campaigns, delivery
from ...db import database
from ..security import database_id
from . import CAMPAIGN_LINKS, CampaignLink, bp

CAMPAIGN_LINKS.append(
    CampaignLink("admin.held_letters", _l("Held letters"), lambda c: {"campaign_id": c.id})
)


class DecisionForm(FlaskForm):
    """Release or decline buttons (CSRF only; the choice is the button pressed)."""


@bp.route("/campaigns/<int:campaign_id>/held", methods=["GET", "POST"])
def held_letters(campaign_id: int):
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    form = DecisionForm()
    if form.validate_on_submit():
        decision = request.form.get("decision", "")
        delivery_id = database_id(request.form.get("delivery", ""))
        if decision not in {"release", "decline"} or delivery_id is None:
            abort(400)
        if delivery.review_held(database(), campaign.id, delivery_id, decision == "release"):
            flash(
                _("Released: it will be sent.")
                if decision == "release"
                else _("Declined: it will not be sent.")
            )
        return redirect(url_for("admin.held_letters", campaign_id=campaign.id))
    return render_template(
        "admin/held.html",
        campaign=campaign,
        form=form,
        rows=delivery.held(database(), campaign.id),
        counts=delivery.status_counts(database(), campaign.id),
    )
