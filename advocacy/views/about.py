"""Who runs a campaign and its privacy page, for supporters (issue 14)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .. import campaign_contact
from ..db import database
from ..extensions import supporter_path
from ..models import Campaign
from .public import campaign_or_error

bp = Blueprint("about", __name__)

DAY = 86_400


def _days(seconds: float) -> int:
    return max(1, round(seconds / DAY))


def retention() -> dict[str, int]:
    """The app's actual keeping times, in days, as the privacy page states them."""
    config = current_app.config
    return {
        "lookup_days": _days(config["LOOKUP_TTL"]),
        "stale_days": _days(config["LOOKUP_STALE_MAX"]),
        "unconfirmed_days": _days(config["CONFIRM_TTL"]),
        "letter_text_days": _days(config["LETTER_TEXT_KEEP"]),
    }


def email_delivery_on(campaign: Campaign) -> bool:
    return bool(campaign.server_delivery and current_app.config["SMTP_URL"])


@bp.app_context_processor
def _about_helpers():
    def contact_of(campaign: Campaign | None) -> campaign_contact.Contact:
        if campaign is None or getattr(campaign, "id", None) is None:
            return campaign_contact.Contact()
        return campaign_contact.kept(supporter_path().memo, database(), campaign.id)

    return {"campaign_contact": contact_of}


@bp.get("/c/<slug>/privacy")
def privacy(slug: str):
    campaign = campaign_or_error(slug)
    return render_template(
        "public/privacy.html",
        campaign=campaign,
        contact=campaign_contact.kept(supporter_path().memo, database(), campaign.id),
        delivery=email_delivery_on(campaign),
        **retention(),
    )
