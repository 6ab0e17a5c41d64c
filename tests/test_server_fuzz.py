"""Raw requests against a real server process: whatever arrives, no 5xx and no traceback.

The hypothesis fuzz (test_fuzz.py) varies field values through the test client, which never
sends what a real client can: a malformed Host, bad UTF-8 in the path, a Content-Length that
lies, a body over the limit. This one starts the app in its own process (tests/serve_app.py),
on 127.0.0.1 only, and sends it a few thousand requests written byte by byte on sockets: every
route of the app filled with random, huge and non-ASCII values, random methods, missing, forged
and real CSRF tokens, anonymous and as a logged-in organizer. It is seeded (FUZZ_SEED, printed
on failure with the failing requests) and bounded in time.

Represent points at a closed loopback port, so lookups fail at once with the app's own 503
page ("We cannot look up officials right now"): that page is the one 5xx allowed.
"""

from __future__ import annotations

import os
import random
import re
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from advocacy import create_app

from .conftest import DEMO_SLUG, test_config
from .servers import ServerProcess, start_test_app

FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261126"))
REQUESTS = 3000
TIME_BUDGET = 50.0  # seconds of sending; the count reached is asserted below
MIN_REQUESTS = 1500  # even on a slow machine
MAX_BODY = 64 * 1024  # the app's MAX_CONTENT_LENGTH default
ORGANIZER = ("organizer@example.org", "correct horse battery staple")
# The app's own, friendly 503 pages: the upstream is unreachable on purpose, or its budget spent.
FRIENDLY_503 = ("We cannot look up officials right now", "Many people are writing right now")
SOCKET_TIMEOUT = 10.0


# -- the server process ---------------------------------------------------------------------------


def start_server(directory: Path) -> ServerProcess:
    lots = "1000000 per minute"
    settings = {
        "REPRESENT_URL": "http://127.0.0.1:9",  # nothing listens: lookups fail fast
        "HTTP_RETRIES": 0,
        "LOOKUP_DEADLINE": 2.0,
        "LOOKUP_RATE_LIMIT": lots,
        "SEND_RATE_LIMIT": lots,
        "LOGIN_RATE_LIMIT": lots,
        "SMTP_URL": "smtp://127.0.0.1:9",
        "MAIL_FROM": "letters@advocacy.example",
    }
    return start_test_app(directory, settings, lifetime=180, organizer=ORGANIZER)


# -- raw HTTP -------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (the connection was closed or reset first)
    headers: dict[str, list[str]]
    body: bytes


def exchange(port: int, raw: bytes, half_close: bool = False) -> Answer:
    """Send ``raw`` as is and read one answer, as far as its Content-Length says (a server
    may keep reading a request body nobody wanted, so the end of the stream may come late)."""
    head_only = raw.startswith(b"HEAD ")
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            if half_close:  # a Content-Length that promises more: the server sees the end
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # e.g. a 413 sent and the connection closed before the whole body went
        try:
            while not _complete(data, head_only) and (chunk := sock.recv(65536)):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not match:
        return Answer(0, {}, data)
    return Answer(int(match.group(1)), _headers(head), body)


def _headers(head: bytes) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def _complete(data: bytes, head_only: bool) -> bool:
    head, found, body = data.partition(b"\r\n\r\n")
    if not found:
        return False
    length = _headers(head).get("content-length")
    if head_only or re.match(rb"HTTP/1\.[01] (1\d\d|204|304)", head):
        return True
    return length is not None and length[0].isdigit() and len(body) >= int(length[0])


