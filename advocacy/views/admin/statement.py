"""The campaign's statement for organizers: new versions per language, the signing rules,
signatures counted by district, day and source, and their CSV export."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import campaigns, statement
from ...db import database
from ...models import Campaign
from . import CAMPAIGN_LINKS, CampaignLink, bp

CAMPAIGN_LINKS.append(
    CampaignLink("admin.statement_page", _l("Statement"), lambda c: {"campaign_id": c.id})
)


class StatementForm(FlaskForm):
    language = SelectField(_l("Language"))
    body = TextAreaField(
        _l("Statement (Markdown)"),
        validators=[
            DataRequired(_l("The statement is empty.")),
            Length(max=statement.STATEMENT_MAX),
        ],
        render_kw={"rows": 14},
    )
    allow_anonymous = BooleanField(_l("Signers may stay anonymous (only counted)"))
    list_signers = BooleanField(_l("List on the campaign page the signers who ask to be listed"))


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/campaigns/<int:campaign_id>/statement", methods=["GET", "POST"])
def statement_page(campaign_id: int):
    campaign = _campaign(campaign_id)
    languages = current_app.config["LANGUAGE_LIST"]
    newest = statement.current(database(), campaign, languages[0])
    form = StatementForm(
        data={
            "language": newest.language if newest else languages[0],
            "body": newest.body if newest else "",
            "allow_anonymous": newest.allow_anonymous if newest else True,
            "list_signers": newest.list_signers if newest else False,
        }
    )
    form.language.choices = [SelectChoice(tag, tag) for tag in languages]
    status = 200
    if form.validate_on_submit():
        try:
            row = statement.save(
                database(),
                campaign,
                form.language.data,
                form.body.data,
                allow_anonymous=form.allow_anonymous.data,
                list_signers=form.list_signers.data,
                by=current_user.email,
            )
        except statement.StatementError as exc:
            form.body.errors.append(str(exc))
            status = 422
        else:
            flash(
                _(
                    "Saved as version %(version)s (%(language)s).",
                    version=row.version,
                    language=row.language,
                )
            )
            return redirect(url_for("admin.statement_page", campaign_id=campaign.id), code=303)
    elif form.errors:
        status = 422
    return render_template(
        "admin/statement.html",
        campaign=campaign,
        form=form,
        versions=statement.versions(database(), campaign),
        total=statement.total(database(), campaign.id),
        tables={by: statement.tally(database(), campaign.id, by) for by in statement.BY},
    ), status


@bp.get("/campaigns/<int:campaign_id>/statement/signatures.csv")
def signatures_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    response = Response(
        "\ufeff" + statement.export_csv(database(), campaign.id), mimetype="text/csv"
    )
    filename = f"{campaign.slug}-signatures.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
