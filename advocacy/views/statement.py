"""Signing the campaign's statement: the statement page and its form, the page after signing,
and the confirmation of an address given for updates (double opt-in).

The form has the letter form's defences: CSRF, the send and lookup rate limits, a honeypot and
the minimum fill time. A postal code typed here goes through the lookup step; a supporter who
looked theirs up already (to write) is not asked again, and one who signs first finds their
officials without typing it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from .. import actions, civic, delivery, mail, notices, statement
from ..campaigns import campaign_text
from ..constants import SignatureDisplay
from ..db import database
from ..extensions import html_lang, limiter, supporter_path
from ..models import Campaign, Statement
from ..supporting import PostcodeNeeded
from .forms import VersionField
from .public import (
    address_message,
    browser_id,
    campaign_or_error,
    language,
    looked_up,
    not_found_message,
    postcode_message,
)

bp = Blueprint("statement", __name__)


def _max_field(form, field):
    limit = current_app.config["SUPPORTER_FIELD_MAX"]
    if field.data and len(field.data) > limit:
        raise ValidationError(_l("Please keep this under %(limit)s characters.", limit=limit))


class SignForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[_max_field], render_kw={"autocomplete": "name"})
    city = StringField(
        _l("Your city or town"),
        validators=[_max_field],
        render_kw={"autocomplete": "address-level2"},
    )
    display = RadioField(
        _l("How you sign"),
        choices=[
            SelectChoice(SignatureDisplay.ANONYMOUS, _l("Anonymously: only counted")),
            SelectChoice(SignatureDisplay.INITIALS, _l("With my initials and city")),
            SelectChoice(SignatureDisplay.NAME, _l("With my name")),
        ],
        default=SignatureDisplay.ANONYMOUS,
    )
    listed = BooleanField(_l("Show my signature in the public list of signers"), default=False)
    postcode = StringField(
        _l("Your postal code"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "postal-code", "autocapitalize": "characters"},
    )
    address = StringField(
        _l("Street address"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    email = EmailField(
        _l("Your email address (optional)"),
        validators=[
            Optional(),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    updates = BooleanField(_l("Email me news of this campaign (you can stop at any time)"))
    statement_id = VersionField()
    source = HiddenField()
    started = HiddenField()
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )

    def validate_name(self, field):
        if self.display.data != SignatureDisplay.ANONYMOUS and not (field.data or "").strip():
            raise ValidationError(_l("Please enter your name, or sign anonymously."))

    def validate_updates(self, field):
        if field.data and not (self.email.data or "").strip():
            raise ValidationError(_l("Please enter your email address to get news."))


@dataclass(frozen=True)
class Summary:
    """The statement's figures for a campaign page."""

    has_statement: bool
    total: int
    goal: int | None
    names: list[str]
    signed: bool


def summary(campaign: Campaign) -> Summary:
    version = statement.current(database(), campaign, language())
    if version is None:
        return Summary(False, 0, campaign.goal, [], False)
    names = statement.listed(database(), campaign.id) if version.list_signers else []
    return Summary(
        True, statement.total(database(), campaign.id), campaign.goal, names, _signed(campaign)
    )


@bp.app_context_processor
def _helpers():
    return {"statement_summary": summary}


def _signed(campaign: Campaign) -> bool:
    saved = session.get("signed")
    return isinstance(saved, list) and campaign.slug in saved


def _version_or_404(campaign: Campaign) -> Statement:
    version = statement.current(database(), campaign, language())
    if version is None:
        abort(404)
    return version


def _sender() -> delivery.Sender | None:
    return delivery.sender_from_config(current_app.config)


def _page(campaign: Campaign, version: Statement, form: SignForm, status: int = 200):
    looked = looked_up(campaign)
    return render_template(
        "public/statement.html",
        campaign=campaign,
        version=version,
        form=form,
        looked=looked,
        total=statement.total(database(), campaign.id),
        offers_updates=_sender() is not None,
        signed=_signed(campaign),
    ), status


