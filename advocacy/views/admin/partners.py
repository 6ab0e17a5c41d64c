"""The campaign settings page's partner part: the sites that may embed the campaign and call
its API from a browser, the snippet to copy, and read-only API tokens for partner dashboards."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ... import campaigns, partners
from ...db import database
from ...models import Campaign
from . import bp


class OriginsForm(FlaskForm):
    origins = TextAreaField(
        _l("Partner sites (one per line)"),
        validators=[Length(max=5000)],
        render_kw={"rows": 4, "spellcheck": "false"},
    )


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Who the token is for"),
        validators=[DataRequired(_l("Name the partner or dashboard.")), Length(max=100)],
        # Checked by the server (a message after the press), not marked "required" in the
        # page: the settings page's other forms are checked as a whole in the browser tests.
        render_kw={"required": False},
    )


class RevokeTokenForm(FlaskForm):
    token_id = HiddenField()


def embed_snippet(campaign: Campaign) -> str:
    """The HTML a partner pastes into their page (their own ?source= code to be filled in)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    url = f"{base}{url_for('embed.campaign', slug=campaign.slug)}?source=PARTNER-CODE"
    return (
        f'<iframe src="{escape(url)}" title="{escape(campaign.title)}" width="100%" '
        'height="720" style="border:0" referrerpolicy="no-referrer"></iframe>'
    )


@bp.app_context_processor
def _partner_settings():
    def partner_settings(campaign: Campaign, origins_form: OriginsForm | None = None) -> dict:
        listed = partners.origins(database(), campaign.id)
        form = origins_form or OriginsForm(data={"origins": "\n".join(listed)})
        return {
            "origins_form": form,
            "token_form": NewTokenForm(formdata=None),
            "revoke_form": RevokeTokenForm(formdata=None),
            "tokens": partners.tokens(database(), campaign.id),
            "snippet": embed_snippet(campaign),
            "listed": listed,
        }

    return {"partner_settings": partner_settings}


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _settings(campaign: Campaign) -> str:
    return url_for("admin.edit_campaign", campaign_id=campaign.id) + "#partners"


@bp.post("/campaigns/<int:campaign_id>/partners/origins")
def partner_origins(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = OriginsForm()
    if form.validate():
        try:
            listed = partners.parse_origins(form.origins.data or "")
        except partners.InvalidOrigin as exc:
            form.origins.errors.append(
                _(
                    "“%(origin)s” is not a site address: write https://example.org (with a "
                    "port if it has one), without a path.",
                    origin=exc.raw,
                )
            )
        else:
            partners.set_origins(database(), campaign.id, listed)
            flash(_("Partner sites saved."))
            return redirect(_settings(campaign), code=303)
    return render_template(
        "admin/partner_origins_error.html", campaign=campaign, origins_form=form
    ), 422


@bp.post("/campaigns/<int:campaign_id>/partners/tokens")
def partner_token(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = NewTokenForm()
    if not form.validate():
        flash(_("Name the partner or dashboard the token is for."))
        return redirect(_settings(campaign), code=303)
    token = partners.create_token(
        database(), campaign.id, form.name.data, getattr(current_user, "email", None)
    )
    # Shown on this page only, never stored or sent elsewhere: a reload does not show it again.
    response = render_template(
        "admin/partner_token.html", campaign=campaign, token=token, name=form.name.data
    )
    return response, 201, {"Cache-Control": "no-store"}


@bp.post("/campaigns/<int:campaign_id>/partners/tokens/revoke")
def revoke_partner_token(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = RevokeTokenForm()
    raw = form.token_id.data or ""
    if not form.validate() or not raw.isdigit() or len(raw) > 18:
        abort(400)
    if not partners.revoke_token(database(), campaign.id, int(raw)):
        abort(404)
    flash(_("Token revoked: it no longer opens anything."))
    return redirect(_settings(campaign), code=303)
