"""Reports for each office: the list, a printable page, CSV, and sending one by email."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from ... import campaigns, delivery, mail, notices, reports
from ...db import database
from ...models import Campaign
from . import CAMPAIGN_LINKS, CampaignLink, bp

CAMPAIGN_LINKS.append(CampaignLink("admin.reports", _l("Reports"), lambda c: {"campaign_id": c.id}))


class SendReportForm(FlaskForm):
    to = EmailField(
        _l("The office's email address"),
        validators=[
            DataRequired(_l("Please enter the office's address.")),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
    )


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _report(campaign: Campaign, office: str) -> reports.Report:
    found = reports.find_office(database(), campaign, office)
    if found is None:
        abort(404)
    return reports.report(database(), campaign, found)


@bp.get("/campaigns/<int:campaign_id>/reports", endpoint="reports")
def reports_page(campaign_id: int):
    campaign = _campaign(campaign_id)
    return render_template(
        "admin/reports.html",
        campaign=campaign,
        offices=reports.offices(database(), campaign),
        sends=reports.sends(database(), campaign),
    )


def _page(result: reports.Report, form: SendReportForm, status: int = 200):
    return render_template(
        "admin/report.html",
        report=result,
        send_form=form,
        can_email=delivery.sender_from_config(current_app.config) is not None,
    ), status


@bp.get("/campaigns/<int:campaign_id>/reports/<office>")
def report(campaign_id: int, office: str):
    result = _report(_campaign(campaign_id), office)
    return _page(result, SendReportForm())


@bp.get("/campaigns/<int:campaign_id>/reports/<office>/report.csv")
def report_csv(campaign_id: int, office: str):
    campaign = _campaign(campaign_id)
    result = _report(campaign, office)
    response = Response("\ufeff" + reports.as_csv(result), mimetype="text/csv")
    filename = f"{campaign.slug}-report-{result.office.id}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/campaigns/<int:campaign_id>/reports/<office>/send")
def send_report(campaign_id: int, office: str):
    campaign = _campaign(campaign_id)
    result = _report(campaign, office)
    form = SendReportForm()
    sender = delivery.sender_from_config(current_app.config)
    if sender is None:
        abort(404)
    if not form.validate():
        return _page(result, form, 422)
    to = form.to.data.strip()
    try:
        message = notices.office_report(sender, to, result)
        mail.send(sender.smtp, message, sender.from_address, [to])
    except (mail.SmtpError, ValueError) as exc:
        reports.log_send(database(), result, to, current_user.email, f"failed: {exc}")
        current_app.logger.warning("report to an office not sent: %s", exc)
        flash(_("The report could not be sent: the mail server refused or did not answer."))
    else:
        reports.log_send(database(), result, to, current_user.email)
        current_app.logger.info("report for campaign %s sent to an office", campaign.slug)
        flash(_("The report was sent to %(address)s.", address=to))
    return redirect(
        url_for("admin.report", campaign_id=campaign.id, office=result.office.id), code=303
    )
