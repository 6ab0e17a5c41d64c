"""A supporter's own data: ask for a link by email, open it, see what is held about the
address, delete it. The request form has the letter form's defences (CSRF, rate limit,
honeypot, minimum fill time) and answers the same whether or not anything is held, so it
cannot be used to learn who signed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from .. import delivery, mail, notices, privacy
from ..db import database
from ..extensions import limiter, supporter_path
from .forms import required_email

bp = Blueprint("privacy", __name__)


class MyDataForm(FlaskForm):
    email = required_email()
    started = HiddenField()
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )


class ForgetForm(FlaskForm):
    """A button: only its POST deletes."""


def _pepper() -> bytes:
    return delivery.secret_bytes(current_app.config, "email")


@bp.get("/my-data")
def ask():
    form = MyDataForm(formdata=None, data={"started": supporter_path().stamp()})
    return render_template("public/my_data_ask.html", form=form, sent=False)


@bp.post("/my-data")
@limiter.limit(lambda: current_app.config["SEND_RATE_LIMIT"])
def send_link():
    form = MyDataForm()
    valid = form.validate()
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        flash(_("Please check your address, then press the button again."))
        form.started.data = supporter_path().stamp()
        valid = False
    if not valid:
        return render_template("public/my_data_ask.html", form=form, sent=False), 422
    address = form.email.data.strip()
    key = privacy.address_key(address, _pepper())
    sender = delivery.sender_from_config(current_app.config)
    # Mail goes only to addresses we hold something for; the page says the same either way.
    if sender is not None and privacy.holds_anything(database(), key):
        token = privacy.link_token(current_app.config["SECRET_KEY"], key)
        link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for(".show", token=token)
        hours = max(1, current_app.config["CONFIRM_TTL"] // 3600)
        try:
            mail.send(
                sender.smtp,
                notices.my_data_link(sender, address, link, hours),
                sender.from_address,
                [address],
            )
        except (mail.SmtpError, ValueError):
            current_app.logger.warning("my-data link not sent")
    return render_template("public/my_data_ask.html", form=form, sent=True)


def _key(token: str) -> str:
    config = current_app.config
    key = privacy.read_link_token(config["SECRET_KEY"], token, config["CONFIRM_TTL"])
    if key is None:
        abort(410, description=_("This link has expired or is not valid: ask for a new one."))
    return key


@bp.route("/my-data/<token>", methods=["GET", "POST"])
def show(token: str):
    key = _key(token)
    form = ForgetForm()
    if form.validate_on_submit():
        privacy.forget(database(), key)
        flash(_("Deleted. Your signatures and letters are still counted, without your data."))
        return redirect(url_for(".show", token=token), code=303)
    return render_template("public/my_data.html", held=privacy.held(database(), key), form=form)
