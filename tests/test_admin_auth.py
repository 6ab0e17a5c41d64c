"""Organizer accounts and sessions."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from advocacy import organizers
from advocacy.models import Organizer

from .admin_helpers import (
    EMAIL,
    PASSWORD,
    client_from,
    copy_of_session,
    create_organizer,
    login,
    logout,
)
from .helpers import csrf_token


@pytest.fixture
def organizer(runner):
    create_organizer(runner)


ADMIN_PAGES = ["/admin/", "/admin/campaigns/new", "/admin/campaigns/1/edit"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_no_organizer_page_without_a_session(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def _sample_value(match: re.Match) -> str:
    """A value for one URL rule argument: 1 for ints, the first choice of any(), else x."""
    converter, arguments = match.group(1), match.group(2)
    if converter == "int":
        return "1"
    if converter == "any":
        return arguments.split(",")[0].strip().strip("'\"")
    return "x"


def test_every_admin_route_requires_login(app, client):
    """Every rule under /admin but the login page redirects an anonymous visitor."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint == "admin.login":
            continue
        url = re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?\w+>", _sample_value, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in {302, 400}, (method, url)  # 400: POST without CSRF
            if response.status_code == 302:
                assert "/admin/login" in response.headers["Location"]


def test_password_is_hashed_with_argon2id(organizer, db):
    with db.reader() as session:
        stored = session.scalar(select(Organizer.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_and_logout(organizer, client):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "Campaigns" in page and EMAIL in page
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (EMAIL, "wrong password here"),
        ("nobody@example.org", PASSWORD),
        ("", ""),
    ],
)
def test_a_failed_login_gives_one_generic_message(organizer, client, email, password):
    response = login(client, email, password)
    assert response.status_code in {400, 401}
    page = response.get_data(as_text=True)
    if email:
        assert "Email or password is incorrect." in page
    assert "no organizer" not in page.lower() and "unknown" not in page.lower()
    assert client.get("/admin/").status_code == 302


def test_login_clears_the_session(organizer, client):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/campaigns/new", "/admin/campaigns/new"),
        ("/\\evil.example", "/admin/"),
        ("////evil.example", "/admin/"),
        ("//evil.example", "/admin/"),
        ("https://evil.example/", "/admin/"),
        ("/\t/evil.example", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
    ],
)
def test_next_redirects_only_to_this_site(organizer, client, target, expected):
    response = login(client, next_url=target)
    assert response.headers["Location"] == expected


