"""Logging organizers in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from ... import organizers
from ...db import database
from ...extensions import limiter, login_manager
from . import bp


class OrganizerUser(UserMixin):
    """The logged-in organizer, as Flask-Login sees them."""

    def __init__(self, organizer_id: int, email: str) -> None:
        self.id = organizer_id
        self.email = email


@login_manager.user_loader
def load_user(user_id: str) -> OrganizerUser | None:
    if not user_id.isdigit():
        return None
    organizer = organizers.get(database(), int(user_id))
    if organizer is None or not organizer.active:
        return None
    return OrganizerUser(organizer.id, organizer.email)


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        organizer = organizers.authenticate(
            database(), form.email.data, form.password.data,
            organizers.hasher_for(current_app.config),
        )
        if organizer is not None:
            target = safe_next(form.next.data)
            session.clear()  # a fresh session: nothing from before the login carries over
            login_user(OrganizerUser(organizer.id, organizer.email))
            return redirect(target or url_for("admin.index"))
        form.password.errors.append(_("Email or password is incorrect."))
        return render_template("admin/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("admin.login"))
