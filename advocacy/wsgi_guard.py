"""Requests refused before Flask sees them: those with a malformed ``Host`` header.

Flask binds its URL map to the request's host, and werkzeug IDNA-encodes it to do so. A host
the codec refuses (a label over 63 characters, an empty label as in ``a..b``) leaves the
request without a URL adapter: every ``url_for`` then fails, the error page's too, and the
client gets a 500 with a traceback in the log. Such a request is answered here, before any
routing, with a plain 400 that needs neither a template nor a URL.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from werkzeug.urls import uri_to_iri

# What RFC 1123 allows in a label, plus "_" (some internal host names use it). Only ASCII:
# browsers send internationalised names already encoded (xn--...).
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")
_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]+)\]")
_PORT = re.compile(r"[0-9]{1,5}")
HOST_MAX = 253  # characters of a whole DNS name

_BODY = b"Bad Request: the Host header is not a valid host name.\n"
_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_BODY))),
    # The same protection the app's own pages get (views/security.py), for this page too.
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
]


@lru_cache(maxsize=256)
def valid_host(value: str) -> bool:
    """Whether a ``Host`` header value is ``host[:port]`` that werkzeug can bind URLs to.
    Kept per value (issue 13): a server answers for the same few host names all day."""
    if value == "":
        return True  # allowed by RFC 9110 (no authority); werkzeug then uses no host
    if not value.isascii():
        return False
    name, port = value, ""
    if value.startswith("["):
        match = _IPV6.match(value)
        if match is None:
            return False
        rest = value[match.end() :]
        if rest and not rest.startswith(":"):
            return False
        try:
            ipaddress.IPv6Address(match.group(1))
        except ValueError:
            return False
        return not rest or _valid_port(rest[1:])
    if ":" in value:
        name, _, port = value.partition(":")
        if not _valid_port(port):
            return False
    return _valid_name(name)


def _valid_port(port: str) -> bool:
    return bool(_PORT.fullmatch(port)) and 1 <= int(port) <= 65535


def _valid_name(name: str) -> bool:
    if len(name) > HOST_MAX:
        return False
    labels = name.removesuffix(".").split(".")  # "example.org." is a valid absolute name
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    try:
        # The very steps werkzeug takes: IDNA-encoding in Map.bind (URL building), and
        # decoding "xn--" labels in uri_to_iri (request.url, e.g. for the login redirect).
        name.encode("idna")
        uri_to_iri(f"http://{name}/")
    except (UnicodeError, ValueError, IndexError):
        return False
    return True


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class HostGuard:
    """WSGI middleware: a plain 400 for a request whose ``Host`` header is malformed."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Without a Host header (HTTP/1.0) werkzeug falls back to the server's own name.
        host = environ.get("HTTP_HOST")
        if host is not None and not valid_host(host):
            start_response("400 Bad Request", list(_HEADERS))
            return [_BODY]
        return self.app(environ, start_response)
