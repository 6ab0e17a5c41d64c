"""Helpers for tests of the organizers' side."""

from __future__ import annotations

from .helpers import csrf_token

EMAIL = "organizer@example.org"
PASSWORD = "correct horse battery staple"


def create_organizer(runner, email: str = EMAIL, password: str = PASSWORD) -> None:
    result = runner.invoke(
        args=["create-organizer", email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code == 0, result.output


def login(
    client, email: str = EMAIL, password: str = PASSWORD, next_url: str = "", follow: bool = False
):
    page = client.get("/admin/login").get_data(as_text=True)
    return client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(page),
            "email": email,
            "password": password,
            "next": next_url,
        },
        follow_redirects=follow,
    )


def post_form(client, url: str, data: dict, follow: bool = False):
    """POST ``data`` to ``url`` with the CSRF token of the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), **data}, follow_redirects=follow)


def logout(client) -> None:
    """Press the logout button on the dashboard."""
    page = client.get("/admin/").get_data(as_text=True)
    response = client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.status_code


def copy_of_session(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "no session cookie to copy"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def client_from(app, address: str):
    """A browser on the network address ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client
