"""A server worker loads only what its requests need (issue 13, memory): building the app
does not import the migrations' Alembic, the Markdown parser or the OpenAPI builder, and an
English page does not load the other languages' locale data. Each check runs in a fresh
interpreter, since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel import Locale

from advocacy import locales, serving

WORKER = """
import json, sys
from advocacy import create_app
from babel import localedata
app = create_app(json.loads(sys.argv[1]))
booted = sorted(sys.modules)
client = app.test_client()
client.get("/")  # the home page, with the language switch
page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
print(json.dumps({"booted": booted, "after": sorted(sys.modules),
                  "locales": sorted(localedata._cache), "page": page}))
"""


def _worker(tmp_path: Path) -> dict:
    config = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'advocacy.db'}",
        "LANGUAGES": "en,fr,zh-Hant",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", WORKER, json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_imports_and_loads_only_what_its_pages_need(tmp_path):
    worker = _worker(tmp_path)
    booted = set(worker["booted"])
    for module in ("alembic", "mako", "pygments", "markdown_it", "apispec", "gunicorn"):
        assert module not in booted, f"create_app imports {module}"
    # The home page shows the switch with each language's own name, in English only.
    assert "Français" in worker["page"] and "中文 (繁體)" in worker["page"]
    assert "fr" not in worker["locales"] and "zh_Hant" not in worker["locales"]


def test_the_shipped_languages_own_names_are_babels():
    for identifier, name in locales.OWN_NAMES.items():
        babel_name = Locale.parse(identifier).get_display_name(identifier)
        assert name == babel_name[:1].upper() + babel_name[1:]


def test_workers_cap_malloc_arenas_on_glibc(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert serving.limit_malloc_arenas() is False  # the operator's setting wins
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    libc = serving.ctypes.CDLL(None)
    assert serving.limit_malloc_arenas() is hasattr(libc, "mallopt")
