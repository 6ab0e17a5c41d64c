"""Logging organizers in and out.

A session names the organizer together with their session version (``"<id>:<version>"``, as
Flask-Login's alternative tokens do), and loads only while the database holds the same version.
Logout and a password change bump it, so every earlier session ends: on every device, in every
copied cookie, and in a "remember me" cookie too, which carries the same token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from ... import organizers
from ...db import database
from ...extensions import limiter, login_manager
from . import bp


class OrganizerUser(UserMixin):
    """The logged-in organizer, as Flask-Login sees them."""

    def __init__(self, organizer_id: int, email: str, session_version: int) -> None:
        self.id = organizer_id
        self.email = email
        self.session_version = session_version

    def get_id(self) -> str:
        """What the session stores: the organizer and the session version it was opened at."""
        return f"{self.id}:{self.session_version}"


@login_manager.user_loader
def load_user(user_id: str) -> OrganizerUser | None:
    """The organizer of a session, or None (logged out) if the session is from before their
    last logout or password change, or from before session versions (a bare id)."""
    # Bounded ASCII digits: no integer too large for the database, no exotic digits.
    token = re.fullmatch(r"(\d{1,18}):(\d{1,18})", user_id, re.ASCII)
    if token is None:
        return None
    organizer_id, version = int(token[1]), int(token[2])
    organizer = organizers.get(database(), organizer_id)
    if organizer is None or not organizer.active:
        return None
    if organizer.session_version != version:
        return None
    return OrganizerUser(organizer.id, organizer.email, organizer.session_version)


login_manager.login_view = "admin.login"
login_manager.login_message = _l("Please log in to see this page.")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no scheme, no host, no
    protocol-relative ``//host`` and no backslash tricks like ``/\\evil.example``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """The per-account limit's key: a keyed hash of the email tried (see login_attempt_key)."""
    email = request.form.get("email", "")
    return "account:" + organizers.login_attempt_key(current_app.config["SECRET_KEY"], email)


def _failed_login(response) -> bool:
    # Only a refused password counts against the account: a form without a valid token (400)
    # tried nothing, and a success must not use up the organizer's own allowance.
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
# Per account, whatever the client address: guessing one organizer's password from many
# addresses is stopped too. Unknown emails are counted the same way, so the 429 (the same page
# as the per-client one) tells nothing about which accounts exist.
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed_login)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        organizer = organizers.authenticate(
            database(),
            form.email.data,
            form.password.data,
            organizers.hasher_for(current_app.config),
        )
        if organizer is not None:
            target = safe_next(form.next.data)
            session.clear()  # a fresh session: nothing from before the login carries over
            # No "remember me" cookie: the session cookie is the only way back in.
            login_user(
                OrganizerUser(organizer.id, organizer.email, organizer.session_version),
                remember=False,
            )
            return redirect(target or url_for("admin.index"))
        form.password.errors.append(_("Email or password is incorrect."))
        return render_template("admin/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    # Ends every session of this organizer, not only this browser's: a copy of this cookie,
    # or a session left open on another device, would otherwise still open /admin.
    organizers.end_sessions(database(), current_user.id)
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("admin.login"))