@dataclass
class Client:
    """A browser's cookies and the CSRF tokens it was given."""

    cookies: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def remember(self, answer: Answer) -> None:
        for header in answer.headers.get("set-cookie", []):
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value and "expires=Thu, 01 Jan 1970" not in header:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        for token in re.findall(rb'name="csrf_token" type="hidden" value="([^"]+)"', answer.body):
            self.tokens = [token.decode(), *self.tokens[:4]]

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def build_request(
    method: str, target: bytes, host: str | None, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    lines = [method.encode("latin-1") + b" " + target + b" HTTP/1.1"]
    if host is not None:
        lines.append(b"Host: " + host.encode("utf-8", "surrogateescape"))
    lines += [f"{k}: {v}".encode("utf-8", "surrogateescape") for k, v in headers]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def log_in(port: int) -> Client:
    client = Client()
    host = f"127.0.0.1:{port}"
    page = exchange(port, build_request("GET", b"/admin/login", host, [], b""))
    client.remember(page)
    assert client.tokens, "no CSRF token on the login page"
    form = (
        f"csrf_token={quote(client.tokens[0])}&email={quote(ORGANIZER[0])}"
        f"&password={quote(ORGANIZER[1])}&next="
    ).encode()
    headers = [
        ("Cookie", client.cookie_header()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", str(len(form))),
    ]
    answer = exchange(port, build_request("POST", b"/admin/login", host, headers, form))
    assert answer.status == 302, answer.status
    client.remember(answer)
    return client


# -- what to send ---------------------------------------------------------------------------------

HUGE_INTS = ["99999999999999999999", str(2**63), str(2**63 - 1), "9" * 40, "-1", "0", "1e9"]
HOSTS = [
    "a" * 64 + ".example",
    "a..b",
    "..",
    "",
    "127.0.0.1:99999999",
    "127.0.0.1:0",
    "exämple.org",
    "\u2603.example",
    "[::1",
    "[::1]:8080",
    "a b",
    "example.org,127.0.0.1",
    "xn--.example",
    "xn--zz",
    "localhost.",
    "x" * 300,
    "%00",
]
LANGUAGES = ["zh", "zh-Hant", "zh-TW,zh;q=0.9", "zh-CN,zh;q=0.9", "*", "fr;q=abc", ";;;", "x" * 500]
FIELDS = [
    "postcode",
    "template_id",
    "subject",
    "body",
    "name",
    "city",
    "email",
    "token",
    "started",
    "show_postcode",
    "official",
    "decision",
    "delivery",
    "title",
    "slug",
    "goal",
    "position",
    "language",
    "applies_to",
    "editing",
    "provider",
    "target_offices",
    "status",
    "target_mode",
    "password",
    "next",
    "keep_informed",
    "sign",
    "from",
    "to",
    "sort",
]


def random_text(rng: random.Random, limit: int = 40) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        return "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([8, 16, 32, 64])))
    if kind == 1:
        return rng.choice(HUGE_INTS)
    if kind == 2:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, limit)))
    if kind == 3:
        return rng.choice(["K1P 5G4", "K1P5G4", "SW1A 1AA", "90210", "A1A1A1", "k0k0k0"])
    if kind == 4:
        return "A" * rng.choice([200, 2000, 20000])
    if kind == 5:
        return rng.choice(
            ["", " ", "..", "../..", "%", "\x00", "<script>", "{{ 7*7 }}", "\r\nX: y"]
        )
    if kind == 6:
        return "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(rng.randrange(1, 20))
        )
    return "".join(chr(rng.randrange(0, 0x80)) for _ in range(rng.randrange(1, limit)))


def path_part(rng: random.Random, value: str) -> bytes:
    """A value in a path: percent-encoded, raw UTF-8, or raw bytes that are not UTF-8."""
    choice = rng.randrange(6)
    if choice == 0:
        return value.encode("utf-8", "surrogatepass").replace(b" ", b"%20").replace(b"\r", b"")
    if choice == 1:
        return b"%ff%fe" + quote(value, safe="").encode()
    if choice == 2:
        return b"\xff\xfe\xc3"
    return quote(value, safe="").encode()


def fill(rng: random.Random, rule) -> bytes:
    """The rule's path with each part set to something plausible, huge or wrong."""
    pieces = re.split(r"(<[^>]+>)", rule.rule)
    out = b""
    for piece in pieces:
        if not piece.startswith("<"):
            out += piece.encode()
            continue
        name = piece.strip("<>").split(":")[-1]
        if "int:" in piece:
            value = rng.choice(["1", "1", "2", *HUGE_INTS])  # the demo campaign is 1
            out += value.encode()
        elif "any(" in piece:
            options = re.findall(r"[A-Za-z_]+", piece.split("(", 1)[1])
            out += rng.choice([*options, "nope"]).encode()
        elif name == "slug" and rng.random() < 0.7:
            out += DEMO_SLUG.encode()
        elif name == "filename" and rng.random() < 0.5:
            out += rng.choice([b"style.css", b"../../etc/passwd", b"%2e%2e/x"])
        else:
            out += path_part(rng, random_text(rng))
    return out


