"""Email delivery for supporters (when the campaign offers it and SMTP is set up): ask for
their address, email them a confirmation link, queue the letter when they confirm, and show
its status (with a "send it yourself" link if it could not be delivered)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import delivery, mail, notices, positions
from ..constants import DeliveryStatus
from ..db import database
from ..extensions import delivery_rules, limiter, supporter_path
from .forms import ConfirmForm, DeliverForm
from .public import campaign_or_error, resolve_letter_form

bp = Blueprint("deliver", __name__)


def _not_sent(resolved, letter, errors: list, status: int):
    """The page saying the letter was not sent, with the way to send it yourself."""
    return render_template(
        "public/deliver_error.html",
        campaign=resolved.campaign,
        official=resolved.official,
        subject=letter.subject,
        body=letter.body,
        errors=errors,
    ), status


def _sender() -> delivery.Sender:
    sender = delivery.sender_from_config(current_app.config)
    if sender is None:
        abort(404)
    return sender


def _public_url(endpoint: str, **values) -> str:
    """An address for a link in an email: on the configured public URL, never on the Host
    header of the request (which a client chooses)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.post("/c/<slug>/deliver/<key>")
@limiter.limit(lambda: current_app.config["SEND_RATE_LIMIT"])
def request_delivery(slug: str, key: str):
    campaign = campaign_or_error(slug)
    form = DeliverForm()
    resolved = resolve_letter_form(campaign, key, form)
    if not supporter_path().offers_delivery(resolved):
        abort(404)
    letter = supporter_path().delivery_letter(resolved, form.letter.data, form.token.data or "")
    if not form.validate():
        return _not_sent(resolved, letter, form.email.errors, 422)
    try:
        row = delivery.request_delivery(
            database(),
            delivery_rules(),
            campaign,
            resolved.version,
            resolved.official,
            resolved.postcode,
            letter,
            form.email.data,
            form.token.data,
        )
    except delivery.AlreadySent:
        message = _(
            "A letter from this address to %(name)s was sent recently. Thank you: one is enough.",
            name=resolved.official.name,
        )
        return _not_sent(resolved, letter, [message], 409)
    except (mail.HeaderInjection, ValueError):
        message = _(
            "This letter cannot be sent by email as it is: "
            "please send it yourself with the link below."
        )
        return _not_sent(resolved, letter, [message], 422)
    config = current_app.config
    sender = _sender()
    link = _public_url(
        "deliver.confirm", slug=campaign.slug, token=delivery.confirm_token(config, row.id)
    )
    hours = max(1, config["CONFIRM_TTL"] // 3600)
    # Issue 10: the link to report the official's answer, keyed on this letter's form token.
    reply_token = positions.report_token(
        config["SECRET_KEY"],
        campaign,
        resolved.official,
        resolved.result.province or "",
        form.token.data,
    )
    reply = _public_url("scorecard.reply", slug=campaign.slug, token=reply_token)
    notice = notices.confirmation(
        sender, form.email.data, resolved.official.name, link, hours, reply_link=reply
    )
    try:
        mail.send(sender.smtp, notice, sender.from_address, [form.email.data])
    except mail.SmtpError:
        message = _(
            "We could not send you the confirmation email just now. "
            "You can send your letter yourself below."
        )
        return _not_sent(resolved, letter, [message], 503)
    return render_template(
        "public/deliver_check_email.html",
        campaign=campaign,
        official=resolved.official,
        hours=hours,
    )


@bp.route("/c/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    campaign = campaign_or_error(slug)
    delivery_id = delivery.read_confirm_token(current_app.config, token)
    row = delivery.get(database(), delivery_id) if delivery_id is not None else None
    if row is None or row.campaign_id != campaign.id:
        abort(
            410,
            description=_(
                "This confirmation link has expired or was already used "
                "up. Unconfirmed letters are deleted after a while: please "
                "write your letter again."
            ),
        )
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            row = delivery.confirm(database(), delivery_rules(), campaign, row.id)
        except delivery.Expired:
            abort(
                410,
                description=_(
                    "This confirmation link has expired. Please write your letter again."
                ),
            )
        # The link carries the letter's key: only it can show the text again once it is sent.
        status_token = delivery.status_token(current_app.config, row.id, row.seal_key)
        return redirect(url_for(".status", token=status_token), code=303)
    return render_template("public/deliver_confirm.html", campaign=campaign, row=row, form=form)


@bp.get("/letters/<token>")
def status(token: str):
    """A letter's status; for a letter that could not be delivered, its text and a "send it
    yourself" link, when the address carries the key that opens the sealed text."""
    delivery_id, key = delivery.read_status_token(current_app.config, token)
    row = delivery.get(database(), delivery_id) if delivery_id is not None else None
    if row is None:
        abort(404)
    letter = (
        delivery.unseal(row.sealed, key)
        if row.status in {DeliveryStatus.FAILED, DeliveryStatus.BOUNCED}
        else None
    )
    fallback = ""
    if letter is not None:
        fallback = mail.mailto_link(row.official_email, *letter)
        if not mail.fits_mailto(fallback, current_app.config["MAILTO_MAX"]):
            fallback = mail.mailto_link(row.official_email, letter[0])
    return render_template("public/deliver_status.html", row=row, letter=letter, fallback=fallback)
