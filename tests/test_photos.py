"""Officials' photos are fetched by the server, so a photo address from a hostile or broken
upstream must not make the server reach its own network (SSRF): only the providers' photo
hosts, only public addresses (checked after DNS, on the connection itself), no redirect to
anything else. A real image server on 127.0.0.1 stands for the private service an attacker
would aim at: without the checks, these requests would fetch its image."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from advocacy import civic
from advocacy.civic import photos
from advocacy.civic.photos import DEFAULT_PHOTO_HOSTS, PhotoCache, is_public, public_addresses

JPEG = b"\xff\xd8\xff jpeg"
PUBLIC_PHOTO = "https://www.ourcommons.ca/Content/Parliamentarians/Images/Placeholder.jpg"
UK_PHOTO = "https://members-api.parliament.uk/api/Members/90001/Thumbnail"


class _ImageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(JPEG)))
        self.end_headers()
        self.wfile.write(JPEG)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def internal() -> Iterator[ThreadingHTTPServer]:
    """An image server on loopback: the "internal service" nothing may reach."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def port(server: ThreadingHTTPServer) -> int:
    return server.server_address[1]


@pytest.fixture
def resolve_to(monkeypatch):
    """Make chosen host names resolve to chosen addresses (everything else: no such name)."""
    table: dict[str, list[str]] = {}

    def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        try:
            ipaddress.ip_address(str(host))
            addresses = [str(host)]  # a literal resolves to itself, as the real one does
        except ValueError:
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = table[host]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return table


def refused(cache: PhotoCache, url: str) -> str:
    with pytest.raises(civic.UpstreamUnavailable) as caught:
        cache.get(url)
    return caught.value.reason


# -- what works ---------------------------------------------------------------------------------


def test_a_public_photo_is_fetched_and_kept(upstream):
    upstream.get(PUBLIC_PHOTO, body=JPEG, content_type="image/jpeg")
    cache = PhotoCache(None, timeout=1.0)
    assert cache.get(PUBLIC_PHOTO) == photos.Photo("image/jpeg", JPEG)
    assert cache.get(PUBLIC_PHOTO).data == JPEG
    assert len(upstream.calls) == 1  # the second answer came from memory


def test_the_default_hosts_cover_every_recorded_photo(upstream):
    for url in (PUBLIC_PHOTO, UK_PHOTO, "https://ottawa.ca/sites/default/files/mayor.jpg",
                "https://www.assnat.qc.ca/Media/Photos/placeholder.jpg",
                "https://www.legis.state.pa.us/images/members/placeholder.jpg",
                "https://www.house.mo.gov/MemberPhoto.aspx?id=1"):  # fmt: skip
        upstream.get(url, body=JPEG, content_type="image/png")
        assert PhotoCache(None, timeout=1.0).get(url).content_type == "image/png", url


def test_a_redirect_to_another_photo_host_is_followed(upstream):
    upstream.get(PUBLIC_PHOTO, status=302, headers={"Location": UK_PHOTO})
    upstream.get(UK_PHOTO, body=JPEG, content_type="image/jpeg")
    assert PhotoCache(None, timeout=1.0).get(PUBLIC_PHOTO).data == JPEG


def test_the_user_agent_is_the_apps(upstream):
    upstream.get(PUBLIC_PHOTO, body=JPEG, content_type="image/jpeg")
    session = requests.Session()
    session.headers["User-Agent"] = "Advocacy-test/1"
    PhotoCache(session, timeout=1.0).get(PUBLIC_PHOTO)
    assert upstream.calls[0].request.headers["User-Agent"] == "Advocacy-test/1"


# -- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/photo.jpg",
        "http://127.1:{port}/photo.jpg",
        "http://2130706433:{port}/photo.jpg",
        "http://localhost:{port}/photo.jpg",
        "http://[::1]:{port}/photo.jpg",
        "http://[::ffff:127.0.0.1]:{port}/photo.jpg",
        "http://0.0.0.0:{port}/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/photo.jpg",
        "http://192.168.1.1/photo.jpg",
        "http://172.16.0.1/photo.jpg",
        "http://100.64.0.1/photo.jpg",
        "http://224.0.0.1/photo.jpg",
        "http://[fe80::1]/photo.jpg",
        "http://[fc00::1]/photo.jpg",
    ],
)
def test_private_and_loopback_addresses_are_refused_even_with_every_host_allowed(
    internal, upstream, url
):
    url = url.format(port=port(internal))
    if str(port(internal)) in url:
        upstream.add_passthru(url)  # loopback: let it through to a real connection
    reason = refused(PhotoCache(None, timeout=1.0, hosts=("*",)), url)
    assert "not a public address" in reason
    assert internal.hits == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/photo.jpg",
        "http://localhost:{port}/photo.jpg",
        "http://[::1]:{port}/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/photo.jpg",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(internal, url):
    refused(PhotoCache(None, timeout=1.0), url.format(port=port(internal)))
    assert internal.hits == 0


