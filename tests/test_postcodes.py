"""Postal code normalisation: every spelling of a valid code gives one form; anything else is
refused with InvalidPostcode, never another exception."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy.civic.errors import InvalidPostcode
from advocacy.civic.postcodes import normalize, normalize_ca, prefix

FIRST = "ABCEGHJKLMNPRSTVXY"
OTHER = "ABCEGHJKLMNPRSTVWXYZ"

valid_codes = st.builds(
    lambda a, b, c, d, e, f: f"{a}{b}{c} {d}{e}{f}",
    st.sampled_from(FIRST),
    st.sampled_from(string.digits),
    st.sampled_from(OTHER),
    st.sampled_from(string.digits),
    st.sampled_from(OTHER),
    st.sampled_from(string.digits),
)


@st.composite
def spellings(draw, code: str) -> str:
    """One way a supporter might type ``code``."""
    compact = code.replace(" ", "")
    chars = [c.lower() if draw(st.booleans()) else c for c in compact]
    separator = draw(st.sampled_from(["", " ", "  ", "-", " - ", "\u2013", "\t"]))
    text = "".join(chars[:3]) + separator + "".join(chars[3:])
    if draw(st.booleans()):  # full-width characters, as an East Asian input method types them
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", " ", "\t"]))


@pytest.mark.parametrize("raw", ["k1a 0b1", "K1A0B1", " K1A-0B1 ", "k1a0b1\n", "Ｋ１Ａ　０Ｂ１"])
def test_common_spellings_normalise_to_one_form(raw):
    assert normalize_ca(raw) == "K1A 0B1"


@given(st.data(), valid_codes)
def test_every_spelling_of_a_valid_code_normalises_to_it(data, code):
    assert normalize_ca(data.draw(spellings(code))) == code


@given(valid_codes)
def test_normalising_is_idempotent(code):
    assert normalize_ca(normalize_ca(code)) == code


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12345",
        "K1A 0B",
        "K1A 0B12",
        "D1A 0B1",
        "W1A 0B1",
        "Z1A 0B1",
        "K1O 0B1",
        "K1A 0U1",
        "SW1A 1AA",
        "K1A_0B1",
        "K1A.0B1",
        "<script>",
        "K1A 0B1 K1A 0B1",
        "x" * 5000,
    ],
)
def test_malformed_codes_are_refused(raw):
    with pytest.raises(InvalidPostcode):
        normalize_ca(raw)


@given(st.text(max_size=40))
def test_anything_else_is_refused_never_a_crash(raw):
    try:
        result = normalize_ca(raw)
    except InvalidPostcode:
        return
    # Whatever was accepted is a canonical, valid code.
    assert normalize_ca(result) == result
    assert len(result) == 7 and result[3] == " "
    assert result[0] in FIRST and result[2] in OTHER and result[4] in OTHER


def test_unknown_country_is_refused():
    with pytest.raises(InvalidPostcode):
        normalize("ZZ", "K1A 0B1")


def test_prefix_is_the_forward_sortation_area():
    assert prefix("K1A 0B1") == "K1A"
