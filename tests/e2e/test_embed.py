"""The embed in Chromium: a partner's page on another loopback address (another site, so the
browser treats the iframe as cross-site and withholds SameSite=Lax cookies) frames
/embed/<slug>, and a supporter completes the whole path inside the frame, without JavaScript.
A page on an address the campaign does not list gets no frame."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from advocacy import partners
from advocacy.campaigns import campaign_by_slug
from advocacy.models import ContactAction
from tests.conftest import DEMO_SLUG

pytestmark = pytest.mark.e2e

MP = "Alexandra Placeholder"


class PartnerSite:
    """A partner's page served on ``host`` (a free port) that frames ``embed_url``."""

    def __init__(self, host: str, embed_url: str) -> None:
        @Request.application
        def page(_request: Request) -> Response:
            html = (
                "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<title>Partner organisation</title></head><body>"
                "<h1>Partner organisation</h1>"
                f"<iframe src='{embed_url}' title='Write to your officials' "
                "width='900' height='1400'></iframe></body></html>"
            )
            return Response(html, mimetype="text/html")

        self.server = make_server(host, 0, page, threaded=True)
        self.origin = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def partner_sites(live_app) -> Iterator[tuple[PartnerSite, PartnerSite]]:
    """Two partner pages, on 127.0.0.2 (listed by the campaign) and 127.0.0.3 (not)."""
    embed = f"{live_app.url}/embed/{DEMO_SLUG}?source=partner-org"
    listed, unlisted = PartnerSite("127.0.0.2", embed), PartnerSite("127.0.0.3", embed)
    campaign = campaign_by_slug(live_app.db, DEMO_SLUG)
    partners.set_origins(live_app.db, campaign.id, [listed.origin])
    yield listed, unlisted
    listed.stop()
    unlisted.stop()


def test_a_supporter_writes_from_inside_a_partners_page(live_app, partner_sites, tab_nojs):
    listed, _unlisted = partner_sites
    page = tab_nojs.page
    page.goto(listed.origin + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner organisation")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("policy towards Beijing")

    frame.get_by_label("Your postal code").fill("k1p 5g4")
    frame.get_by_role("button", name="Find my officials").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Your officials for K1P 5G4")
    frame.get_by_role("button", name=f"Write to {MP}").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"Your letter to {MP}")
    body = frame.get_by_label("Your letter")
    body.fill(body.input_value() + "\n\nI live in Ottawa Centre.\n")
    frame.get_by_label("Your name").fill("Mei Example")
    frame.get_by_role("button", name="Continue to send").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"Send your letter to {MP}")
    frame.get_by_role("button", name="I have sent my letter").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(frame.locator("p.count")).to_contain_text("1 letter has been sent")

    # The partner's page stayed; the frame never set a cookie; nothing went elsewhere.
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner organisation")
    assert page.context.cookies() == []
    hosts = tab_nojs.requests.hosts()
    assert hosts <= {"127.0.0.1", "127.0.0.2"}, hosts
    with live_app.db.reader() as session:
        [action] = session.scalars(select(ContactAction)).all()
    assert action.official_name == MP and action.source == "partner-org"


def test_a_site_the_campaign_does_not_list_gets_no_frame(live_app, partner_sites, tab):
    _listed, unlisted = partner_sites
    page = tab.page
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(unlisted.origin + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner organisation")
    # The server answered the frame's request; the browser refused to show it.
    assert any("/embed/" in url for url in tab.requests.urls)
    page.wait_for_load_state("load")
    [child] = [frame for frame in page.frames if frame != page.main_frame]
    assert not child.url.startswith(live_app.url), child.url
    expect(page.frame_locator("iframe").get_by_role("heading", level=1)).to_have_count(0)
    assert any("frame-ancestors" in text for text in refusals), refusals


def test_organizers_set_partner_sites_and_tokens_with_the_real_buttons(live_app, tab):
    from .organizer import invalid_forms, log_in, organizer_account

    organizer_account(live_app)
    page = tab.page
    campaign = campaign_by_slug(live_app.db, DEMO_SLUG)
    settings = f"/admin/campaigns/{campaign.id}/edit"
    log_in(page, live_app, settings)
    assert invalid_forms(page) == [], invalid_forms(page)
    expect(page.get_by_label("Snippet to copy")).to_have_value(
        re.compile(
            rf'^<iframe src="http://127\.0\.0\.1:5000/embed/{DEMO_SLUG}\?source=PARTNER-CODE"'
        )
    )
    page.get_by_label("Partner sites (one per line)").fill("https://Partner.example/\n")
    page.get_by_role("button", name="Save partner sites").click()
    expect(page.get_by_role("status")).to_contain_text("Partner sites saved.")
    assert partners.origins(live_app.db, campaign.id) == ["https://partner.example"]

    page.get_by_label("Who the token is for").fill("Partner dashboard")
    page.get_by_role("button", name="Make a token").click()
    token = page.get_by_label("Token").input_value()
    assert partners.token_campaign(live_app.db, token) == campaign.id
    page.get_by_role("link", name="Back to the campaign's settings").click()
    page.get_by_role("button", name="Revoke the token for Partner dashboard").click()
    expect(page.get_by_role("status")).to_contain_text("Token revoked")
    assert partners.token_campaign(live_app.db, token) is None
