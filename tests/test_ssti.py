"""Server-side template injection: a corpus of public payloads (Jinja2 sections of the
well-known SSTI lists, including the str.format / format_map escapes fixed in Jinja 3.1.5 and
3.1.6). Each is refused when saved, or renders inert: no secret, configuration value, object
internals or file content ever reaches a letter."""

from __future__ import annotations

import pytest

from advocacy.campaigns import SAMPLE_OFFICIAL
from advocacy.letters import LetterError, render_parts, validate_template

SECRET = "test-secret-key-that-is-long-enough"

PAYLOADS = [
    "{{7*7}}",
    "{{7*'7'}}",
    "{{ 'a' * 100000000 }}",
    "{{ 9**9**9 }}",
    "{{config}}",
    "{{config.items()}}",
    "{{ config['SECRET_KEY'] }}",
    "{{ settings }}",
    "{{self}}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{request}}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ request|attr('application') }}",
    "{{ g }}",
    "{{ session }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1] }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__()[59].__init__.__globals__ }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ [].__class__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('cat /etc/passwd').read() }}",
    "{{ lipsum.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ url_for.__globals__.current_app.config }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ range.__class__ }}",
    "{{ range(100000000)|list }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% for x in range(10) %}{% for y in range(10) %}x{% endfor %}{% endfor %}",
    "{{ '%s'|format(config) }}",
    "{{ '%s'|format(official) }}",
    "{{ '{0.__class__}'.format(official) }}",
    "{{ '{0}'.format_map(official) }}",
    "{{ '{x.__class__.__init__.__globals__}'.format_map({'x': official}) }}",
    "{{ official.name.format(official) }}",
    "{{ official.name.format_map(official) }}",
    "{{ official|attr('__class__') }}",
    "{{ official|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ official['__class__'] }}",
    "{{ official.__dict__ }}",
    "{{ official.items() }}",
    "{{ official.name.__class__.__mro__ }}",
    "{{ official.name|attr('upper')() }}",
    "{% set x = official.__class__ %}{{ x }}",
    "{% set x = 1 %}{{ x }}",
    "{% include '/etc/passwd' %}",
    "{% include 'base.html' %}",
    "{% extends 'base.html' %}",
    "{% import 'base.html' as b %}",
    "{% from 'base.html' import x %}",
    "{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}",
    "{% call official.name() %}{% endcall %}",
    "{% filter upper %}x{% endfilter %}",
    "{% with a = official.__class__ %}{{ a }}{% endwith %}",
    "{{ official.name|map('attr', '__class__')|list }}",
    "{{ dict(a=1) }}",
    "{{ official.name|string|list }}",
    "{{ [official.name]|sort(attribute='__class__') }}",
    "{% raw %}{{ config }}{% endraw %}",
    "{# {{ config }} #}",
    "{{ official.name.__len__() }}",
    "{{ official.name[0] }}",
    "{{ official.name[:3] }}",
    "{{ unknown }}",
    "{{ official.email }}",
    "{{ supporter.email }}",
    "{{ official.name",
    "{% if %}",
    "{{ official.name|safe }}",
    "{{ official.name|e|safe }}",
]

LEAKS = [
    SECRET,
    "<class",
    "__globals__",
    "root:",
    "uid=",
    "SECRET_KEY",
    "function ",
    "<bound",
    "builtins",
    "Template",
    "0x",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_is_refused_or_inert(payload):
    try:
        validate_template(payload)
    except LetterError as exc:
        assert str(exc)  # refused, with a reason
        return
    letter = render_parts("Subject", payload, SAMPLE_OFFICIAL, "Campaign", "today")
    for leak in LEAKS:
        assert leak not in letter.body, (payload, letter.body)
    assert len(letter.body) < 10_000


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ config }}",
        "{{ self }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(official) }}",
        "{{ official|attr('__class__') }}",
        "{{ unknown }}",
        "{{ official.name",
    ],
)
def test_the_known_escapes_are_refused_when_saved(payload):
    with pytest.raises(LetterError):
        validate_template(payload)
