"""The organizers' side, under /admin: everything but the login page needs a session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")

PUBLIC_ENDPOINTS = {"admin.login"}


@dataclass(frozen=True)
class CampaignLink:
    endpoint: str
    label: str
    url_for_campaign: object  # callable(campaign) -> dict of URL arguments


# The pages an organizer can open for one campaign; each admin module adds its own.
CAMPAIGN_LINKS: list[CampaignLink] = [
    CampaignLink("admin.edit_campaign", _l("Settings"), lambda c: {"campaign_id": c.id}),
    CampaignLink("admin.letters", _l("Letters"), lambda c: {"campaign_id": c.id}),
    CampaignLink("admin.tallies", _l("Tallies"), lambda c: {"campaign_id": c.id}),
    CampaignLink("public.campaign", _l("Open as a supporter"), lambda c: {"slug": c.slug}),
]


@dataclass(frozen=True)
class _Link:
    url: str
    label: str


@bp.app_context_processor
def _campaign_links():
    def admin_campaign_links(campaign) -> list[_Link]:
        return [
            _Link(url_for(link.endpoint, **link.url_for_campaign(campaign)), str(link.label))
            for link in CAMPAIGN_LINKS
        ]

    return {"admin_campaign_links": admin_campaign_links}


@bp.before_request
def require_login():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


# Each module registers its routes on bp (hence imported here, after bp exists).
from . import (  # noqa: E402,F401
    about,
    auth,
    campaigns,
    deliveries,
    letters,
    positions,
    reports,
    statement,
    tallies,
    targets,
)
