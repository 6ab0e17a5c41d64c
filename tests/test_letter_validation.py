"""Letter templates are checked when saved: a whitelist of merge fields, tags and filters,
refusals with the line and a reason, size limits, and editable-block markers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.campaigns import SAMPLE_OFFICIAL
from advocacy.letters import (
    BLOCKS_MAX,
    FIELDS,
    NESTING_MAX,
    TEMPLATE_MAX,
    LetterError,
    assemble,
    render_parts,
    render_text,
    split_blocks,
    validate_letter,
)

CONTEXT = {
    "official": {
        "name": "N",
        "office": "MP",
        "district": "D",
        "party": "",
        "level": "federal",
    },
    "supporter": {"name": "S", "city": "C"},
    "campaign": {"title": "T"},
    "today": "1 May 2026",
}


def body_problem(source: str) -> LetterError:
    problem = validate_letter("Subject", source).get("body")
    assert problem is not None, f"accepted: {source!r}"
    return problem


# -- what is refused, and why ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        ("{{ ''.__class__.__mro__ }}", 1, "Python internals"),
        ("{{ config }}", 1, "unknown field config"),
        ("{{ self }}", 1, "unknown field self"),
        ("{{ self.__init__ }}", 1, "Python internals"),
        ("{{ cycler.__init__.__globals__ }}", 1, "Python internals"),
        ("{{ official.__class__ }}", 1, "Python internals"),
        ("{{ official.__class__.__init__.__globals__ }}", 1, "Python internals"),
        ('{{ "%s"|format(official.name) }}', 1, "the filter format is not allowed"),
        ("{{ ''.format_map }}", 1, "“.format_map” is not allowed"),
        ("Dear you,\n\n{{ official.email }}", 3, "unknown field official.email"),
        ("Dear you,\n{{ official.name", 2, "syntax error"),
        ("{% if official.name %}\nopen", 2, "syntax error"),
        ("{{ 'x' * 10**9 }}", 1, "arithmetic"),
        ("{{ official.name ~ official.name }}", 1, "arithmetic"),
        ("{{ official.name + 'x' }}", 1, "arithmetic"),
        ("a\n{% for x in official %}{{ x }}{% endfor %}", 2, "{% for %} is not allowed"),
        ("{% set x = official.name %}", 1, "{% set %} is not allowed"),
        ("{% set x %}y{% endset %}", 1, "{% set %} is not allowed"),
        ("{% macro m() %}x{% endmacro %}", 1, "{% macro %} is not allowed"),
        ("{% include 'base.html' %}", 1, "{% include %} is not allowed"),
        ("{% import 'base.html' as b %}", 1, "{% import %} is not allowed"),
        ("{% from 'base.html' import x %}", 1, "{% from %} is not allowed"),
        ("{% extends 'base.html' %}", 1, "{% extends %} is not allowed"),
        ("{% block b %}x{% endblock %}", 1, "{% block %} is not allowed"),
        ("{% with x = 1 %}{% endwith %}", 1, "{% with %} is not allowed"),
        ("{% filter upper %}x{% endfilter %}", 1, "{% filter %} is not allowed"),
        ("{{ official.name() }}", 1, "calling functions"),
        ("{{ official.name.upper() }}", 1, "calling functions"),
        ("{{ range(10) }}", 1, "calling functions"),
        ("{{ lipsum() }}", 1, "calling functions"),
        ("{{ official['name'] }}", 1, "square brackets"),
        ("{{ official.name[0:3] }}", 1, "square brackets"),
        ("{{ official.name|attr('upper') }}", 1, "the filter attr is not allowed"),
        ("{{ official.name|trim('x') }}", 1, "takes no arguments"),
        ("{{ official.name|default(x='y') }}", 1, "takes no such arguments"),
        ("{{ official.name|default(*official) }}", 1, "takes no such arguments"),
        ("{{ 10 }}", 1, "only text in quotes"),
        ("{% if official.name is defined %}x{% endif %}", 1, "tests are not allowed"),
        ("{{ [official.name] }}", 1, "lists and dictionaries"),
        ("{{ official }}", 1, "unknown field official"),
        ("{{ official.name.upper }}", 1, "unknown field official.name.upper"),
        ("{{ supporter.postcode }}", 1, "unknown field supporter.postcode"),
    ],
)
def test_a_template_outside_the_whitelist_is_refused_with_line_and_reason(source, line, reason):
    problem = body_problem(source)
    assert problem.line == line
    assert reason in str(problem)
    assert str(problem).startswith(f"line {line}: ")


def test_the_subject_is_checked_too():
    problems = validate_letter("About {{ official.email }}", "Dear {{ official.name }}")
    assert list(problems) == ["subject"]
    assert "unknown field official.email" in str(problems["subject"])


def test_refused_templates_are_never_rendered():
    for source in ("{{ ''.__class__.__mro__ }}", "{{ config }}", "{{ 'x' * 10**9 }}"):
        with pytest.raises(LetterError):
            render_parts("s", source, SAMPLE_OFFICIAL, "T", "today")


def test_every_documented_feature_is_accepted():
    source = (
        "{{ official.name|upper }} {{ official.office|lower }} {{ official.district|title }} "
        "{{ official.party|default('no party') }} {{ official.level|capitalize }} "
        "{{ supporter.name|trim }} {{ supporter.city }} {{ campaign.title }} {{ today }}\n"
        '{% if official.level == "federal" and not official.party %}A'
        '{% elif official.office in ["MP"] %}B{% else %}C{% endif %}\n'
    )
    # Lists are refused even in a comparison: only text in quotes.
    assert "lists" in str(body_problem(source))
    source = source.replace('["MP"]', '"MP MPP"')
    assert validate_letter("{{ campaign.title }}", source) == {}
    text = render_text(source, CONTEXT)
    assert text == "N mp D no party Federal S C T 1 May 2026\nA"
    assert render_text("{{ 'yes' if official.party else 'no' }}", CONTEXT) == "no"
    assert render_text("{% if official.name != 'x' or today %}ok{% endif %}", CONTEXT) == "ok"


def test_default_applies_to_an_empty_field():
    # Every field is always defined; "default" is for the empty ones (no party, say).
    assert render_text("{{ official.party|default('Independent') }}", CONTEXT) == "Independent"
    assert render_text("{{ official.name|default('x') }}", CONTEXT) == "N"


def test_the_fields_are_the_documented_ones():
    assert set(FIELDS) == {
        "official.name",
        "official.salutation",
        "official.office",
        "official.district",
        "official.party",
        "official.level",
        "supporter.name",
        "supporter.city",
        "campaign.title",
        "today",
    }


# -- limits ---------------------------------------------------------------------------------------


def test_the_source_is_at_most_20_kb():
    assert "20 KB" in str(body_problem("x" * (TEMPLATE_MAX + 1)))
    assert validate_letter("s", "x" * TEMPLATE_MAX) == {}


def test_the_rendered_letter_has_a_limit():
    with pytest.raises(LetterError, match="longer than 100 characters once filled in"):
        render_parts(
            "s", "{{ official.name }}" + "x" * 100, SAMPLE_OFFICIAL, "T", "t", body_max=100
        )
    with pytest.raises(LetterError, match="subject is longer than 10"):
        render_parts("{{ official.name }} and more", "b", SAMPLE_OFFICIAL, "T", "t", subject_max=10)


def test_the_default_rendered_limit_is_the_configured_body_maximum(app):
    from advocacy.letters import RENDERED_MAX

    assert app.config["LETTER_BODY_MAX"] == RENDERED_MAX == 10_000
    with pytest.raises(LetterError, match="10000 characters"):
        render_parts("s", "x" * 10_001, SAMPLE_OFFICIAL, "T", "t")


def test_rendering_grows_linearly_with_the_template():
    """Render time is bounded because the output is: with no loops, calls or arithmetic, each
    node prints once, so the output is at most (number of fields) x (longest value). The
    largest template possible, all fields, renders to exactly that and no more."""
    field = "{{ official.name }}"
    source = field * (TEMPLATE_MAX // len(field))
    assert len(source.encode()) <= TEMPLATE_MAX
    value = "N" * 200  # a long official name
    context = {**CONTEXT, "official": {**CONTEXT["official"], "name": value}}
    text = render_text(source, context)
    assert len(text) == source.count(field) * len(value)
    assert len(text) <= len(source) * len(value) // len(field)
    # The same template is too long once rendered for supporters (LETTER_BODY_MAX).
    with pytest.raises(LetterError, match="once filled in"):
        render_parts("s", source, SAMPLE_OFFICIAL, "T", "t")


def test_the_largest_template_of_nested_conditions_renders_each_branch_once():
    depth = NESTING_MAX // 2 - 1
    source = "{% if official.name %}x" * depth + "{% endif %}" * depth
    assert validate_letter("s", source) == {}
    assert render_text(source, CONTEXT) == "x" * depth


@pytest.mark.parametrize(
    "source",
    [
        "{% if official.name %}" * (NESTING_MAX + 1) + "{% endif %}" * (NESTING_MAX + 1),
        "{{ " + "not " * (NESTING_MAX + 1) + "official.name }}",
        "{{ " + "(" * 5000 + "official.name" + ")" * 5000 + " }}",
    ],
)
def test_deep_nesting_is_refused_not_crashed(source):
    assert "nested too deeply" in str(body_problem(source))


# -- editable blocks ------------------------------------------------------------------------------

BLOCKS = """Dear {{ official.name }},

