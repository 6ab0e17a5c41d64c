"""Split postal codes in a real browser (issue 11): a supporter in G6G 1B2 sees two MPs, types
their street address in the form under the notice, presses its button (JavaScript off), and
sees only the MP of the district their address is in. Represent and Nominatim are one loopback
server answering from tests/fixtures/; nothing leaves 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from werkzeug.wrappers import Request, Response

from advocacy import create_app
from tests.conftest import DEMO_SLUG, FIXTURES, test_config
from tests.e2e.conftest import LiveApp, _Served
from tests.test_uk import SLUG as UK_SLUG
from tests.test_uk import make_gb_campaign

pytestmark = pytest.mark.e2e

ADDRESS = "123 Rue Placeholder, Thetford Mines"


@Request.application
def _upstream(request: Request) -> Response:
    """Represent (/postcodes/G6G1B2/, /representatives/?point=) and Nominatim (/search)."""
    files = {
        "/postcodes/G6G1B2/": "represent/G6G1B2.json",
        "/representatives/": "represent/point-G6G1B2-beauce.json",
        "/search": "geocoder/nominatim-search-thetford-mines.json",
    }
    return _fixture(request, files.get(request.path))


def _fixture(request: Request, name: str | None) -> Response:
    """The stub's answer: the fixture file ``name`` as JSON, or a 404."""
    if request.method != "GET" or name is None:
        return Response(json.dumps({"error": "Not Found"}), 404, mimetype="application/json")
    return Response((FIXTURES / name).read_bytes(), mimetype="application/json")


def _live(tmp_path: Path, stub_app, provider_urls: tuple[str, ...], prepare) -> Iterator[LiveApp]:
    """The app served on loopback, its providers and the geocoder pointed at the stub
    ``stub_app``, its data made by ``prepare(app)``."""
    stub = _Served(stub_app)
    urls = dict.fromkeys(provider_urls, stub.url)
    app = create_app(
        test_config(
            tmp_path, **urls, GEOCODER_URL=stub.url, GEOCODER_INTERVAL=0.0, MIN_FILL_SECONDS=1.0
        )
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    prepare(app)
    served = _Served(app)
    yield LiveApp(app, served.url, stub.url)
    served.stop()
    stub.stop()
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def exact_app(tmp_path: Path, upstream) -> Iterator[LiveApp]:
    def seed(app) -> None:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output

    yield from _live(tmp_path, _upstream, ("REPRESENT_URL",), seed)


def settle(live, tab, slug: str, code: str, address: str, kept: str, dropped: str) -> None:
    """A supporter whose postal code crosses a boundary sees both candidates, types their
    street address and presses the real button: only ``kept`` remains, and the address is
    in none of the tables that hold lookups."""
    page = tab.page
    page.goto(f"{live.url}/c/{slug}/")
    page.get_by_label("Your postal code").fill(code)
    page.get_by_role("button", name="Find my officials").click()
    expect(page.locator(".notice.ambiguous")).to_contain_text("crosses a district boundary")
    expect(page.get_by_role("heading", level=3, name=kept)).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=dropped)).to_be_visible()

    page.get_by_label("Your street address").fill(address)
    time.sleep(1.1)  # a person takes longer than the minimum fill time
    page.get_by_role("button", name="Find my exact district").click()

    expect(page).to_have_url(f"{live.url}/c/{slug}/officials")
    expect(page.get_by_text("These are the officials for your street address.")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=kept)).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=dropped)).to_have_count(0)
    expect(page.locator(".notice.ambiguous")).to_have_count(0)
    assert not tab.requests.foreign()
    street = address.split(",")[0].casefold()  # "123 rue placeholder", in any case
    with live.db.reader() as session:
        for table in ("lookup_cache", "upstream_state"):
            for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                assert street not in repr(row).casefold()


def test_the_street_address_settles_a_split_postal_code(exact_app, tab_nojs):
    settle(
        exact_app,
        tab_nojs,
        DEMO_SLUG,
        "G6G 1B2",
        ADDRESS,
        kept="Luc Lévesque-Témoin",
        dropped="Émilie Côté-Exemple",
    )


# -- a UK outward code (BR8: Sevenoaks and Orpington) -------------------------------------------

UK_ADDRESS = "1 Placeholder Lane"
UK_POINT_LAT = "51.403500"  # of geocoder/nominatim-search-BR8-orpington.json


@Request.application
def _uk_upstream(request: Request) -> Response:
    """postcodes.io (/outcodes/BR8, /postcodes?lon&lat: the address's point or BR8's centre),
    the Members API (constituency search, contacts) and Nominatim (/search)."""
    path, args = request.path, request.args
    name = {
        "/outcodes/BR8": "uk/postcodesio-outcode-lookup-BR8.json",
        "/search": "geocoder/nominatim-search-BR8-orpington.json",
        "/api/Members/90001/Contact": "uk/members-contact-90001.json",
        "/api/Members/90002/Contact": "uk/members-contact-90002.json",
    }.get(path)
    if path == "/postcodes":
        near = "orpington" if args.get("lat") == UK_POINT_LAT else "centroid"
        name = f"uk/postcodesio-reverse-geocode-BR8-{near}.json"
    elif path == "/api/Location/Constituency/Search" and args.get("searchText") in (
        "Sevenoaks",
        "Orpington",
    ):
        name = f"uk/members-constituency-search-{args['searchText']}.json"
    return _fixture(request, name)


@pytest.fixture
def uk_app(tmp_path: Path, upstream) -> Iterator[LiveApp]:
    def campaign(app) -> None:
        make_gb_campaign(app.extensions["advocacy_db"], tmp_path / "uk-campaign")

    yield from _live(tmp_path, _uk_upstream, ("UK_POSTCODES_URL", "UK_MEMBERS_URL"), campaign)


def test_the_street_address_settles_a_uk_outward_code(uk_app, tab_nojs):
    settle(
        uk_app,
        tab_nojs,
        UK_SLUG,
        "BR8",
        UK_ADDRESS,
        kept="Sam Exemple-Témoin",
        dropped="Alex Placeholder",
    )
