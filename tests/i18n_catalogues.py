"""What tests/test_i18n.py checks the catalogues against: the strings marked in the source today.

Every string marked for translation is supporter-facing unless it is only used in a file an
organizer alone reads (ORGANIZER_ONLY). A new file is supporter-facing by default: its strings
must be translated before the tests pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "advocacy"
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("fr", "zh_Hant")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
}

# Files only organizers read (their strings are marked and may stay in English). Paths are
# relative to the repository.
ORGANIZER_ONLY = (
    "advocacy/templates/admin/",
    "advocacy/views/admin/",
    "advocacy/letters.py",  # template validation messages, shown in the letter editor
    "advocacy/editor.py",
    "advocacy/campaigns.py",
    "advocacy/organizers.py",
    "advocacy/cli.py",
    "advocacy/tallies.py",
    "advocacy/charts.py",
)

# %(name)s, %s, %d, {name}: what must survive translation unchanged.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


@dataclass(frozen=True)
class Marked:
    msgid: str | tuple[str, str]
    places: tuple[str, ...]

    @property
    def supporter_facing(self) -> bool:
        return not all(place.startswith(ORGANIZER_ONLY) for place in self.places)


def marked() -> dict[str | tuple[str, str], Marked]:
    """Every marked string in the package, with the files that use it."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if not filename.startswith("advocacy/"):
            continue
        key = message if isinstance(message, str) else tuple(message[:2])
        places = found.get(key, ())
        found[key] = (*places, filename)
    return {key: Marked(key, places) for key, places in found.items()}


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text) or []) if "%" in text or "{" in text else []


def placeholder_set(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def compile_stale() -> None:
    """Build each .mo that is missing or older than its .po (as `make compile` does), so that a
    bare `pytest` after editing a .po serves the new translations."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            cat = read_po(po, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo:
            write_mo(mo, cat, use_fuzzy=False)
