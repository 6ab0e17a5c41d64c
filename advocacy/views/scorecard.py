"""What officials answer, public side: the "tell us what they answered" form a supporter
reaches after sending (the thanks page links it, per official written to), and the campaign's
scorecard. The form has the letter form's defences: CSRF, the send rate limit, a honeypot and
the minimum fill time."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from .. import civic, positions
from ..constants import Position
from ..db import database
from ..extensions import limiter, supporter_path
from ..models import Campaign
from ..supporting import PathError
from .public import browser_id, campaign_or_error, looked_up, written

bp = Blueprint("scorecard", __name__)

POSITION_LABELS = {
    Position.SUPPORTS: _l("Supports the campaign's ask"),
    Position.OPPOSES: _l("Opposes it"),
    Position.NON_COMMITTAL: _l("Non-committal"),
    Position.NO_REPLY: _l("No reply after several weeks"),
}


class ReplyForm(FlaskForm):
    replied = RadioField(
        _l("Did they reply?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("Not yet"))],
        validators=[InputRequired(_l("Please say whether they replied."))],
    )
    position = RadioField(
        _l("Their position"),
        choices=[SelectChoice(k.value, v) for k, v in POSITION_LABELS.items()],
        validators=[InputRequired(_l("Please choose their position."))],
    )
    excerpt = TextAreaField(
        _l("An excerpt of their reply (optional)"),
        validators=[Optional(), Length(max=positions.EXCERPT_MAX)],
        render_kw={"rows": 6},
    )
    started = HiddenField()
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )


def reply_links(campaign: Campaign) -> list[tuple[str, str]]:
    """(official's name, link to report their answer) for each official this browser wrote
    to, read from the lookup it stored (none when that is gone)."""
    keys = written(campaign)
    if not keys:
        return []
    looked = looked_up(campaign)
    try:
        result = supporter_path().officials(campaign, looked)
    except (PathError, civic.CivicError):
        return []
    secret = current_app.config["SECRET_KEY"]
    links = []
    for official in result.officials:
        if official.key in keys:
            token = positions.report_token(
                secret, campaign, official, result.province or "", browser_id()
            )
            links.append(
                (official.name, url_for("scorecard.reply", slug=campaign.slug, token=token))
            )
    return links


@bp.app_context_processor
def _helpers():
    return {"reply_links": reply_links, "position_labels": POSITION_LABELS}


def _page(campaign, subject, form, status=200, done=False):
    return render_template(
        "public/reply.html", campaign=campaign, subject=subject, form=form, done=done
    ), status


@bp.get("/c/<slug>/reply/<token>")
def reply(slug: str, token: str):
    campaign = campaign_or_error(slug)
    subject = positions.read_report_token(current_app.config["SECRET_KEY"], campaign, token)
    if subject is None:
        abort(404)
    form = ReplyForm(formdata=None, data={"started": supporter_path().stamp()})
    return _page(campaign, subject, form)


@bp.post("/c/<slug>/reply/<token>")
@limiter.limit(lambda: current_app.config["SEND_RATE_LIMIT"])
def report_reply(slug: str, token: str):
    campaign = campaign_or_error(slug)
    subject = positions.read_report_token(current_app.config["SECRET_KEY"], campaign, token)
    if subject is None:
        abort(404)
    form = ReplyForm()
    valid = form.validate()
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        flash(_("Please check your answers, then press the button again."))
        form.started.data = supporter_path().stamp()
        valid = False
    if not valid:
        return _page(campaign, subject, form, 422)
    positions.record_report(
        database(),
        campaign,
        subject,
        replied=form.replied.data == "yes",
        position=form.position.data,
        excerpt=form.excerpt.data or "",
    )
    return _page(campaign, subject, form, done=True)


@bp.get("/c/<slug>/scorecard")
def scorecard(slug: str):
    campaign = campaign_or_error(slug)
    level = request.args.get("level", "")[:20]
    region = request.args.get("region", "")[:40]
    cards, levels, regions = positions.scorecard(database(), campaign, level, region)
    return render_template(
        "public/scorecard.html",
        campaign=campaign,
        cards=cards,
        levels=levels,
        regions=regions,
        level=level,
        region=region,
    )
