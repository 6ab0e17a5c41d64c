"""Serving the app: gunicorn for production (``advocacy serve``), and the development server's
request log (``advocacy run``), neither of which logs a client address.

Why threads: a lookup can hold its request for up to ``ADVOCACY_LOOKUP_DEADLINE`` seconds
while the upstream hangs. Under sync workers each such lookup takes a whole process, so two
slow lookups stalled two workers and the home page. gunicorn's ``gthread`` workers give each
process a pool of threads: a waiting lookup holds one thread (it sleeps on a socket, releasing
the GIL) and the other threads keep answering. gevent would need monkeypatching of every
library the app uses (SQLAlchemy's drivers, requests, redis), which threads do not.

Why the access log names nobody: it is kept, rotated and shipped, often next to a proxy's or a
firewall's logs. A line with an address next to ``POST /c/<slug>/sent/<official>`` says who
wrote to whom. So the log has no address, no forwarded-for header, no referrer, no user agent
and no query string, and the path shows the route with only its public parts (the campaign's
slug, a static file's name, an organizer page's numbers): official keys and tokens become ``-``.
Status, size and duration by route are what an operator needs from it.

This module imports gunicorn; only the ``serve`` and ``run`` commands import it, so app
workers and other commands do not pay for it.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, request
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map
from werkzeug.serving import WSGIRequestHandler

# Used when the configuration has no SERVE_* key (see docs/deploy.md for how to choose).
DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8
DEFAULT_TIMEOUT = 30.0  # seconds; raised to stay above LOOKUP_DEADLINE
MAX_REQUESTS = 5000  # a worker is replaced after this many requests (bounds slow leaks)
MAX_REQUESTS_JITTER = 500  # so that workers are not all replaced at the same moment
KEEPALIVE = 5  # seconds an idle keep-alive connection is kept (behind a proxy)
# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and each
# arena keeps freed memory for itself: with 8 threads a worker grew about 4 MB more under
# load than with 2 arenas (issue 13, bench/memory.py). The GIL serialises Python's
# allocations anyway, so more arenas buy little. MALLOC_ARENA_MAX in the environment wins.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h

# Time, request (method and path as logged), status, bytes, milliseconds, worker. No %(h)s
# (address), %(f)s (referrer), %(a)s (user agent), %(q)s (query) nor any {header}i atom.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %(p)s'

# Path arguments shown in the access log; every other argument (an official's key, a
# confirmation or status token, a photo token) is shown as "-". New routes are safe by default.
PUBLIC_ARGUMENTS = frozenset({"slug", "filename", "campaign_id", "letter_id", "template_id", "by"})
NO_ROUTE = "(no route)"  # the path of a request that matched no route is not logged at all

URL_MAP_KEY = "advocacy.url_map"  # environ key by which the access logger finds the routes
ROUTE_KEY = "advocacy.logged_route"  # environ key: the matched route as the log shows it
_PLACEHOLDER = re.compile(r"<(?:[a-zA-Z_]\w*(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")


def loggable_path(url_map: Map | None, method: str, path: str) -> str:
    """The path as the access log shows it: the matched route, with only its public
    arguments filled in (see PUBLIC_ARGUMENTS)."""
    if url_map is None:
        return NO_ROUTE
    adapter = url_map.bind("localhost")
    try:
        try:
            rule, arguments = adapter.match(path, method, return_rule=True)
        except MethodNotAllowed as exc:
            # The route exists for another method: name the route all the same.
            methods = sorted(exc.valid_methods or ["GET"])
            rule, arguments = adapter.match(path, methods[0], return_rule=True)
    except HTTPException:  # no route, or a redirect (a missing slash)
        return NO_ROUTE
    return _filled(rule.rule, arguments)


def _filled(rule: str, arguments: Mapping[str, Any]) -> str:
    """A route's rule with only its public arguments filled in."""

    def fill(placeholder: re.Match[str]) -> str:
        name = placeholder.group(1)
        return str(arguments[name]) if name in PUBLIC_ARGUMENTS and name in arguments else "-"

    return _PLACEHOLDER.sub(fill, rule)


