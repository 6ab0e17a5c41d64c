"""Organizer letter templates: parsing the shipped files, validation, sandboxed plain-text
rendering, and the locked and editable parts of a letter.

Templates are untrusted input. The sandbox alone is not enough: it blocks Python internals at
render time but lets a template loop, call methods and multiply strings (``'x' * 10**9``).
So every template is first parsed and its syntax tree checked against a small whitelist: the
documented merge fields, text in quotes, ``{% if %}``/``{% elif %}``/``{% else %}``,
comparisons, ``and``/``or``/``not``, inline ``a if b else c`` and a few filters. Anything else is
refused, with the line and a reason an organizer can act on. Only then is the tree compiled and
rendered in Jinja's ImmutableSandboxedEnvironment, with only the merge fields in the context,
autoescape off (the letters are plain text), and undefined names refused rather than rendered
empty.

Why this bounds render time and size: with no loops, calls, macros, includes or arithmetic,
each node of the tree is evaluated at most once, and each prints either its own text or a
merge field's value (through filters that are linear in their input). Rendering is therefore
linear in the size of the template (at most 20 KB) times the length of the longest field
value; the rendered letter is then checked against LETTER_BODY_MAX.

Editable blocks: in a body template, a line ``[[ editable: Why does this matter to you? ]]``
opens a block that supporters may rewrite (the prompt is the label of its box), the following
lines are its default text, and a line ``[[ end ]]`` closes it. Everything else is locked
when the letter's editing mode is "blocks". The body is split at the marker lines *before*
rendering, so no merge field value can forge a marker, and each part is a template of its own
(an ``{% if %}`` must open and close inside the same part).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import has_request_context
from flask_babel import gettext
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .civic.officials import Official
from .config import Defaults
from .constants import EditingMode

TEMPLATE_MAX = 20 * 1024  # bytes of template source
RENDERED_MAX = Defaults.LETTER_BODY_MAX  # characters of a rendered body (views pass config's)
SUBJECT_MAX = Defaults.LETTER_SUBJECT_MAX  # characters of a rendered subject
EDITING_MODES = tuple(EditingMode)
BLOCKS_MAX = 20  # editable blocks in one letter
NESTING_MAX = 20  # depth of {% if %} and of expressions (Python's compiler has its own limits)

# The merge fields, as organizers write them; nothing else can be printed or tested.
FIELDS = (
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
)
# Filters that are linear in their input and reach nothing but the value they are given.
FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default")


def _(text: str, /, **variables: Any) -> str:
    """``text`` translated while serving a request (the organizers' pages), as written
    elsewhere (the command line has no locale)."""
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


def _default(value: Any, text: str = "") -> Any:
    """The field, or ``text`` when it is empty. (Every merge field is always defined, so
    Jinja's own default(), which only replaces undefined values, would never apply.)"""
    return value if value else text


_env = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
# Defence in depth behind the whitelist: no globals (range, cycler, lipsum, ...), no tests,
# and only the allowed filters exist in this environment at all.
_env.globals = {}
_env.tests = {}
_env.filters = {name: _env.filters[name] for name in FILTERS if name != "default"} | {
    "default": _default
}


class LetterError(ValueError):
    """A template that cannot be rendered, with a message an organizer can act on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(
            message if line is None else _("line %(line)s: %(message)s", line=line, message=message)
        )
        self.line = line
        self.reason = message


@dataclass(frozen=True)
class LetterFile:
    """A letter template as shipped in letter_templates/: a header, a blank line, the body."""

    subject: str
    language: str
    body: str
    name: str = ""
    applies_to: tuple[str, ...] = ()  # levels or offices; empty: every official
    editing: str = EditingMode.FREE


def parse_letter_file(text: str) -> LetterFile:
    """Read the header lines (``Subject:``, and optionally ``Language:``, ``Name:``, ``For:``
    levels or offices, ``Editing: free|blocks``), then the body after a blank line."""
    header, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    if not sep:
        raise LetterError("a letter file needs header lines, a blank line, then the body")
    fields: dict[str, str] = {}
    for number, line in enumerate(header.splitlines(), start=1):
        name, colon, value = line.partition(":")
        if not colon:
            raise LetterError(f"header line is not 'Name: value': {line!r}", number)
        fields[name.strip().lower()] = value.strip()
    if not fields.get("subject"):
        raise LetterError("the header has no Subject: line")
    editing = fields.get("editing", EditingMode.FREE).lower()
    if editing not in EDITING_MODES:
        raise LetterError(f"Editing: must be one of {', '.join(EDITING_MODES)}")
    applies_to = tuple(part.strip() for part in fields.get("for", "").split(",") if part.strip())
    return LetterFile(
        subject=fields["subject"],
        language=fields.get("language", "en"),
        body=body.strip("\n"),
        name=fields.get("name", ""),
        applies_to=applies_to,
        editing=editing,
    )


def load_letter_file(path: Path) -> LetterFile:
    return parse_letter_file(path.read_text(encoding="utf-8"))


def official_fields(official: Official) -> dict[str, str]:
    """The merge fields an organizer may use about the official."""
    return {
        "name": official.name,
        # Issue 11: the greeting's name as their parliament suggests it ("Ms Abbott"), or
        # first and last name (Represent); the name when the provider gives neither.
        "salutation": official.greeting,
        "office": official.elected_office,
        "district": official.district_name,
        "party": official.party,
        "level": official.level,
    }


# -- Validation -----------------------------------------------------------------------------

_REFUSED_TAGS = {
    nodes.For: "{% for %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.With: "{% with %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.ExprStmt: "{% do %}",
}
_ARITHMETIC = (nodes.BinExpr, nodes.UnaryExpr, nodes.Concat)  # +, -, *, /, //, %, **, ~


class _Checker:
    """Walks a parsed template and refuses anything outside the whitelist (see the module
    docstring). ``first_line`` is the template's first line in the organizer's text."""

    def __init__(self, first_line: int = 1) -> None:
        self.first_line = first_line

    def refuse(self, node: nodes.Node, message: str) -> LetterError:
        return LetterError(message, (node.lineno or 1) + self.first_line - 1)

    def template(self, tree: nodes.Template) -> None:
        for node in tree.body:
            self.statement(node, 1)

    def statement(self, node: nodes.Node, depth: int) -> None:
        if depth > NESTING_MAX:
            raise self.refuse(node, _("the template is nested too deeply"))
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.expression(child, depth + 1)
        elif isinstance(node, nodes.If):
            self.expression(node.test, depth + 1)
            for child in (*node.body, *node.else_):
                self.statement(child, depth + 1)
            for branch in node.elif_:
                self.statement(branch, depth)
        else:
            tag = _REFUSED_TAGS.get(type(node), type(node).__name__)
            raise self.refuse(
                node,
                _(
                    "%(tag)s is not allowed in a letter: only %(allowed)s can be used",
                    tag=tag,
                    allowed="{% if %}, {% elif %}, {% else %}, {% endif %}",
                ),
            )

    def expression(self, node: nodes.Node, depth: int) -> None:
        if depth > NESTING_MAX:
            raise self.refuse(node, _("the template is nested too deeply"))
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, str):
                raise self.refuse(
                    node,
                    _(
                        "only text in quotes can be used as a value, not %(value)s",
                        value=repr(node.value),
                    ),
                )
        elif isinstance(node, nodes.Name | nodes.Getattr):
            self.field(node)
        elif isinstance(node, nodes.Filter):
            self.filter(node, depth)
        elif isinstance(node, nodes.Compare):
            self.expression(node.expr, depth + 1)
            for operand in node.ops:
                self.expression(operand.expr, depth + 1)
        elif isinstance(node, nodes.And | nodes.Or):
            self.expression(node.left, depth + 1)
            self.expression(node.right, depth + 1)
        elif isinstance(node, nodes.Not):
            self.expression(node.node, depth + 1)
        elif isinstance(node, nodes.CondExpr):
            for child in (node.test, node.expr1, node.expr2):
                if child is not None:
                    self.expression(child, depth + 1)
        elif isinstance(node, nodes.Call):
            raise self.refuse(node, _("calling functions or methods is not allowed"))
        elif isinstance(node, nodes.Getitem | nodes.Slice):
            raise self.refuse(
                node,
                _(
                    "square brackets (item access) are not allowed: write %(good)s",
                    good="official.name",
                ),
            )
        elif isinstance(node, _ARITHMETIC):
            raise self.refuse(node, _("arithmetic and joining with ~ are not allowed"))
        elif isinstance(node, nodes.List | nodes.Tuple | nodes.Dict):
            raise self.refuse(node, _("lists and dictionaries are not allowed"))
        elif isinstance(node, nodes.Test):
            raise self.refuse(node, _("“is” tests are not allowed"))
        else:
            raise self.refuse(
                node, _("this expression is not allowed (%(kind)s)", kind=type(node).__name__)
            )

    def field(self, node: nodes.Name | nodes.Getattr) -> None:
        parts: list[str] = []
        base: nodes.Node = node
        while isinstance(base, nodes.Getattr):
            parts.append(base.attr)
            base = base.node
        if not isinstance(base, nodes.Name):
            if any(part.startswith("_") for part in parts):
                raise self.refuse(
                    node,
                    _(
                        "%(path)s reaches into Python internals, which is not allowed",
                        path="….".join(["", ".".join(reversed(parts))]),
                    ),
                )
            raise self.refuse(
                node,
                _(
                    "“.%(attr)s” is not allowed: only merge fields such as official.name "
                    "have a dot",
                    attr=parts[-1],
                ),
            )
        path = ".".join([base.name, *reversed(parts)])
        if path in FIELDS:
            return
        if any(part.startswith("_") for part in (base.name, *parts)):
            raise self.refuse(
                node, _("%(path)s reaches into Python internals, which is not allowed", path=path)
            )
        raise self.refuse(
            node,
            _(
                "unknown field %(field)s (the merge fields are %(fields)s)",
                field=path,
                fields=", ".join(FIELDS),
            ),
        )

    def filter(self, node: nodes.Filter, depth: int) -> None:
        if node.name not in FILTERS:
            raise self.refuse(
                node,
                _(
                    "the filter %(filter)s is not allowed (the filters are %(filters)s)",
                    filter=node.name,
                    filters=", ".join(FILTERS),
                ),
            )
        if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) > 1:
            raise self.refuse(
                node, _("the filter %(filter)s takes no such arguments", filter=node.name)
            )
        if node.args and node.name != "default":
            raise self.refuse(node, _("the filter %(filter)s takes no arguments", filter=node.name))
        if node.node is not None:
            self.expression(node.node, depth + 1)
        for arg in node.args:
            self.expression(arg, depth + 1)


def _parse(source: str, first_line: int) -> nodes.Template:
    try:
        return _env.parse(source)
    except TemplateSyntaxError as exc:
        raise LetterError(
            _("syntax error: %(detail)s", detail=exc.message or "?"),
            (exc.lineno or 1) + first_line - 1,
        ) from exc
    except RecursionError as exc:  # thousands of nested brackets
        raise LetterError(_("the template is nested too deeply"), first_line) from exc


def _check_size(source: str) -> None:
    if len(source.encode("utf-8")) > TEMPLATE_MAX:
        raise LetterError(_("the template is longer than %(size)s KB", size=TEMPLATE_MAX // 1024))


@lru_cache(maxsize=256)
def _compiled(source: str, first_line: int = 1) -> Template:
    """The checked and compiled template (cached: a campaign renders the same few sources
    for every supporter)."""
    tree = _parse(source, first_line)
    _Checker(first_line).template(tree)
    try:
        return _env.from_string(tree)
    except TemplateError as exc:  # pragma: no cover - the whitelist should prevent it
        raise LetterError(exc.message or exc.__class__.__name__, first_line) from exc
    except (SyntaxError, RecursionError, MemoryError) as exc:  # pragma: no cover - idem
        raise LetterError(_("the template is nested too deeply"), first_line) from exc


def validate_template(source: str, first_line: int = 1) -> None:
    """Refuse (LetterError, with the line) a template outside the whitelist."""
    _check_size(source)
    _compiled(source, first_line)


# -- Editable blocks ------------------------------------------------------------------------

# A marker is a line of its own: [[ editable: prompt ]] ... [[ end ]].
_MARKER = re.compile(r"^[ \t]*\[\[(.*)\]\][ \t]*$")
_EDITABLE = re.compile(r"^\s*editable\s*(?::(.*))?$", re.IGNORECASE)
_END = re.compile(r"^\s*end\s*$", re.IGNORECASE)
PROMPT_MAX = 200


@dataclass(frozen=True)
class Segment:
    """A part of a body template: locked text, or an editable block (``prompt`` set)."""

    source: str
    first_line: int
    prompt: str | None = None

    @property
    def editable(self) -> bool:
        return self.prompt is not None


def split_blocks(body: str) -> list[Segment]:
    """The body template cut at its editable-block markers, markers removed."""
    segments: list[Segment] = []
    lines: list[str] = []
    start = 1
    prompt: str | None = None
    opened_at = 0
    for number, line in enumerate(body.replace("\r\n", "\n").split("\n"), start=1):
        marker = _MARKER.match(line)
        if marker is None:
            lines.append(line)
            continue
        editable, end = _EDITABLE.match(marker.group(1)), _END.match(marker.group(1))
        if editable:
            if prompt is not None:
                raise LetterError(
                    _(
                        "an editable block cannot start inside another one (opened on line "
                        "%(opened)s): close it first with [[ end ]]",
                        opened=opened_at,
                    ),
                    number,
                )
            text = (editable.group(1) or "").strip()
            if not text:
                raise LetterError(
                    _(
                        "an editable block needs a prompt for supporters, like "
                        "[[ editable: Why does this matter to you? ]]"
                    ),
                    number,
                )
            if len(text) > PROMPT_MAX:
                raise LetterError(
                    _("the prompt is longer than %(max)s characters", max=PROMPT_MAX), number
                )
            if lines:  # a locked part with no line at all (two markers in a row) is nothing
                segments.append(Segment("\n".join(lines), start))
            prompt, opened_at = text, number
        elif end:
            if prompt is None:
                raise LetterError(
                    _("[[ end ]] closes no block: open one with [[ editable: your prompt ]]"),
                    number,
                )
            segments.append(Segment("\n".join(lines), start, prompt))
            prompt = None
        else:
            raise LetterError(
                _(
                    "unknown marker %(marker)s: use [[ editable: your prompt ]] and [[ end ]]",
                    marker=line.strip(),
                ),
                number,
            )
        lines, start = [], number + 1
    if prompt is not None:
        raise LetterError(_("this editable block has no [[ end ]] line"), opened_at)
    if lines:
        segments.append(Segment("\n".join(lines), start))
    if sum(segment.editable for segment in segments) > BLOCKS_MAX:
        raise LetterError(_("a letter may have at most %(max)s editable blocks", max=BLOCKS_MAX))
    return segments


def validate_subject(source: str) -> None:
    """Refuse (LetterError) a subject template outside the whitelist."""
    if _MARKER.match(source.strip()):
        raise LetterError(_("editable blocks can only be in the body"), 1)
    validate_template(source)


def validate_body(source: str) -> list[Segment]:
    """Refuse (LetterError) a body template outside the whitelist or with broken markers."""
    _check_size(source)
    segments = split_blocks(source)
    for segment in segments:
        try:
            _compiled(segment.source + "\n", segment.first_line)
        except LetterError as exc:
            if len(segments) == 1 or not isinstance(exc.__cause__, TemplateSyntaxError):
                raise
            raise LetterError(
                _(
                    "%(reason)s (editable blocks cut the letter into parts: an %(tag)s must "
                    "open and close inside one part)",
                    reason=exc.reason,
                    tag="{% if %}",
                ),
                exc.line,
            ) from exc
    return segments


def validate_letter(subject: str, body: str) -> dict[str, LetterError]:
    """What is wrong with a letter's subject and body templates, by field; empty if nothing."""
    problems: dict[str, LetterError] = {}
    for name, source, check in (
        ("subject", subject, validate_subject),
        ("body", body, validate_body),
    ):
        try:
            check(source)
        except LetterError as exc:
            problems[name] = exc
    return problems


# -- Rendering ----------------------------------------------------------------------------


def render_text(source: str, context: dict[str, Any], first_line: int = 1) -> str:
    """Render one template source in the sandbox, after checking it (LetterError if not)."""
    _check_size(source)
    return _render(source, context, first_line)


def _render(source: str, context: dict[str, Any], first_line: int = 1) -> str:
    template = _compiled(source, first_line)
    try:
        return template.render(context)
    except TemplateError as exc:
        raise LetterError(
            exc.message or exc.__class__.__name__, getattr(exc, "lineno", None)
        ) from exc


@dataclass(frozen=True)
class Part:
    """A rendered part of a letter: locked text, or an editable block's default text."""

    text: str
    prompt: str | None = None

    @property
    def editable(self) -> bool:
        return self.prompt is not None


@dataclass(frozen=True)
class LetterParts:
    """A letter rendered for one official, its body kept in locked and editable parts."""

    subject: str
    parts: tuple[Part, ...]

    @property
    def body(self) -> str:
        """The whole body with every block's default text (what "free" letters start from)."""
        return "\n".join(part.text for part in self.parts).strip("\n")

    @property
    def blocks(self) -> list[Part]:
        return [part for part in self.parts if part.editable]


def _context(
    official: Official, campaign_title: str, today: str, supporter: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "official": official_fields(official),
        "supporter": {"name": "", "city": "", "postcode": "", **(supporter or {})},
        "campaign": {"title": campaign_title},
        "today": today,
    }


def render_parts(
    subject: str,
    body: str,
    official: Official,
    campaign_title: str,
    today: str,
    supporter: dict[str, str] | None = None,
    *,
    body_max: int = RENDERED_MAX,
    subject_max: int = SUBJECT_MAX,
) -> LetterParts:
    """The letter for one official, from a campaign's template, in locked and editable
    parts. Raises LetterError for an invalid template or a letter longer than the limits."""
    context = _context(official, campaign_title, today, supporter)
    rendered_subject = " ".join(render_text(subject, context).split())
    if len(rendered_subject) > subject_max:
        raise LetterError(
            _("the subject is longer than %(max)s characters once filled in", max=subject_max)
        )
    _check_size(body)
    parts = tuple(
        # The newline makes Jinja keep the segment's own last line break (it drops one).
        Part(_render(segment.source + "\n", context, segment.first_line), segment.prompt)
        for segment in split_blocks(body)
    )
    letter = LetterParts(rendered_subject, parts)
    if len(letter.body) > body_max:
        raise LetterError(
            _("the letter is longer than %(max)s characters once filled in", max=body_max)
        )
    return letter


def _clean_block(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def assemble(letter: LetterParts, texts: Sequence[str]) -> str:
    """The body of a "blocks" letter: the locked parts as the server rendered them, and the
    supporter's ``texts`` in the editable blocks, in order. A block missing from ``texts``
    keeps its default text; an emptied block is left out. Nothing in ``texts`` is ever
    rendered as a template."""
    supplied = iter(texts)
    pieces: list[str] = []
    for part in letter.parts:
        if not part.editable:
            pieces.append(part.text)
            continue
        text = _clean_block(next(supplied, part.text))
        if text:
            pieces.append(text)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(pieces)).strip("\n")


def signature(name: str, city: str, postcode: str) -> str:
    """The lines that end every letter, so an office can see the writer is a constituent."""
    place = " ".join(part for part in (city.strip(), postcode.strip()) if part)
    return "\n".join(part for part in (name.strip(), place) if part)


def sign(body: str, name: str, city: str, postcode: str) -> str:
    """The body with the supporter's signature after it."""
    lines = signature(name, city, postcode)
    return f"{body.rstrip()}\n\n{lines}" if lines else body.rstrip()