def form_body(rng: random.Random, token: str | None) -> bytes:
    fields = rng.sample(FIELDS, rng.randrange(0, 8))
    pairs = [(name, random_text(rng)) for name in fields]
    if "template_id" not in fields and rng.random() < 0.3:
        pairs.append(("template_id", "99999999999999999999999"))
    if token is not None:
        pairs.append(("csrf_token", token))
    body = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in pairs).encode()
    if rng.random() < 0.15:
        body += b"&name=%ff%fe%fd&body=\xff\xfe"  # not UTF-8, escaped and raw
    return body


@dataclass
class Sent:
    method: str
    target: bytes
    pattern: str
    host: str | None
    headers: list[tuple[str, str]]
    body: bytes

    def describe(self) -> str:
        shown = self.body[:120] + (b"..." if len(self.body) > 120 else b"")
        return (
            f"{self.method} {self.target[:160]!r} Host={self.host!r} "
            f"headers={[(k, v[:60]) for k, v in self.headers]} body={shown!r}"
        )


def make_request(
    rng: random.Random, port: int, rules: list, clients: list[Client]
) -> tuple[Sent, Client, bool]:
    client = rng.choice(clients)
    if client.tokens and rng.random() < 0.03:
        # A real lookup: the upstream is closed, so the app's own 503 page must answer.
        body = f"csrf_token={quote(client.tokens[0])}&postcode=K1P%205G4".encode()
        headers = [
            ("Cookie", client.cookie_header()),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", str(len(body))),
        ]
        target = f"/c/{DEMO_SLUG}/lookup".encode()
        return (
            Sent("POST", target, "/c/<slug>/lookup", f"127.0.0.1:{port}", headers, body),
            client,
            False,
        )
    if rng.random() < 0.08:
        target = path_part(rng, "/" + random_text(rng, 80))
        if not target.startswith(b"/"):
            target = b"/" + target
        pattern, methods = "(random path)", ["GET", "POST"]
    else:
        rule = rng.choice(rules)
        target = fill(rng, rule)
        pattern, methods = rule.rule, sorted(rule.methods - {"OPTIONS"})
    if rng.random() < 0.2:
        target += b"?" + rng.choice(
            [b"from=2026-99-99&to=x", b"sort_district=%ff", b"source=" + b"x" * 300, b"a=%zz"]
        )
    method = (
        rng.choice(methods)
        if rng.random() < 0.85
        else rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"])
    )
    host: str | None = f"127.0.0.1:{port}"
    roll = rng.random()
    if roll < 0.06:
        host = rng.choice(HOSTS)
    elif roll < 0.08:
        host = None
    headers: list[tuple[str, str]] = []
    if client.cookies and rng.random() < 0.9:
        headers.append(("Cookie", client.cookie_header()))
    elif rng.random() < 0.1:
        headers.append(("Cookie", "session=" + random_text(rng, 200).replace(";", "")))
    if rng.random() < 0.3:
        headers.append(("Accept-Language", rng.choice([*LANGUAGES, random_text(rng)])))
    if rng.random() < 0.05:
        headers.append(("X-Forwarded-For", random_text(rng)))
    body = b""
    half_close = False
    if method in {"POST", "PUT", "PATCH"} or rng.random() < 0.05:
        token_roll = rng.random()
        if token_roll < 0.45 and client.tokens:
            token = rng.choice(client.tokens)
        elif token_roll < 0.7:
            token = random_text(rng, 100)  # forged
        else:
            token = None  # missing
        body = form_body(rng, token)
        if rng.random() < 0.04:
            body += b"&body=" + b"x" * rng.randrange(MAX_BODY, 3 * MAX_BODY)  # over the limit
        content_type = rng.choice(
            ["application/x-www-form-urlencoded"] * 6
            + ["multipart/form-data", "multipart/form-data; boundary=zz", "application/json"]
            + ["text/plain", "application/x-www-form-urlencoded; charset=latin-9", ""]
        )
        if content_type:
            headers.append(("Content-Type", content_type))
        length = len(body)
        lie = rng.random()
        if lie < 0.05:
            length = max(0, length - rng.randrange(1, 50))  # says less than it sends
        elif lie < 0.09:
            length += rng.randrange(1, 200)  # promises more: the end comes first
            half_close = True
        if lie < 0.11 and lie >= 0.09:
            headers.append(("Content-Length", rng.choice(["abc", "-1", "1e3", " 5"])))
        else:
            headers.append(("Content-Length", str(length)))
    sent = Sent(method, target, pattern, host, headers, body)
    return sent, client, half_close