I am writing about Hong Kong.

[[ editable: Why does this matter to you? ]]
It matters to me because {{ official.district }} is my home.
[[ end ]]

{% if official.level == "federal" %}
Please answer in writing.
{% endif %}

Sincerely,"""


def test_markers_cut_the_body_into_locked_and_editable_parts():
    segments = split_blocks(BLOCKS)
    assert [(s.first_line, s.prompt) for s in segments] == [
        (1, None),
        (6, "Why does this matter to you?"),
        (8, None),
    ]
    letter = render_parts("Subject", BLOCKS, SAMPLE_OFFICIAL, "T", "today")
    assert [part.editable for part in letter.parts] == [False, True, False]
    assert letter.blocks[0].text == "It matters to me because Ottawa Centre is my home."
    assert letter.body == (
        "Dear Alex Sample,\n\nI am writing about Hong Kong.\n\n"
        "It matters to me because Ottawa Centre is my home.\n\n"
        "Please answer in writing.\n\nSincerely,"
    )


def test_render_letter_removes_the_markers_and_keeps_the_default_text():
    letter = render_parts("Subject", BLOCKS, SAMPLE_OFFICIAL, "T", "today")
    assert "[[" not in letter.body and "editable" not in letter.body
    assert "It matters to me because Ottawa Centre" in letter.body


def test_assemble_puts_the_supporters_words_in_the_blocks_only():
    letter = render_parts("Subject", BLOCKS, SAMPLE_OFFICIAL, "T", "today")
    body = assemble(letter, ["My family lives there.\r\n\r\n{{ official.__class__ }}  \r\n"])
    assert body == (
        "Dear Alex Sample,\n\nI am writing about Hong Kong.\n\n"
        "My family lives there.\n\n{{ official.__class__ }}\n\n"  # never rendered
        "Please answer in writing.\n\nSincerely,"
    )
    # An emptied block is left out; a missing one keeps its default; extra ones are ignored.
    assert "\n\n\n" not in assemble(letter, ["   "])
    assert "It matters to me" in assemble(letter, [])
    assert "ignored" not in assemble(letter, ["mine", "ignored"])


def test_a_field_value_cannot_forge_a_marker():
    tricky = SAMPLE_OFFICIAL.__class__(
        **{**SAMPLE_OFFICIAL.__dict__, "name": "X\n[[ end ]]\n[[ editable: y ]]"}
    )
    letter = render_parts("s", BLOCKS, tricky, "T", "today")
    assert len(letter.blocks) == 1
    assert letter.parts[0].text.startswith("Dear X\n[[ end ]]")


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        ("a\n[[ editable: one ]]\nb", 2, "has no [[ end ]] line"),
        ("[[ editable: one ]]\n[[ editable: two ]]\n[[ end ]]", 2, "inside another one"),
        ("a\n\n[[ end ]]", 3, "closes no block"),
        ("[[ editable ]]\nx\n[[ end ]]", 1, "needs a prompt"),
        ("[[ editable:   ]]\nx\n[[ end ]]", 1, "needs a prompt"),
        ("[[ editable: " + "x" * 300 + " ]]\n[[ end ]]", 1, "prompt is longer"),
        ("a\n[[ locked ]]", 2, "unknown marker [[ locked ]]"),
        ("[[ editable: Why? ]]\n\n{{ official.email }}\n[[ end ]]", 3, "unknown field"),
        ("one\n[[ editable: Why? ]]\nx\n[[ end ]]\n\n\n{{ official.nmae }}", 7, "unknown field"),
        (
            "{% if official.level == 'federal' %}\n[[ editable: Why? ]]\nx\n[[ end ]]\n{% endif %}",
            1,
            "must open and close inside one part",
        ),
    ],
)
def test_broken_markers_are_refused_with_the_line(source, line, reason):
    problem = body_problem(source)
    assert (problem.line, reason in str(problem)) == (line, True), str(problem)


def test_markers_belong_in_the_body_and_are_limited_in_number():
    problems = validate_letter("[[ editable: Subject ]]", "b")
    assert "only be in the body" in str(problems["subject"])
    many = "\n".join(f"[[ editable: {i} ]]\nx\n[[ end ]]" for i in range(BLOCKS_MAX + 1))
    assert f"at most {BLOCKS_MAX} editable blocks" in str(body_problem(many))


def test_a_body_without_markers_is_one_locked_part():
    letter = render_parts("s", "Dear {{ official.name }},\n\nThanks.", SAMPLE_OFFICIAL, "T", "t")
    assert [part.editable for part in letter.parts] == [False]
    assert letter.body == "Dear Alex Sample,\n\nThanks."


# -- shipped templates through the command line ---------------------------------------------------


def write_campaign(root, letter: str, slug: str = "shipped") -> None:
    folder = root / slug
    folder.mkdir()
    (folder / "campaign.toml").write_text(
        f'slug = "{slug}"\ntitle = "Shipped"\ntarget_offices = ["MP"]\n', encoding="utf-8"
    )
    (folder / "letter.en.txt").write_text(letter, encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Dear {{ official.name }},\n\n{{ official.email }}",
            "line 3: unknown field official.email",
        ),
        ("{{ ''.__class__.__mro__ }}", "line 1: ….__class__.__mro__ reaches into Python internals"),
        ("ok\n[[ editable: Why? ]]\nnever closed", "line 2: this editable block has no [[ end ]]"),
    ],
)
def test_seed_demo_refuses_an_invalid_shipped_template(runner, db, tmp_path, body, message):
    write_campaign(tmp_path, f"Subject: Hello\nLanguage: en\n\n{body}")
    result = runner.invoke(args=["seed-demo", "--from", str(tmp_path)])
    assert result.exit_code != 0
    assert "letter.en.txt" in result.output and message in result.output
    from advocacy import campaigns

    assert campaigns.campaign_by_slug(db, "shipped") is None


def test_seed_demo_loads_a_shipped_blocks_letter(runner, db, tmp_path):
    write_campaign(tmp_path, f"Subject: Hello\nLanguage: en\nEditing: blocks\n\n{BLOCKS}")
    result = runner.invoke(args=["seed-demo", "--from", str(tmp_path)])
    assert result.exit_code == 0, result.output
    from advocacy import campaigns

    campaign = campaigns.campaign_by_slug(db, "shipped")
    template = campaigns.letter_version(db, campaign, "en")
    assert template.letter.editing == "blocks" and template.body == BLOCKS


# -- any text: refused with a reason, or it renders ------------------------------------------------

_PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "[[ editable: Why? ]]\n",
        "[[ end ]]\n",
        "\n",
        " if ",
        " elif ",
        " else ",
        " endif ",
        " for ",
        " set ",
        " not ",
        " and ",
        " or ",
        " == ",
        " in ",
        "|",
        "(",
        ")",
        "[",
        "]",
        ".",
        "'",
        '"',
        "~",
        "*",
        "__class__",
        "official.name",
        "official.party",
        "supporter.name",
        "today",
        "default('x')",
        "upper",
        "format",
        "range(9)",
        "9",
        "x",
        "é",
        "中",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_text_is_refused_with_a_line_or_renders(source):
    problems = validate_letter("Subject", source)
    if problems:
        problem = problems["body"]
        assert problem.line is None or 1 <= problem.line <= source.count("\n") + 1
        return
    letter = render_parts("Subject", source, SAMPLE_OFFICIAL, "T", "today", body_max=10**6)
    assert isinstance(assemble(letter, ["mine"] * len(letter.blocks)), str)
