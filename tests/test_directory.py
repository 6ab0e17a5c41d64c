"""Custom targets: the CSV an organizer uploads, checked row by row; nothing imported from a
file with errors."""

from __future__ import annotations

import pytest

from advocacy import campaigns
from advocacy.civic.directory import DirectoryError, TargetRow, parse_targets_csv

from .admin_helpers import create_organizer, login
from .conftest import DEMO_SLUG
from .helpers import csrf_token
from .test_civic_checks import HOSTILE_PHONES, HOSTILE_URLS

HEADER = "name,office,level,district,email,phone,url,postcodes\n"
GOOD = HEADER + (
    "Chair of the Foreign Affairs Committee,Committee Chair,federal,House of Commons,"
    "chair@example.org,,,*\n"
    "Councillor Nadia Exemple,Councillor,municipal,Somerset Ward,,613-555-0199,"
    "https://example.org/somerset,K1P;K2P 1L4\n"
)


def test_a_good_file_parses():
    rows = parse_targets_csv(GOOD.encode(), "CA")
    assert [r.name for r in rows] == [
        "Chair of the Foreign Affairs Committee",
        "Councillor Nadia Exemple",
    ]
    chair, councillor = rows
    assert chair.postcodes == ("*",) and chair.covers("V0C 1R0")
    assert councillor.postcodes == ("K1P", "K2P1L4")
    assert councillor.covers("K1P 5G4") and councillor.covers("k2p 1l4")
    assert not councillor.covers("K2P 1L5") and not councillor.covers("G6G 1B2")
    official = councillor.official()
    assert (official.level, official.source, official.email, official.phone) == (
        "municipal",
        "directory",
        "",
        "613-555-0199",
    )


def test_a_byte_order_mark_and_blank_lines_are_fine():
    rows = parse_targets_csv(("\ufeff" + GOOD + "\n,,,,,,,\n").encode(), "CA")
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",Chair,federal,,a@example.org,,,*", "'name' is empty"),
        ("X,,federal,,a@example.org,,,*", "'office' is empty"),
        ("X,Chair,galactic,,a@example.org,,,*", "level 'galactic' is not one of"),
        ("X,Chair,federal,,not-an-email,,,*", "email 'not-an-email' is not valid"),
        ("X,Chair,federal,,,call me,,*", "phone 'call me' is not a phone number"),
        ("X,Chair,federal,,,,javascript:alert(1),*", "is not a web address"),
        ("X,Chair,federal,,,,,*", "give at least one way to reach them"),
        ("X,Chair,federal,,a@example.org,,,", "'postcodes' is empty"),
        ("X,Chair,federal,,a@example.org,,,D1A", "not a postal code or prefix for CA: D1A"),
        ("X,Chair,federal,,a@example.org,,,*,extra", "more cells than there are columns"),
        ("X" * 300 + ",Chair,federal,,a@example.org,,,*", "'name' is longer than 200"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_its_line(row, message):
    data = (GOOD + row + "\n").encode()
    with pytest.raises(DirectoryError) as caught:
        parse_targets_csv(data, "CA")
    assert any(line == 4 and message in text for line, text in caught.value.errors), (
        caught.value.errors
    )


def test_a_missing_column_is_reported():
    with pytest.raises(DirectoryError, match="missing column"):
        parse_targets_csv(b"name,office\nX,Y\n", "CA")


def test_an_oversized_file_is_refused():
    with pytest.raises(DirectoryError, match="larger than"):
        parse_targets_csv(GOOD.encode() * 100, "CA", max_bytes=1024)


def test_a_file_in_another_encoding_is_refused_with_its_line():
    data = (HEADER + "Élise Exemple,Chair,federal,,e@example.org,,,*\n").encode("latin-1")
    with pytest.raises(DirectoryError) as caught:
        parse_targets_csv(data, "CA")
    assert caught.value.errors == [(2, "the file is not UTF-8 text: save it as “CSV UTF-8”")]


def test_an_empty_file_is_refused():
    with pytest.raises(DirectoryError):
        parse_targets_csv(HEADER.encode(), "CA")


# -- hostile values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('"Nadia\r\nExemple",Chair,federal,,a@example.org,,,*', "'name' contains a line break"),
        ("Nadia\x00Exemple,Chair,federal,,a@example.org,,,*", "'name' contains a line break"),
        ("Nadia,Chair\u2028x,federal,,a@example.org,,,*", "'office' contains a line break"),
        ("Nadia,Chair,federal,\u202eWard,a@example.org,,,*", "'district' contains a line break"),
        ('Nadia,Chair,federal,,"a@example.org\nBcc: b@example.org",,,*', "is not valid"),
    ],
)
def test_control_characters_are_refused_with_their_line(row, message):
    with pytest.raises(DirectoryError) as caught:
        parse_targets_csv((GOOD + row + "\n").encode(), "CA")
    # A record with a line break inside a quoted cell is reported at the line where it ends.
    last = 4 + row.count("\n")
    assert any(line == last and message in text for line, text in caught.value.errors), (
        caught.value.errors
    )