def test_a_host_name_that_resolves_to_loopback_is_refused(internal, upstream, resolve_to):
    resolve_to["photos.ourcommons.ca"] = ["127.0.0.1"]
    url = f"http://photos.ourcommons.ca:{port(internal)}/photo.jpg"
    upstream.add_passthru(url)  # a real connection: the check is on the connection itself
    reason = refused(PhotoCache(None, timeout=1.0), url)
    assert "not a public address" in reason
    assert internal.hits == 0


def test_a_name_with_any_private_address_is_refused(resolve_to):
    resolve_to["mixed.example.ca"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(ValueError, match=r"10\.0\.0\.7, not a public address"):
        public_addresses("mixed.example.ca", 443)
    resolve_to["public.example.ca"] = ["93.184.216.34", "2606:4700::6810:85e5"]
    assert len(public_addresses("public.example.ca", 443)) == 2


def test_a_redirect_to_loopback_is_refused(internal, upstream):
    target = f"http://127.0.0.1:{port(internal)}/photo.jpg"
    upstream.get(PUBLIC_PHOTO, status=302, headers={"Location": target})
    reason = refused(PhotoCache(None, timeout=1.0, hosts=("*",)), PUBLIC_PHOTO)
    assert "not a public address" in reason
    assert internal.hits == 0


def test_a_redirect_to_a_name_that_resolves_to_loopback_is_refused(internal, upstream, resolve_to):
    resolve_to["cdn.ourcommons.ca"] = ["127.0.0.1"]
    target = f"http://cdn.ourcommons.ca:{port(internal)}/photo.jpg"
    upstream.get(PUBLIC_PHOTO, status=301, headers={"Location": target})
    upstream.add_passthru(target)
    assert "not a public address" in refused(PhotoCache(None, timeout=1.0), PUBLIC_PHOTO)
    assert internal.hits == 0


def test_a_redirect_off_the_photo_hosts_is_refused(upstream):
    upstream.get(PUBLIC_PHOTO, status=302, headers={"Location": "https://tracker.example.com/x"})
    upstream.get("https://tracker.example.com/x", body=JPEG, content_type="image/jpeg")
    assert "not a photo host" in refused(PhotoCache(None, timeout=1.0), PUBLIC_PHOTO)


def test_redirects_are_not_followed_forever(upstream):
    upstream.get(PUBLIC_PHOTO, status=302, headers={"Location": PUBLIC_PHOTO})
    assert "too many redirects" in refused(PhotoCache(None, timeout=1.0), PUBLIC_PHOTO)
    assert len(upstream.calls) == photos.MAX_REDIRECTS + 1


def test_a_host_that_is_not_a_photo_host_is_refused(upstream):
    url = "https://evil.example.com/photo.jpg"
    upstream.get(url, body=JPEG, content_type="image/jpeg")
    assert "not a photo host" in refused(PhotoCache(None, timeout=1.0), url)
    assert not upstream.calls
    # A look-alike is not under an allowed domain.
    assert "not a photo host" in refused(PhotoCache(None, timeout=1.0), "https://evilca/x.jpg")


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "ftp://www.ourcommons.ca/x.jpg", "", 42, None],
)
def test_what_is_not_a_web_address_is_refused(url):
    assert "not a web address" in refused(PhotoCache(None, timeout=1.0), url)


def test_what_is_not_an_image_is_refused(upstream):
    upstream.get(PUBLIC_PHOTO, body="<svg onload=alert(1)>", content_type="image/svg+xml")
    refused(PhotoCache(None, timeout=1.0), PUBLIC_PHOTO)


def test_no_proxy_from_the_environment_is_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    assert PhotoCache(None, timeout=1.0).session.trust_env is False


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::6810:85e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),  # multicast, which ipaddress counts as global
        ("0.0.0.0", False),  # noqa: S104 -- an address to judge, not to bind
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("fec0::1", False),  # site-local
        ("64:ff9b::7f00:1", False),  # NAT64 around 127.0.0.1
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_the_default_hosts_are_a_module_constant():
    assert PhotoCache(None, timeout=1.0).hosts == DEFAULT_PHOTO_HOSTS
    assert "*" not in DEFAULT_PHOTO_HOSTS