def test_login_attempts_are_rate_limited(organizer, client):
    # A different account each time: this is the per-client limit, not the per-account one.
    statuses = [
        login(client, f"guess{i}@example.org", "wrong password here").status_code for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # Even the right password is refused until the window passes.
    assert login(client).status_code == 429


def _is_logged_out(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, organizer, client):
    login(client)
    stolen = copy_of_session(app, client)
    assert not _is_logged_out(stolen)  # the copy works while the session is open
    logout(client)
    assert _is_logged_out(client)
    assert _is_logged_out(copy_of_session(app, stolen))
    # Logging in again opens a new session that works.
    assert login(client).status_code == 302
    assert not _is_logged_out(client)
    assert _is_logged_out(stolen)


def test_logout_ends_the_organizers_sessions_on_every_device(app, organizer, runner):
    """Logout ends every session of that organizer, not only this browser's; other
    organizers stay logged in."""
    create_organizer(runner, "other@example.org")
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    login(laptop)
    login(phone)
    login(colleague, "other@example.org")
    assert not _is_logged_out(laptop) and not _is_logged_out(phone)
    logout(laptop)
    assert _is_logged_out(phone)
    assert not _is_logged_out(colleague)


def test_a_password_change_ends_every_earlier_session(app, organizer, client, runner):
    login(client)
    stolen = copy_of_session(app, client)
    result = runner.invoke(
        args=["create-organizer", EMAIL, "--password-stdin", "--update"],
        input="a brand new long password\n",
    )
    assert result.exit_code == 0, result.output
    assert _is_logged_out(client) and _is_logged_out(stolen)
    assert login(client, EMAIL, PASSWORD).status_code == 401
    assert login(client, EMAIL, "a brand new long password").status_code == 302
    assert not _is_logged_out(client)


def test_a_remember_cookie_does_not_outlive_logout(app, organizer, client):
    """No remember cookie is set, and one made for a session (as Flask-Login would) dies with
    it: it carries the same versioned token."""
    from flask_login.config import COOKIE_NAME
    from flask_login.utils import encode_cookie

    name = app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    login(client)
    assert client.get_cookie(name) is None
    with client.session_transaction() as session:
        token = session["_user_id"]
    with app.test_request_context():
        remembered = encode_cookie(token)
    browser = app.test_client()
    browser.set_cookie(name, remembered)
    assert not _is_logged_out(browser)  # the cookie is a valid one while the session lives
    logout(client)
    browser = app.test_client()
    browser.set_cookie(name, remembered)
    assert _is_logged_out(browser)


def test_failed_logins_are_limited_per_account_from_any_address(app, organizer, runner):
    create_organizer(runner, "other@example.org")
    # Only failures count: the organizer's own logins use up nothing.
    for i in range(1, 8):
        assert login(client_from(app, f"192.0.2.{i}")).status_code == 302
    statuses = [
        login(client_from(app, f"203.0.113.{i}"), EMAIL, "wrong password here").status_code
        for i in range(1, 7)
    ]
    assert statuses == [401] * 5 + [429]
    # Even the right password, from yet another address, waits for the window.
    limited = login(client_from(app, "198.51.100.7"))
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "try again in" in limited.get_data(as_text=True)
    # Another account is not affected.
    assert login(client_from(app, "198.51.100.8"), "other@example.org").status_code == 302


def test_the_per_account_limit_does_not_tell_which_accounts_exist(app, organizer):
    def sixth_answer(email: str, network: str):
        for i in range(1, 6):
            login(client_from(app, f"{network}.{i}"), email, "wrong password here")
        return login(client_from(app, f"{network}.6"), email, "wrong password here")

    known = sixth_answer(EMAIL, "203.0.113")
    unknown = sixth_answer("nobody@example.org", "198.51.100")
    assert known.status_code == unknown.status_code == 429

    # The same page, but for the seconds to wait (their windows opened a moment apart).
    def page(response) -> str:
        return re.sub(r"\d+", "N", response.get_data(as_text=True))

    assert page(known) == page(unknown)


def test_the_limiter_stores_no_email(app, organizer):
    from advocacy.extensions import limiter

    for i in range(1, 4):
        login(client_from(app, f"203.0.113.{i}"), EMAIL, "wrong password here")
    with app.app_context():
        stored = repr(vars(limiter.storage))
    assert "account:" in stored  # the per-account counter is there ...
    assert EMAIL not in stored and EMAIL.split("@")[0] not in stored  # ... under no email


def test_create_organizer_asks_twice_and_refuses_a_mismatch(runner, db):
    result = runner.invoke(
        args=["create-organizer", "a@example.org"],
        input="long enough password\nanother password!!\n"
        "long enough password\nlong enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "match" in result.output.lower()
    assert organizers.find(db, "a@example.org") is not None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long enough password", "not a valid email"),
        ("b@example.org", "short", "at least 12"),
    ],
)
def test_create_organizer_refuses_bad_input(runner, email, password, message):
    result = runner.invoke(
        args=["create-organizer", email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0 and message in result.output


def test_an_existing_organizer_is_not_overwritten_without_update(runner, organizer):
    result = runner.invoke(
        args=["create-organizer", EMAIL, "--password-stdin"], input="another long password\n"
    )
    assert result.exit_code != 0 and "exists already" in result.output
    result = runner.invoke(
        args=["create-organizer", EMAIL, "--password-stdin", "--update"],
        input="another long password\n",
    )
    assert result.exit_code == 0


def test_old_hash_parameters_are_upgraded_at_login(organizer, client, db):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with db.write() as session:
        session.scalar(select(Organizer)).password_hash = weak.hash(PASSWORD)
    assert login(client).status_code == 302
    with db.reader() as session:
        upgraded = session.scalar(select(Organizer.password_hash))
    assert "m=8192" not in upgraded and upgraded.startswith("$argon2id$")


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_argon2_parameters_meet_owasp():
    from advocacy.config import from_environment

    settings = from_environment({})
    ph = organizers.hasher_for(settings)
    assert ph.time_cost >= 2 and ph.memory_cost >= 19 * 1024  # OWASP: m=19 MiB, t=2, p=1
    assert ph.hash("x").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
