"""Email delivery for supporters (when the campaign offers it and SMTP is set up): ask for
their address, email them a confirmation link, queue the letter when they confirm, and show
its status (with a "send it yourself" link if it could not be delivered)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import EmailField, HiddenField, IntegerField
from wtforms.validators import DataRequired, Email, Length, Optional

from .. import campaigns, delivery, mail
from ..db import database
from ..extensions import limiter
from ..models import Campaign
from . import public

bp = Blueprint("deliver", __name__)


class DeliverForm(FlaskForm):
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    letter = HiddenField(validators=[DataRequired()])
    postcode = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])
    template_id = IntegerField(widget=HiddenField.widget, validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A button: the confirmation link opens a page, and only its POST sends (mail scanners
    open links on their own)."""


def enabled(campaign: Campaign) -> bool:
    return bool(campaign.server_delivery and current_app.config["SMTP_URL"])


def _letter_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="letter-to-deliver")


def delivery_form(
    campaign: Campaign,
    official,
    subject: str,
    body: str,
    name: str,
    postcode: str,
    token: str,
    template_id: int | None,
) -> DeliverForm | None:
    """The "send it for me" form for the send page, or None when not offered. The letter
    travels signed, so what is delivered is exactly what the server composed."""
    if not enabled(campaign) or not official.email:
        return None
    letter = _letter_signer().dumps(
        {"s": subject, "b": body, "n": name, "src": g.get("source", "")}
    )
    return DeliverForm(
        formdata=None,
        data={"letter": letter, "postcode": postcode, "token": token, "template_id": template_id},
    )


def _not_sent(campaign: Campaign, official, letter: dict, errors: list, status: int):
    """The page saying the letter was not sent, with the way to send it yourself."""
    return render_template(
        "public/deliver_error.html",
        campaign=campaign,
        official=official,
        subject=letter["s"],
        body=letter["b"],
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
    campaign = public._campaign(slug)
    if not enabled(campaign):
        abort(404)
    form = DeliverForm()
    try:
        letter = _letter_signer().loads(form.letter.data or "")
    except BadSignature:
        abort(
            400,
            description=_(
                "This letter could not be read. Please go back to your letter and continue again."
            ),
        )
    postcode = public._provider(campaign).normalize(form.postcode.data or "")
    official = public._official_or_404(campaign, public._lookup(campaign, postcode), key)
    template = campaigns.template_for(
        database(), campaign, form.template_id.data, public._locale(), official
    )
    if not form.validate():
        return _not_sent(campaign, official, letter, form.email.errors, 422)
    config = current_app.config
    try:
        row = delivery.request_delivery(
            database(),
            campaign,
            template,
            official,
            postcode,
            letter["s"],
            letter["b"],
            letter["n"],
            form.email.data,
            form.token.data,
            pepper=delivery.secret_bytes(config, "email"),
            repeat_window=timedelta(seconds=config["REPEAT_WINDOW"]),
            source=letter["src"],
        )
    except delivery.AlreadySent:
        return _not_sent(
            campaign,
            official,
            letter,
            [
                _(
                    "A letter from this address to %(name)s was sent "
                    "recently. Thank you: one is enough.",
                    name=official.name,
                )
            ],
            409,
        )
    except (mail.HeaderInjection, ValueError):
        return _not_sent(
            campaign,
            official,
            letter,
            [
                _(
                    "This letter cannot be sent by email as it is: "
                    "please send it yourself with the link below."
                )
            ],
            422,
        )
    sender = _sender()
    link = _public_url(
        "deliver.confirm", slug=campaign.slug, token=delivery.confirm_token(config, row.id)
    )
    hours = max(1, config["CONFIRM_TTL"] // 3600)
    notice = mail.build_plain_message(
        to=form.email.data,
        subject=_("Confirm your letter to %(name)s", name=official.name),
        body=_(
            "To send your letter to %(name)s, open this link within %(hours)s hours and "
            "press the button:\n\n%(link)s\n\nIf you did not ask for this, ignore this "
            "email: nothing will be sent, and your address will be deleted.",
            name=official.name,
            hours=hours,
            link=link,
        ),
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )
    try:
        mail.send(sender.smtp, notice, sender.from_address, [form.email.data])
    except mail.SmtpError:
        return _not_sent(
            campaign,
            official,
            letter,
            [
                _(
                    "We could not send you the confirmation email just "
                    "now. You can send your letter yourself below."
                )
            ],
            503,
        )
    return render_template(
        "public/deliver_check_email.html", campaign=campaign, official=official, hours=hours
    )


@bp.route("/c/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    campaign = public._campaign(slug)
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
            config = current_app.config
            row = delivery.confirm(
                database(),
                campaign,
                row.id,
                timedelta(seconds=config["CONFIRM_TTL"]),
                cap=config["DELIVERY_CAP_PER_OFFICIAL"],
                cap_window=timedelta(seconds=config["DELIVERY_CAP_WINDOW"]),
            )
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
    letter = delivery.unseal(row.sealed, key) if row.status in {"failed", "bounced"} else None
    fallback = ""
    if letter is not None:
        fallback = mail.mailto_link(row.official_email, *letter)
        if not mail.fits_mailto(fallback, current_app.config["MAILTO_MAX"]):
            fallback = mail.mailto_link(row.official_email, letter[0])
    return render_template("public/deliver_status.html", row=row, letter=letter, fallback=fallback)
