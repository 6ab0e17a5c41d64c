"""Custom targets: an organizer's CSV of officials (any country, offline).

Each row names an official and the postal codes (or prefixes, or ``*`` for everyone) they
cover: a minister every supporter may write to, a committee chair, a local official no public
API lists. Parsing is all-or-nothing: a file with any bad row imports nothing, and every error
names its line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from . import checks
from .officials import LEVELS, Official

NAME = "directory"
COLUMNS = ("name", "office", "level", "district", "email", "phone", "url", "postcodes")
REQUIRED = ("name", "office", "level", "postcodes")
MAX_ROWS = 5000
FIELD_MAX = {
    "name": 200,
    "office": 100,
    "district": 200,
    "email": 254,
    "phone": 40,
    "url": 500,
    "postcodes": 20_000,
}
TEXT_COLUMNS = ("name", "office", "level", "district")
# Canada: each position's allowed characters, so "K1A", "K1A0" and "K1A0B1" are prefixes.
_CA_POSITIONS = (
    "ABCEGHJKLMNPRSTVXY",
    "0123456789",
    "ABCEGHJKLMNPRSTVWXYZ",
    "0123456789",
    "ABCEGHJKLMNPRSTVWXYZ",
    "0123456789",
)


@dataclass(frozen=True)
class TargetRow:
    """One custom target, as validated from the CSV."""

    name: str
    office: str
    level: str
    district: str
    email: str
    phone: str
    url: str
    postcodes: tuple[str, ...]  # compact upper-case prefixes, or ("*",)

    def covers(self, postcode: str) -> bool:
        code = compact(postcode)
        return any(entry == "*" or code.startswith(entry) for entry in self.postcodes)

    def official(self) -> Official:
        """This target as an Official, checked like any provider's (rows stored before the
        checks existed, or edited in the database, are cleaned on the way out)."""
        return Official.checked(
            name=self.name,
            elected_office=self.office,
            level=self.level,
            body=self.office,
            district_name=self.district,
            email=self.email,
            phone=self.phone,
            web_url=self.url,
            source=NAME,
        )


class DirectoryError(ValueError):
    """A CSV that cannot be imported; ``errors`` lists (line, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" for line, message in errors))
        self.errors = errors


def compact(postcode: str) -> str:
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", postcode)).upper()


def valid_prefix(country: str, entry: str) -> bool:
    if entry == "*":
        return True
    if not entry.isascii() or not entry.isalnum():
        return False
    if country == "CA":
        return len(entry) <= 6 and all(
            c in allowed for c, allowed in zip(entry, _CA_POSITIONS, strict=False)
        )
    return len(entry) <= 8


def _check_row(row: dict[str, str], country: str) -> tuple[TargetRow | None, list[str]]:
    problems: list[str] = []
    values = {column: (row.get(column) or "").strip() for column in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            problems.append(f"'{column}' is empty")
    for column, limit in FIELD_MAX.items():
        if len(values[column]) > limit:
            problems.append(f"'{column}' is longer than {limit} characters")
    for column in TEXT_COLUMNS:
        # A line break inside a quoted cell, or an invisible character pasted from elsewhere:
        # refused here with its line rather than silently changed later.
        if checks.has_controls(values[column]):
            problems.append(f"'{column}' contains a line break or another control character")
    level = values["level"].lower()
    if level and level not in LEVELS:
        problems.append(f"level '{values['level']}' is not one of {', '.join(LEVELS)}")
    if values["email"]:
        try:
            values["email"] = validate_email(values["email"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(f"email '{values['email']}' is not valid ({exc})")
    if values["phone"]:
        if checks.phone(values["phone"]):
            values["phone"] = checks.phone(values["phone"])
        else:
            problems.append(f"phone '{values['phone']}' is not a phone number")
    if values["url"] and not checks.web_url(values["url"]):
        problems.append(f"url '{values['url']}' is not a web address (http or https)")
    if not (values["email"] or values["phone"] or values["url"]):
        problems.append("give at least one way to reach them: email, phone or url")
    entries = [
        compact(e) if e.strip() != "*" else "*"
        for e in re.split(r"[;,]", values["postcodes"])
        if e.strip()
    ]
    bad = [e for e in entries if not valid_prefix(country, e)]
    if bad:
        problems.append(f"postcodes: not a postal code or prefix for {country}: {', '.join(bad)}")
    if problems:
        return None, problems
    return TargetRow(
        name=values["name"],
        office=values["office"],
        level=level,
        district=values["district"],
        email=values["email"],
        phone=values["phone"],
        url=values["url"],
        postcodes=("*",) if "*" in entries else tuple(sorted(set(entries))),
    ), []


def parse_targets_csv(data: bytes, country: str, max_bytes: int = 1024 * 1024) -> list[TargetRow]:
    """Every row of an organizer's CSV, validated; DirectoryError lists every problem."""
    if len(data) > max_bytes:
        raise DirectoryError([(0, f"the file is larger than {max_bytes // 1024} KB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DirectoryError(
            [(line, "the file is not UTF-8 text: save it as “CSV UTF-8”")]
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DirectoryError(
            [(1, f"missing column(s): {', '.join(missing)}; expected {','.join(COLUMNS)}")]
        )
    reader.fieldnames = header
    rows: list[TargetRow] = []
    errors: list[tuple[int, str]] = []
    try:
        for record in reader:
            line = reader.line_num
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append((line, f"more than {MAX_ROWS} rows"))
                break
            if None in record:  # more cells than columns
                errors.append((line, "more cells than there are columns"))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue  # a blank line
            row, problems = _check_row(record, country)
            errors.extend((line, p) for p in problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, f"not valid CSV: {exc}"))
    if errors:
        raise DirectoryError(errors)
    if not rows:
        raise DirectoryError([(1, "the file has no targets")])
    return rows