@bp.get("/c/<slug>/statement")
def show(slug: str):
    campaign = campaign_or_error(slug)
    version = _version_or_404(campaign)
    browser_id()
    form = SignForm(
        formdata=None,
        data={
            "statement_id": version.id,
            "source": actions.clean_source(request.args.get("source", "")),
            "started": supporter_path().stamp(),
            "display": SignatureDisplay.ANONYMOUS
            if version.allow_anonymous
            else SignatureDisplay.NAME,
        },
    )
    return _page(campaign, version, form)


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.post("/c/<slug>/statement")
@limiter.limit(_limit("SEND_RATE_LIMIT"))
@limiter.limit(_limit("LOOKUP_RATE_LIMIT"))
def sign(slug: str):
    campaign = campaign_or_error(slug)
    form = SignForm()
    version = statement.get_version(database(), campaign, form.statement_id.data)
    version = version or _version_or_404(campaign)
    form.statement_id.data = version.id
    if not version.allow_anonymous:
        form.display.choices = [
            c for c in form.display.choices if c.value != SignatureDisplay.ANONYMOUS
        ]
    valid = form.validate()
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        flash(_("Please read the statement over once more, then press “Sign”."))
        form.started.data = supporter_path().stamp()
        valid = False
    if not valid:
        return _page(campaign, version, form, 422)
    looked = looked_up(campaign)
    raw = form.postcode.data or ""
    address = (form.address.data or "").strip()
    try:
        looked, districts = supporter_path().signing_districts(campaign, looked, raw, address)
    except PostcodeNeeded:
        form.postcode.errors.append(
            _("Please enter your postal code: we count signatures by district.")
        )
        return _page(campaign, version, form, 422)
    except civic.InvalidPostcode:
        form.postcode.errors.append(postcode_message(campaign))
        return _page(campaign, version, form, 422)
    except civic.PostcodeNotFound as exc:
        form.postcode.errors.append(not_found_message(exc))
        return _page(campaign, version, form, 422)
    except civic.AddressNotFound as exc:
        form.address.errors.append(address_message(exc, address))
        return _page(campaign, version, form, 422)
    session["postcode"] = looked.to_session()
    email = (form.email.data or "").strip()
    offers_updates = _sender() is not None
    pepper = delivery.secret_bytes(current_app.config, "email")
    request_ = statement.SignatureRequest(
        display=SignatureDisplay(form.display.data),
        name=form.name.data or "",
        city=form.city.data or "",
        listed=bool(form.listed.data) and version.list_signers,
        email=email,
        updates=bool(form.updates.data) and offers_updates,
        source=actions.clean_source(form.source.data),
    )
    try:
        row = statement.sign(
            database(),
            campaign,
            version,
            request_,
            statement.signer_keys(pepper, email, browser_id()),
            looked.postcode,
            districts,
        )
    except statement.AlreadySigned as exc:
        _remember_signed(campaign)
        return render_template(
            "public/statement_signed.html",
            campaign=campaign,
            total=statement.total(database(), campaign.id),
            already=format_date(exc.signed_at, format="long"),
            check_email=False,
            mail_failed=False,
            looked=looked,
        )
    except (statement.StatementError, ValueError):
        form.display.errors.append(_("Please check how you sign."))
        return _page(campaign, version, form, 422)
    _remember_signed(campaign)
    session["check_email"] = False
    session["mail_failed"] = False
    if row.email:
        session["check_email"] = True
        session["mail_failed"] = not _send_confirmation(campaign, row.id, row.email)
    return redirect(url_for(".signed", slug=campaign.slug), code=303)


def _remember_signed(campaign: Campaign) -> None:
    saved = session.get("signed")
    saved = [s for s in saved if isinstance(s, str)] if isinstance(saved, list) else []
    if campaign.slug not in saved:
        saved = [*saved[-9:], campaign.slug]
    session["signed"] = saved


def _public_url(endpoint: str, **values) -> str:
    """An address for an email, on the configured public URL (never the request's Host)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def _send_confirmation(campaign: Campaign, signature_id: int, address: str) -> bool:
    sender = _sender()
    if sender is None:
        return False
    config = current_app.config
    token = statement.confirm_token(config["SECRET_KEY"], signature_id)
    link = _public_url(".confirm", slug=campaign.slug, token=token)
    hours = max(1, config["CONFIRM_TTL"] // 3600)
    my_data = _public_url("privacy.ask")
    message = notices.signature_confirmation(
        sender, address, campaign_text(campaign, "title", html_lang()), link, hours, my_data
    )
    try:
        mail.send(sender.smtp, message, sender.from_address, [address])
    except mail.SmtpError:
        current_app.logger.warning("signature confirmation email not sent")
        return False
    return True


@bp.get("/c/<slug>/signed")
def signed(slug: str):
    campaign = campaign_or_error(slug)
    if not _signed(campaign):
        return redirect(url_for(".show", slug=campaign.slug))
    return render_template(
        "public/statement_signed.html",
        campaign=campaign,
        total=statement.total(database(), campaign.id),
        already=None,
        check_email=session.get("check_email") is True,
        mail_failed=session.get("mail_failed") is True,
        looked=looked_up(campaign),
    )


class ConfirmEmailForm(FlaskForm):
    """A button: mail scanners open links on their own, only the POST confirms."""


@bp.route("/c/<slug>/statement/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    campaign = campaign_or_error(slug)
    config = current_app.config
    signature_id = statement.read_confirm_token(config["SECRET_KEY"], token, config["CONFIRM_TTL"])
    if signature_id is None:
        abort(410, description=_("This confirmation link has expired or is not valid."))
    form = ConfirmEmailForm()
    done = False
    if form.validate_on_submit():
        if not statement.confirm_email(database(), campaign.id, signature_id):
            abort(410, description=_("This address is no longer held: nothing to confirm."))
        done = True
    return render_template("public/statement_confirm.html", campaign=campaign, form=form, done=done)
