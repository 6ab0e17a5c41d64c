"""Custom targets: an organizer uploads a CSV of officials and the postal codes they cover."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ... import campaigns
from ...civic import directory
from ...db import database
from . import CAMPAIGN_LINKS, CampaignLink, bp


class TargetsUploadForm(FlaskForm):
    file = FileField(_l("CSV file (UTF-8)"), validators=[FileRequired(_l("Choose a file."))])


CAMPAIGN_LINKS.append(
    CampaignLink("admin.targets", _l("Custom targets"), lambda c: {"campaign_id": c.id})
)


@bp.route("/campaigns/<int:campaign_id>/targets", methods=["GET", "POST"])
def targets(campaign_id: int):
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    form = TargetsUploadForm()
    errors: list[tuple[int, str]] = []
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["TARGETS_MAX_BYTES"] + 1)
        try:
            rows = directory.parse_targets_csv(
                data, campaign.country, current_app.config["TARGETS_MAX_BYTES"]
            )
        except directory.DirectoryError as exc:
            errors = exc.errors
            status = 422
        else:
            campaigns.replace_targets(database(), campaign, rows)
            flash(_("%(count)s targets imported. They replace the previous list.", count=len(rows)))
            return redirect(url_for("admin.targets", campaign_id=campaign.id))
    elif form.errors:
        status = 422
    return render_template(
        "admin/targets.html",
        campaign=campaign,
        form=form,
        errors=errors,
        rows=campaigns.custom_targets(database(), campaign),
        columns=directory.COLUMNS,
    ), status