# -- the server's log -----------------------------------------------------------------------------


def last_traceback(log: str) -> str:
    """Where the last traceback in ``log`` ends: its innermost app frame and its exception
    (with chained exceptions, the last one is what turned into the 500)."""
    start = log.rfind("Traceback (most recent call last)")
    if start < 0:
        return ""
    block = log[start:].splitlines()
    frames = [line.strip() for line in block if line.strip().startswith('File "')]
    ours = [f for f in frames if "/advocacy/" in f] or frames
    exception = next(
        (line for line in block[1:] if line and not line.startswith(" ")), "(no exception line)"
    )
    frame = (
        re.match(r'File "(?:.*?/)?(advocacy/[^"]+|[^"]+)", line (\d+), in (.+)', ours[-1])
        if ours
        else None
    )
    where = f"{frame.group(1)}:{frame.group(2)} in {frame.group(3)}" if frame else ""
    return f"{where} -> {exception}"[:300]


# -- the test -------------------------------------------------------------------------------------


def test_raw_requests_to_a_real_server_get_no_server_error(tmp_path):
    # Every route the app has, read from an app built here (the server builds the same one).
    rules = list(create_app(test_config(tmp_path / "routes")).url_map.iter_rules())
    rng = random.Random(FUZZ_SEED)
    directory = tmp_path / "server"
    directory.mkdir()
    server = start_server(directory)
    failures: dict[tuple, list[str]] = {}
    statuses: Counter = Counter()
    friendly = 0
    unanswered: list[str] = []  # closed before an answer: only allowed for bodies over the limit
    sent_count = 0
    started = time.monotonic()
    try:
        clients = [Client(), Client(), log_in(server.port)]
        # A supporter with a session and tokens, as after visiting the campaign's page.
        clients[0].remember(
            exchange(
                server.port,
                build_request(
                    "GET", f"/c/{DEMO_SLUG}/".encode(), f"127.0.0.1:{server.port}", [], b""
                ),
            )
        )
        log_offset = server.log.stat().st_size
        while sent_count < REQUESTS and time.monotonic() - started < TIME_BUDGET:
            if sent_count % 250 == 249:  # the organizer may have pressed "log out"
                clients[2] = log_in(server.port)
            sent, client, half_close = make_request(rng, server.port, rules, clients)
            raw = build_request(sent.method, sent.target, sent.host, sent.headers, sent.body)
            answer = exchange(server.port, raw, half_close)
            sent_count += 1
            statuses[answer.status] += 1
            if answer.status == 0:
                unanswered.append(sent.describe())
            if answer.status in (200, 422) and answer.body:
                client.remember(answer)
            with server.log.open("rb") as handle:
                handle.seek(log_offset)
                new_bytes = handle.read()
            log_offset += len(new_bytes)
            new_log = new_bytes.decode("utf-8", "replace")
            friendly_page = answer.status == 503 and any(
                text.encode() in answer.body for text in FRIENDLY_503
            )
            friendly += friendly_page
            if (answer.status >= 500 and not friendly_page) or "Traceback" in new_log:
                key = (sent.method, sent.pattern, answer.status, last_traceback(new_log))
                failures.setdefault(key, []).append(sent.describe())
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    print(
        f"\nserver fuzz: seed {FUZZ_SEED}, {sent_count} requests in {elapsed:.1f} s, "
        f"statuses {dict(sorted(statuses.items()))}, friendly 503 pages {friendly}"
    )
    for (method, pattern, status, where), examples in sorted(failures.items(), key=str):
        print(f"FAIL x{len(examples)}: {method} {pattern} -> {status} | {where}")
        print(f"    e.g. {examples[0]}")
    for example in unanswered:
        print(f"no answer: {example}")
    assert all(f"Content-Length: {MAX_BODY}" not in x for x in unanswered)
    assert sent_count >= MIN_REQUESTS, f"only {sent_count} requests in {TIME_BUDGET} s"
    assert not failures, f"{len(failures)} distinct failures (seed {FUZZ_SEED}), listed above"
    assert "Traceback" not in log
