"""The demo letter rendered the way supporters get it (``letters.render_parts``: checked
template, Jinja's immutable sandbox, strict undefined) against the same subject and body
rendered as plain Jinja templates outside the sandbox, compiled once."""

from __future__ import annotations

from jinja2 import Environment, StrictUndefined

from . import ROOT, Result, compare, demo_official

LETTER = ROOT / "advocacy" / "letter_templates" / "canada-beijing-policy" / "letter.en.txt"
TITLE = "Ask your representatives: what is your policy towards Beijing?"
TODAY = "May 4, 2025"


def run(seconds: float) -> Result:
    from advocacy import letters

    shipped = letters.load_letter_file(LETTER)
    official = demo_official()

    def sandboxed() -> None:
        letters.render_parts(shipped.subject, shipped.body, official, TITLE, TODAY)

    plain_env = Environment(undefined=StrictUndefined, autoescape=False)  # noqa: S701 - plain text
    subject = plain_env.from_string(shipped.subject)
    body = plain_env.from_string(shipped.body)
    context = {
        "official": letters.official_fields(official),
        "supporter": {"name": "", "city": "", "postcode": ""},
        "campaign": {"title": TITLE},
        "today": TODAY,
    }

    def plain() -> None:
        subject.render(context)
        body.render(context)

    expected = letters.render_parts(shipped.subject, shipped.body, official, TITLE, TODAY)
    assert expected.body.strip() == body.render(context).strip()  # the same letter
    return compare("demo letter, sandboxed", sandboxed, "plain Jinja template", plain, seconds)