@pytest.mark.parametrize("number", [p for p in HOSTILE_PHONES if "," not in p and '"' not in p])
def test_a_phone_that_is_not_a_number_is_refused(number):
    row = f'X,Chair,federal,,a@example.org,"{number}",,*'
    with pytest.raises(DirectoryError, match="is not a phone number"):
        parse_targets_csv((GOOD + row + "\n").encode(), "CA")


# Spaces around a cell are trimmed (a trailing U+2028 too), so those addresses come out clean.
@pytest.mark.parametrize("url", [u for u in HOSTILE_URLS if not {",", '"', "\u2028"} & set(u)])
def test_an_address_that_is_not_plain_http_is_refused(url):
    row = f'X,Chair,federal,,a@example.org,,"{url}",*'
    with pytest.raises(DirectoryError, match="is not a web address"):
        parse_targets_csv((GOOD + row + "\n").encode(), "CA")


def test_a_dirty_stored_target_is_cleaned_on_the_way_out():
    # As a row stored before these checks, or edited in the database, could be.
    row = TargetRow(
        name="Nadia\r\nExemple",
        office="Councillor\x00",
        level="municipal",
        district="Somerset\u2028Ward",
        email="nadia@example.org\r\nBcc: everyone@example.org",
        phone="javascript:alert(1)",
        url="javascript:alert(document.cookie)",
        postcodes=("*",),
    )
    official = row.official()
    assert (official.name, official.elected_office, official.district_name) == (
        "Nadia Exemple",
        "Councillor",
        "Somerset Ward",
    )
    assert (official.email, official.phone, official.web_url) == ("", "", "")


# -- through the organizer page and the CLI -----------------------------------------------------


@pytest.fixture
def organizer_client(runner, client):
    create_organizer(runner)
    login(client)
    return client


def upload(client, campaign_id: int, data: bytes, filename: str = "targets.csv"):
    from io import BytesIO

    url = f"/admin/campaigns/{campaign_id}/targets"
    page = client.get(url).get_data(as_text=True)
    return client.post(
        url,
        data={"csrf_token": csrf_token(page), "file": (BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_upload_replaces_the_list(organizer_client, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    response = upload(organizer_client, campaign.id, GOOD.encode())
    assert response.status_code == 302
    assert [r.name for r in campaigns.custom_targets(db, campaign)] == [
        "Chair of the Foreign Affairs Committee",
        "Councillor Nadia Exemple",
    ]
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 targets imported" in page and "Councillor Nadia Exemple" in page


def test_a_bad_upload_imports_nothing_and_lists_the_errors(organizer_client, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    before = campaigns.custom_targets(db, campaign)
    bad = GOOD + "X,Chair,galactic,,a@example.org,,,*\n,Chair,federal,,,,,*\n"
    response = upload(organizer_client, campaign.id, bad.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Line 4:" in page and "Line 5:" in page and "galactic" in page
    assert campaigns.custom_targets(db, campaign) == before


def test_an_oversized_upload_is_refused(organizer_client, app, db):
    app.config["TARGETS_MAX_BYTES"] = 2048
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    response = upload(organizer_client, campaign.id, GOOD.encode() * 20)
    assert response.status_code == 422
    assert "larger than 2 KB" in response.get_data(as_text=True)


def test_uploaded_targets_reach_supporters(organizer_client, app, db, represent):
    from .helpers import lookup

    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    upload(organizer_client, campaign.id, GOOD.encode())
    represent.add("K1P5G4")
    page = lookup(app.test_client(), "K1P 5G4").get_data(as_text=True)
    assert "Write to Councillor Nadia Exemple" in page
    assert "Write to Chair of the Foreign Affairs Committee" in page
    assert "Prime Minister of Canada" not in page  # replaced by the upload


def test_a_directory_only_campaign_needs_no_provider(app, db, represent):
    from .helpers import lookup

    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    with db.write() as session:
        session.get(type(campaign), campaign.id).target_mode = "directory"
    page = lookup(app.test_client(), "V0C 1R0").get_data(as_text=True)
    assert "Write to Prime Minister of Canada" in page
    assert not represent.mock.calls


def test_import_targets_cli(runner, db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode())
    result = runner.invoke(args=["import-targets", "--campaign", DEMO_SLUG, str(good)])
    assert result.exit_code == 0 and "2 custom targets" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes((GOOD + ",Chair,federal,,,,,*\n").encode())
    result = runner.invoke(args=["import-targets", "--campaign", DEMO_SLUG, str(bad)])
    assert result.exit_code != 0 and "bad.csv:4:" in result.output
    result = runner.invoke(args=["import-targets", "--campaign", "nope", str(good)])
    assert result.exit_code != 0 and "no campaign" in result.output
