"""UK postcode normalisation: every spelling of a valid postcode gives one form (``SW1A 1AA``);
anything else is refused with InvalidPostcode, never another exception. Outward codes alone
(``SW1A``) have their own normaliser."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy.civic.errors import InvalidPostcode
from advocacy.civic.postcodes import normalize, normalize_gb, normalize_gb_outcode

# Royal Mail's rules, spelled out as sets rather than as the module's regular expression.
FIRST = "".join(c for c in string.ascii_uppercase if c not in "QVX")
SECOND = "".join(c for c in string.ascii_uppercase if c not in "IJZ")
THIRD_A9A = "ABCDEFGHJKPSTUW"
FOURTH_AA9A = "ABEHMNPRVWXY"
INWARD = "".join(c for c in string.ascii_uppercase if c not in "CIKMOV")
DIGITS = st.sampled_from(string.digits)


def _joined(*parts):
    return st.tuples(*parts).map("".join)


outward_codes = st.one_of(
    _joined(st.sampled_from(FIRST), DIGITS),  # A9: M1
    _joined(st.sampled_from(FIRST), DIGITS, DIGITS),  # A99: B33
    _joined(st.sampled_from(FIRST), DIGITS, st.sampled_from(THIRD_A9A)),  # A9A: W1A
    _joined(st.sampled_from(FIRST), st.sampled_from(SECOND), DIGITS),  # AA9: CR2
    _joined(st.sampled_from(FIRST), st.sampled_from(SECOND), DIGITS, DIGITS),  # AA99: DN55
    _joined(  # AA9A: EC1A
        st.sampled_from(FIRST), st.sampled_from(SECOND), DIGITS, st.sampled_from(FOURTH_AA9A)
    ),
)
inward_codes = _joined(DIGITS, st.sampled_from(INWARD), st.sampled_from(INWARD))
valid_codes = st.one_of(
    st.builds(lambda out, inward: f"{out} {inward}", outward_codes, inward_codes),
    st.just("GIR 0AA"),
)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def spellings(draw, code: str) -> str:
    """One way a supporter might type ``code``."""
    outward, inward = code.split(" ")
    chars = [c.lower() if draw(st.booleans()) else c for c in outward + inward]
    separator = draw(st.sampled_from(["", " ", "  ", "-", " - ", "\u2013", "\t", "\u3000"]))
    text = "".join(chars[: len(outward)]) + separator + "".join(chars[len(outward) :])
    if draw(st.booleans()):  # full-width characters, as an East Asian input method types them
        text = _full_width(text)
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", " ", "\t"]))


@pytest.mark.parametrize(
    "raw", ["sw1a1aa", "SW1A 1AA", " sw1a-1aa ", "Sw1A  1aA\n", "ＳＷ１Ａ　１ＡＡ", "sw1a\u20131aa"]
)
def test_common_spellings_normalise_to_one_form(raw):
    assert normalize_gb(raw) == "SW1A 1AA"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("m11ae", "M1 1AE"),  # A9
        ("b338th", "B33 8TH"),  # A99
        ("w1a0ax", "W1A 0AX"),  # A9A
        ("cr26xh", "CR2 6XH"),  # AA9
        ("dn551pt", "DN55 1PT"),  # AA99
        ("ec1a1bb", "EC1A 1BB"),  # AA9A
        ("br87re", "BR8 7RE"),
        ("gir0aa", "GIR 0AA"),  # Girobank: the one code outside the rules
    ],
)
def test_every_outward_pattern(raw, expected):
    assert normalize_gb(raw) == expected


@given(st.data(), valid_codes)
def test_every_spelling_of_a_valid_code_normalises_to_it(data, code):
    assert normalize_gb(data.draw(spellings(code))) == code


@given(valid_codes)
def test_normalising_is_idempotent(code):
    assert normalize_gb(normalize_gb(code)) == code


@given(valid_codes)
def test_the_canonical_form_has_one_space_before_the_inward_code(code):
    result = normalize_gb(code)
    outward, inward = result.split(" ")
    assert len(inward) == 3 and inward[0].isdigit()
    assert 2 <= len(outward) <= 4


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "SW1A",  # an outward code alone is not a full postcode
        "SW1A 1A",
        "SW1A 1AAA",
        "QA1 1AA",  # Q, V and X never come first
        "VA1 1AA",
        "X1 1AA",
        "AI1 1AA",  # I, J and Z never come second
        "AJ1 1AA",
        "AZ1 1AA",
        "A1I 1AA",  # only ABCDEFGHJKPSTUW third in A9A
        "A1Z 1AA",
        "AA1C 1AA",  # only ABEHMNPRVWXY fourth in AA9A
        "AA1D 1AA",
        "SW1A 1CA",  # never C, I, K, M, O or V in the inward code
        "SW1A 1AI",
        "SW1A 1KA",
        "SW1A 1AM",
        "SW1A 1OA",
        "SW1A 1AV",
        "SW1A AAA",
        "SW1A 11A",
        "A123 1AA",
        "AAA 1AA",
        "GIR 0AB",
        "K1A 0B1",  # Canadian
        "12345",
        "SW1A_1AA",
        "SW1A.1AA",
        "<script>",
        "SW1A 1AA SW1A 1AA",
        "x" * 5000,
    ],
)
def test_malformed_codes_are_refused(raw):
    with pytest.raises(InvalidPostcode):
        normalize_gb(raw)


@given(outward_codes, st.sampled_from("CIKMOV"), st.sampled_from(INWARD), st.booleans(), DIGITS)
def test_a_forbidden_inward_letter_is_refused(outward, bad, good, first, digit):
    inward = digit + (bad + good if first else good + bad)
    with pytest.raises(InvalidPostcode):
        normalize_gb(f"{outward} {inward}")


@given(st.sampled_from("QVX"), st.text(alphabet=string.digits + "AB", max_size=3), inward_codes)
def test_a_forbidden_first_letter_is_refused(first, rest, inward):
    with pytest.raises(InvalidPostcode):
        normalize_gb(f"{first}{rest} {inward}")


@given(st.text(max_size=40))
def test_anything_else_is_refused_never_a_crash(raw):
    try:
        result = normalize_gb(raw)
    except InvalidPostcode:
        return
    # Whatever was accepted is a canonical, valid code.
    assert normalize_gb(result) == result
    outward, inward = result.split(" ")
    assert result == "GIR 0AA" or (
        outward[0] in FIRST and inward[0].isdigit() and set(inward[1:]) <= set(INWARD)
    )


def test_the_country_table_knows_gb():
    assert normalize("GB", "sw1a1aa") == "SW1A 1AA"
    with pytest.raises(InvalidPostcode) as caught:
        normalize("GB", "K1A 0B1")
    assert caught.value.country == "GB"


# -- outward codes alone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("br8", "BR8"), (" sw1a ", "SW1A"), ("Ｍ１", "M1"), ("ec1a", "EC1A"), ("dn55", "DN55")],
)
def test_outward_codes_normalise(raw, expected):
    assert normalize_gb_outcode(raw) == expected


@given(outward_codes, st.booleans())
def test_every_outward_code_is_accepted_in_either_case(code, lower):
    assert normalize_gb_outcode(code.lower() if lower else code) == code


@given(valid_codes)
def test_the_outward_half_of_every_full_code_is_an_outward_code(code):
    outward = normalize_gb(code).split(" ")[0]
    if outward != "GIR":
        assert normalize_gb_outcode(outward) == outward


@pytest.mark.parametrize(
    "raw", ["", "SW1A 1AA", "GIR", "Q1", "AI1", "A1I", "AA1C", "SW1AA", "1A", "<b>", "x" * 5000]
)
def test_malformed_outward_codes_are_refused(raw):
    with pytest.raises(InvalidPostcode):
        normalize_gb_outcode(raw)


@given(st.text(max_size=20))
def test_outward_codes_refuse_anything_else_never_a_crash(raw):
    try:
        result = normalize_gb_outcode(raw)
    except InvalidPostcode:
        return
    assert normalize_gb_outcode(result) == result and " " not in result


@pytest.mark.parametrize(
    ("code", "stored"),
    [("SW1A 1AA", "SW1A"), ("M1 1AE", "M1"), ("BR8 7RE", "BR8"), ("SW1A", "SW1A")],
)
def test_the_stored_part_of_a_uk_postcode_is_its_outward_code(code, stored):
    from advocacy.civic.postcodes import prefix

    assert prefix(code) == stored
