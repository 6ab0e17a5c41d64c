"""Letters: the shipped template files, sandboxed rendering, signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

from advocacy.campaigns import SAMPLE_OFFICIAL
from advocacy.letters import (
    LetterError,
    load_letter_file,
    parse_letter_file,
    render_parts,
    render_text,
    sign,
)

DEMO = Path(__file__).parent.parent / "advocacy" / "letter_templates" / "canada-beijing-policy"


def test_the_demo_letter_asks_concretely_and_for_a_written_reply():
    letter = load_letter_file(DEMO / "letter.en.txt")
    assert letter.language == "en"
    rendered = render_parts(letter.subject, letter.body, SAMPLE_OFFICIAL, "Demo", "1 May 2026")
    assert rendered.subject == "Your policy towards the government in Beijing"
    assert rendered.body.startswith("Dear Alex Sample,")
    for topic in ("Hong Kong", "Transnational repression", "5G", "written reply"):
        assert topic in rendered.body


def test_a_letter_file_needs_a_header_and_a_subject():
    with pytest.raises(LetterError):
        parse_letter_file("Dear {{ official.name }}")
    with pytest.raises(LetterError, match="Subject"):
        parse_letter_file("Language: en\n\nDear you")
    with pytest.raises(LetterError, match="line 2"):
        parse_letter_file("Subject: x\nno colon here\n\nbody")


def test_merge_fields_are_filled():
    text = render_text(
        "{{ official.name }}|{{ official.office }}|{{ official.district }}|{{ official.party }}|"
        "{{ official.level }}|{{ supporter.name }}|{{ campaign.title }}|{{ today }}",
        {
            "official": {
                "name": "N",
                "office": "MP",
                "district": "D",
                "party": "P",
                "level": "federal",
            },
            "supporter": {"name": "S"},
            "campaign": {"title": "T"},
            "today": "1 May",
        },
    )
    assert text == "N|MP|D|P|federal|S|T|1 May"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ official.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ config }}",
        "{{ self.__init__ }}",
        "{{ unknown_field }}",
        "{{ official.name",  # syntax error
    ],
)
def test_unsafe_or_broken_templates_are_refused(source):
    with pytest.raises(LetterError):
        render_parts("s", source, SAMPLE_OFFICIAL, "T", "today")


def test_the_template_is_plain_text_not_html():
    letter = render_parts("s", "{{ official.name }} & <co>", SAMPLE_OFFICIAL, "T", "today")
    assert letter.body == "Alex Sample & <co>"


def test_templates_have_a_size_limit():
    with pytest.raises(LetterError, match="KB"):
        render_text("x" * (21 * 1024), {})


def test_signature_ends_the_letter():
    assert (
        sign("Dear X,\n\nSincerely,\n", "Wei Chen", "Ottawa", "K1P 5G4")
        == "Dear X,\n\nSincerely,\n\nWei Chen\nOttawa K1P 5G4"
    )
    assert sign("Body", "", "", "K1P") == "Body\n\nK1P"
    assert sign("Body\n", "", "", "") == "Body"
