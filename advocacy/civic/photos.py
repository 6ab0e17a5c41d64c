"""Officials' photos, fetched by the server so that a supporter's browser never contacts a
third-party site (which would learn their IP address and whose page they were looking at).

A photo address comes from a provider, so from outside: fetching it must not let an upstream
(or whoever poisons one) make this server reach its own network (SSRF). Three rules:

- **Hosts.** Only the providers' photo hosts (``hosts``, default :data:`DEFAULT_PHOTO_HOSTS`).
  The UK's come from one host. Represent's come from hundreds of Canadian federal, provincial
  and municipal sites (``www.ourcommons.ca``, ``www.assnat.qc.ca``, ``ottawa.ca``... in the
  recorded answers) and Open States' from the state legislatures' own sites, so those are
  allowed by domain (``.ca``; ``.gov`` and ``.us``): any public host under them, never a
  private one. A photo elsewhere is simply not shown.
- **Addresses.** Never a private, loopback, link-local, multicast, reserved or unspecified
  address (:func:`is_public`). Names are resolved when the connection is made
  (:class:`PublicOnlyAdapter`): every address the name resolves to is checked, the request is
  refused if any is not public, and the socket connects to the checked address itself. There is
  no second resolution for a DNS-rebinding answer to slip into, at the cost of resolving in our
  own code rather than urllib3's. No proxy is used (its address is what would be checked).
- **Redirects.** Not followed by requests: each hop is checked as above, at most
  :data:`MAX_REDIRECTS`.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from . import checks
from .errors import UpstreamUnavailable

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# A name is an exact host; ".name" is any host under that domain; "*" is any public host.
DEFAULT_PHOTO_HOSTS: tuple[str, ...] = (
    "members-api.parliament.uk",  # UK: the Members API's thumbnails
    ".ca",  # Represent: Canadian federal, provincial and municipal sites
    ".gov",  # Open States: state legislatures (and Congress)
    ".us",  # Open States: state legislatures under state.xx.us
)
MAX_REDIRECTS = 3
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


# -- addresses ----------------------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address: not private, loopback, link-local,
    multicast, reserved or unspecified (nor an IPv6 form of such an IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class NonPublicAddress(NewConnectionError):
    """A photo host that is, or resolves to, an address that is not public."""


def _ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")


def public_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo(host, port)``, when every address it gives is public; ValueError
    naming the first that is not otherwise (one bad answer is enough to refuse the name)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = _ip(info[4][0])
        if not is_public(address):
            raise ValueError(f"{host} resolves to {address}, not a public address")
    if not infos:
        raise ValueError(f"{host} resolves to nothing")
    return infos


class _PublicOnly:
    """urllib3 connection mix-in: resolve, check every address, connect to a checked one."""

    def _new_conn(self) -> socket.socket:
        try:
            infos = public_addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except ValueError as exc:
            raise NonPublicAddress(self, str(exc)) from exc
        error: OSError | None = None
        for info in infos:
            try:
                # An address literal: create_connection does no DNS lookup of its own.
                return urllib3_connection.create_connection(
                    (str(_ip(info[4][0])), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


class _HTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _HTTPSConnection(_PublicOnly, HTTPSConnection):
    pass  # TLS still checks the certificate against the host name, not the address


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections only ever reach public addresses."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL("photos are never fetched through a proxy")


def photo_session(user_agent: str = "") -> requests.Session:
    """A session for photos: public addresses only, no proxy from the environment, no retry."""
    session = requests.Session()
    session.trust_env = False
    adapter = PublicOnlyAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session


# -- the cache ----------------------------------------------------------------------------------


def host_allowed(host: str, hosts: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``hosts`` (see :data:`DEFAULT_PHOTO_HOSTS` for the forms)."""
    host = host.rstrip(".").lower()
    for entry in hosts:
        entry = entry.lower()
        if entry == "*" or host == entry.lstrip(".") or (entry[:1] == "." and host.endswith(entry)):
            return True
    return False


class PhotoCache:
    """A small in-memory LRU of fetched photos (they are public and change rarely).

    ``session`` lends only its User-Agent: photos go through their own session
    (:func:`photo_session`). ``get`` raises UpstreamUnavailable for any refusal or failure."""

    def __init__(
        self,
        session: requests.Session | None,
        timeout: float,
        max_bytes: int = 512 * 1024,
        entries: int = 512,
        hosts: Iterable[str] = DEFAULT_PHOTO_HOSTS,
    ) -> None:
        user_agent = str(session.headers.get("User-Agent", "")) if session is not None else ""
        self.session = photo_session(user_agent)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.entries = entries
        self.hosts = tuple(hosts)
        self._items: OrderedDict[str, Photo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> Photo:
        with self._lock:
            if url in self._items:
                self._items.move_to_end(url)
                return self._items[url]
        photo = self._fetch(url)
        with self._lock:
            self._items[url] = photo
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return photo

    def check(self, url: Any) -> str:
        """``url`` if it may be fetched: http(s), an allowed host, not a non-public address
        literal (names are checked when connecting). UpstreamUnavailable otherwise."""
        clean = checks.web_url(url)
        if not clean:
            raise UpstreamUnavailable("photo refused: not a web address")
        host = urlsplit(clean).hostname or ""
        try:
            literal: IPAddress | None = _ip(host)
        except ValueError:
            literal = None
        if literal is not None and not is_public(literal):
            raise UpstreamUnavailable(f"photo refused: {literal} is not a public address")
        if not host_allowed(host, self.hosts):
            raise UpstreamUnavailable(f"photo refused: {host} is not a photo host")
        return clean

    def _fetch(self, url: str) -> Photo:
        target = self.check(url)
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                with self.session.get(
                    target,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                    headers={"Accept": "image/*"},
                ) as response:
                    if response.status_code in _REDIRECTS:
                        target = self.check(urljoin(target, response.headers.get("Location", "")))
                        continue
                    return self._read(response)
        except requests.ConnectionError as exc:
            if any(isinstance(e, NonPublicAddress) for e in _causes(exc)):
                raise UpstreamUnavailable("photo refused: not a public address") from exc
            raise UpstreamUnavailable(f"photo failed: {exc.__class__.__name__}") from exc
        except requests.RequestException as exc:
            raise UpstreamUnavailable(f"photo failed: {exc.__class__.__name__}") from exc
        raise UpstreamUnavailable("photo refused: too many redirects")

    def _read(self, response: requests.Response) -> Photo:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if response.status_code != 200 or content_type not in IMAGE_TYPES:
            raise UpstreamUnavailable(f"photo answered {response.status_code}")
        data = b""
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > self.max_bytes:
                raise UpstreamUnavailable("photo too large")
        return Photo(content_type, data)


def _causes(exc: BaseException) -> Iterable[BaseException]:
    """``exc``, its arguments and its reasons: requests wraps urllib3's error in MaxRetryError."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo and len(seen) < 10:
        item = todo.pop()
        if isinstance(item, BaseException) and item not in seen:
            seen.append(item)
            todo.extend(item.args)
            todo.extend(x for x in (getattr(item, "reason", None), item.__cause__) if x)
    return seen
