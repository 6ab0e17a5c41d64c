"""Security headers, rate limits and the client address behind proxies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from advocacy import create_app
from advocacy.wsgi_guard import valid_host

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token

TEMPLATES = sorted((Path(__file__).parent.parent / "advocacy" / "templates").rglob("*.html"))


@pytest.mark.parametrize(
    "url",
    ["/", f"/c/{DEMO_SLUG}/", "/nowhere", "/admin/login", "/static/style.css", "/photo/bad-token"],
)
def test_every_response_has_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_when_served_over_https(client):
    response = client.get("/", base_url="https://advocacy.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_frame_ancestors_can_allow_an_embed(tmp_path):
    app = create_app(test_config(tmp_path, FRAME_ANCESTORS="https://campaign.example"))
    headers = app.test_client().get("/").headers
    assert "frame-ancestors https://campaign.example" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_templates_have_no_script_inline_style_or_third_party_asset(template):
    source = template.read_text(encoding="utf-8")
    assert "<script" not in source.lower()
    assert not re.search(r"\sstyle=", source)
    assert not re.search(r"\son[a-z]+=", source)
    assert not re.search(r'(src|href)="(https?:)?//', source)  # assets only from this site


def lookup_once(client, code="K1P 5G4", **environ):
    page = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
    return client.post(
        f"/c/{DEMO_SLUG}/lookup",
        data={"csrf_token": csrf_token(page), "postcode": code},
        environ_base=environ,
    )


def test_lookups_are_rate_limited_with_a_page_saying_when(tmp_path, represent):
    app = create_app(test_config(tmp_path, LOOKUP_RATE_LIMIT="3 per minute"))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    represent.add("K1P5G4")
    client = app.test_client()
    statuses = [lookup_once(client).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    response = lookup_once(client)
    page = response.get_data(as_text=True)
    assert "Too many requests" in page and "Please try again in" in page
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def _limited_app(tmp_path, hops: int):
    app = create_app(test_config(tmp_path, LOOKUP_RATE_LIMIT="1 per minute", PROXY_HOPS=hops))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    return app


def test_a_forged_forwarded_for_does_not_escape_the_limit(tmp_path, represent):
    represent.add("K1P5G4")
    client = _limited_app(tmp_path, hops=0).test_client()
    assert lookup_once(client, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 303
    assert lookup_once(client, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


def test_behind_a_configured_proxy_each_client_has_its_own_limit(tmp_path, represent):
    represent.add("K1P5G4")
    client = _limited_app(tmp_path, hops=1).test_client()
    assert lookup_once(client, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 303
    assert lookup_once(client, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 303
    assert lookup_once(client, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429


def test_rate_limits_never_store_a_client_address(app):
    from advocacy.extensions import client_key

    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        key = client_key()
    assert "203.0.113.9" not in key and len(key) == 24
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.10"}):
        assert client_key() != key


BAD_HOSTS = [
    "a" * 64 + ".example",  # a label over 63 characters: IDNA refuses it
    "a..b",
    ".example.org",
    "..",
    "example.org:99999999",
    "example.org:0",
    "example.org:",
    "example.org:80:80",
    "exa mple.org",
    "example.org/path",
    "user@example.org",
    "exämple.org",  # raw non-ASCII: browsers send xn--
    "\u2603.example",
    "[::1",
    "[not-an-address]",
    "[::1]x",
    ("a" * 60 + ".") * 5 + "org",  # over 253 characters
    "example.org,evil.example",  # two Host headers joined
]
GOOD_HOSTS = [
    "localhost",
    "127.0.0.1:5000",
    "advocacy.example",
    "advocacy.example.",
    "xn--bcher-kva.example",
    "a" * 63 + ".example:443",
    "[::1]:8080",
    "[2001:db8::1]",
]


def test_a_malformed_host_gets_a_plain_bad_request(client):
    for host in BAD_HOSTS:
        for url in ["/", f"/c/{DEMO_SLUG}/", "/nowhere", "/admin/"]:
            response = client.get(url, headers={"Host": host})
            assert response.status_code == 400, (host, url)
            assert response.mimetype == "text/plain"
            assert "Host header" in response.get_data(as_text=True)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_malformed_host_is_refused_for_posts_too(client):
    response = client.post(f"/c/{DEMO_SLUG}/lookup", headers={"Host": "a" * 64}, data={"x": "1"})
    assert response.status_code == 400


def test_well_formed_hosts_are_served(client):
    for host in GOOD_HOSTS:
        response = client.get(f"/c/{DEMO_SLUG}/", headers={"Host": host})
        assert response.status_code == 200, host
        assert "csrf_token" in response.get_data(as_text=True)


def test_a_request_without_a_host_header_is_served(app):
    environ = EnvironBuilder(
        path="/", environ_overrides={"SERVER_PROTOCOL": "HTTP/1.0"}
    ).get_environ()
    del environ["HTTP_HOST"]  # HTTP/1.0 clients may send none: the server's name is used
    _, status, _ = run_wsgi_app(app.wsgi_app, environ)
    assert status.startswith("200")


def test_behind_a_proxy_a_malformed_forwarded_host_is_refused(tmp_path):
    app = create_app(test_config(tmp_path, PROXY_HOPS=1))
    response = app.test_client().get(
        "/", headers={"X-Forwarded-Host": "a" * 64 + ".example", "X-Forwarded-For": "203.0.113.9"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["xn--zz", "xn--.example", "xn--a.example", "xn---"])
def test_a_host_that_is_not_punycode_is_refused(app, host):
    # werkzeug's test client cannot even build such a request: the environ is made by hand.
    assert not valid_host(host)
    environ = EnvironBuilder(path="/admin/").get_environ()
    environ["HTTP_HOST"] = host
    _, status, _ = run_wsgi_app(app.wsgi_app, environ)
    assert status.startswith("400")


def test_valid_host_accepts_what_browsers_send():
    assert all(valid_host(host) for host in GOOD_HOSTS)
    assert not any(valid_host(host) for host in BAD_HOSTS)
