"""US ZIP codes: every spelling of a valid ZIP or ZIP+4 gives one form; anything else is refused
with InvalidPostcode, never another exception; prefix() keeps only the ZIP3 area."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy.civic.errors import InvalidPostcode
from advocacy.civic.postcodes import normalize, normalize_us, prefix

digits = st.text(alphabet=string.digits, min_size=1, max_size=1)
zip5 = st.text(alphabet=string.digits, min_size=5, max_size=5)
plus4 = st.text(alphabet=string.digits, min_size=4, max_size=4)
valid_codes = st.one_of(zip5, st.builds(lambda a, b: f"{a}-{b}", zip5, plus4))

SEPARATORS = ["", " ", "  ", "-", " - ", "\u2013", "\u2212", "\t", "\u3000"]


def full_width(text: str) -> str:
    """As an East Asian input method types it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def spellings(draw, code: str) -> str:
    """One way a supporter might type ``code``."""
    five, _, four = code.partition("-")
    text = five + (draw(st.sampled_from(SEPARATORS)) + four if four else "")
    if draw(st.booleans()):
        text = full_width(text)
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", " ", "\t"]))


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("20500", "20500"),
        (" 20500 ", "20500"),
        ("20500-0003", "20500-0003"),
        ("20500 0003", "20500-0003"),
        ("205000003", "20500-0003"),
        ("20500 - 0003", "20500-0003"),
        ("２０５００－０００３", "20500-0003"),
        ("00601", "00601"),  # Puerto Rico: leading zeros are kept
    ],
)
def test_common_spellings_normalise_to_one_form(raw, code):
    assert normalize_us(raw) == code
    assert normalize("US", raw) == code


@given(st.data(), valid_codes)
def test_every_spelling_of_a_valid_code_normalises_to_it(data, code):
    assert normalize_us(data.draw(spellings(code))) == code


@given(valid_codes)
def test_normalising_is_idempotent(code):
    assert normalize_us(normalize_us(code)) == code


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "2050",
        "205000",
        "20500-003",
        "20500-00031",
        "2050O",  # a letter O
        "20-500",
        "20500--0003x",
        "K1A 0B1",
        "SW1A 1AA",
        "٢٠٥٠٠",  # Arabic-Indic digits are digits, but not ZIP code digits
        "20500\x00",
        "9" * 40,
    ],
)
def test_invalid_codes_are_refused(raw):
    with pytest.raises(InvalidPostcode) as info:
        normalize_us(raw)
    assert info.value.country == "US"


@given(st.text(max_size=40))
def test_anything_else_is_refused_with_invalid_postcode_only(raw):
    try:
        code = normalize_us(raw)
    except InvalidPostcode:
        return
    assert code == normalize_us(code)  # whatever was accepted is canonical


@pytest.mark.parametrize("not_text", [None, 20500, b"20500"])
def test_non_text_is_refused(not_text):
    with pytest.raises(InvalidPostcode):
        normalize_us(not_text)


@given(valid_codes)
def test_prefix_is_the_zip3_area(code):
    assert prefix(code) == code[:3]
    assert len(prefix(code)) == 3


def test_prefix_still_gives_canadas_forward_sortation_area():
    assert prefix("K1A 0B1") == "K1A"
    assert prefix("20500-0003") == "205"