class PrivateLogger(Logger):
    """gunicorn's logger, without client addresses, headers or supporters' paths."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        method = str(environ.get("REQUEST_METHOD", "-"))
        # The route Flask matched, as the request left it; else (no route, a method the route
        # does not take, an answer before routing) matched again here.
        path = environ.get(ROUTE_KEY) or loggable_path(
            environ.get(URL_MAP_KEY), method, environ.get("PATH_INFO", "/")
        )
        # Keep only the atoms that say nothing about the person: request headers ({x}i, with
        # X-Forwarded-For and Cookie) and environ values ({x}e) are dropped, so a format that
        # names them logs "-"; so do %(h)s, %(f)s and %(a)s.
        kept = {k: v for k, v in atoms.items() if not k.startswith("{")}
        kept.update(
            h="-",
            u="-",
            f="-",
            a="-",
            q="",
            U=path,
            r=f"{method} {path} {environ.get('SERVER_PROTOCOL', '-')}",
        )
        return kept

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(isinstance(f, _ErrorLogScrubber) for f in self.error_log.filters):
            self.error_log.addFilter(_ErrorLogScrubber())


class _ErrorLogScrubber(logging.Filter):
    """Removes the client address and the path from gunicorn's own error lines ("Invalid
    request from ip=...", "Error handling request <path>")."""

    _ip = re.compile(r"ip=\S*?(?=: |\s|$)")  # up to gunicorn's ": " (IPv6 has colons)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            if record.msg.startswith("Error handling request") and record.args:
                record.msg, record.args = "Error handling request (path not logged)", ()
            elif "ip=" in record.msg:
                record.msg = self._ip.sub("ip=-", record.getMessage())
                record.args = ()
        return True


class _RoutesForTheLog:
    """WSGI wrapper that lets the access logger (which runs after the response) find the
    app's routes, to log the route rather than the raw path."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url_map = app.url_map

        def remember_route() -> None:
            # Issue 13: the route Flask just matched, for the log line, instead of matching
            # the path against the URL map a second time (half of a log line's cost).
            if request.url_rule is not None:
                request.environ[ROUTE_KEY] = _filled(request.url_rule.rule, request.view_args or {})

        # First of the app's hooks, so that a hook answering early is logged by its route too.
        app.before_request_funcs.setdefault(None, []).insert(0, remember_route)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        environ[URL_MAP_KEY] = self.url_map
        return self.app(environ, start_response)


def gunicorn_settings(
    config: Mapping[str, Any],
    bind: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """gunicorn's settings for this app: options given on the command line, else the app's
    SERVE_* settings, else the defaults above."""
    deadline = float(config.get("LOOKUP_DEADLINE", 10.0))
    timeout = float(config.get("SERVE_TIMEOUT", DEFAULT_TIMEOUT))
    return {
        "bind": [bind or config.get("SERVE_BIND") or DEFAULT_BIND],
        "workers": workers or int(config.get("SERVE_WORKERS", DEFAULT_WORKERS)),
        "worker_class": "gthread",
        "threads": threads or int(config.get("SERVE_THREADS", DEFAULT_THREADS)),
        # A worker silent this long is killed: never less than a lookup may take, with room.
        "timeout": math.ceil(max(timeout, deadline + 10)),
        # On a restart or a recycle, requests in flight (a lookup, at worst) may finish.
        "graceful_timeout": math.ceil(deadline + 5),
        "keepalive": KEEPALIVE,
        "max_requests": MAX_REQUESTS,
        "max_requests_jitter": MAX_REQUESTS_JITTER,
        # Each worker builds its own app (its own database pool and HTTP session) after the
        # fork, rather than sharing connections made before it.
        "preload_app": False,
        "accesslog": "-",  # standard output
        "errorlog": "-",  # standard error
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": PrivateLogger,
        "loglevel": "info",
        # ADVOCACY_PROXY_HOPS alone decides which forwarded headers are believed (ProxyFix in
        # the app); gunicorn believes none of its own accord.
        "forwarded_allow_ips": "",
        # No runtime control socket in the home directory: nothing here needs one.
        "control_socket_disable": True,
        "proc_name": "advocacy",
    }


class Server(BaseApplication):
    """gunicorn running the app that ``app_factory`` builds, once in each worker."""

    def __init__(self, app_factory: Callable[[], Flask], settings: Mapping[str, Any]) -> None:
        self.app_factory = app_factory
        self.settings = dict(settings)
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> Callable:
        # In the worker, before its threads start and allocate.
        limit_malloc_arenas()
        return _RoutesForTheLog(self.app_factory())


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas in this process (see MALLOC_ARENAS); False where the C
    library has no such setting (musl, macOS) or MALLOC_ARENA_MAX is set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt(_M_ARENA_MAX, arenas) == 1


def serve(app_factory: Callable[[], Flask], settings: Mapping[str, Any]) -> None:
    """Run gunicorn in this process until it is stopped (SIGTERM: graceful; SIGINT: quick)."""
    # The workers are forked from this process, which has imported the app (to check its
    # settings): its objects are shared with them, copy-on-write. Frozen, the garbage
    # collector no longer walks (and so writes to) them in each worker, and they stay shared.
    gc.collect()
    gc.freeze()
    Server(app_factory, settings).run()


class PrivateRequestHandler(WSGIRequestHandler):
    """The development server's request handler, whose log lines start with "-" instead of
    the client's address. The path is kept: this log is on a developer's own screen."""

    def address_string(self) -> str:
        return "-"
