"""NISS masking and secret scrubbing (issue 5 item 6; NOTES §3 for what a NISS is)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from niss_oracle import checksum_century

from conformance.reports.masking import Masker, clean_bytes, scrub_secrets

VALID = "85073003328"  # NOTES §3 known-valid NN
BIS = "98472899765"  # NOTES §3 known-valid BIS
BAD_CHECKSUM = "85073003329"


def test_valid_niss_and_bis_are_masked_keeping_two_digits_and_length() -> None:
    masked = Masker().mask_text(f"<ssin>{VALID}</ssin> and {BIS}")
    assert VALID not in masked and BIS not in masked
    found = re.findall(r"\d\d#[0-9a-f]{8}", masked)
    assert [m[:2] for m in found] == ["85", "98"]
    assert all(len(m) == 11 for m in found)


def test_mask_is_stable_within_and_across_maskers() -> None:
    one, two = Masker(), Masker()
    assert one.mask_of(VALID) == one.mask_of(VALID) == two.mask_of(VALID)
    assert one.mask_of(VALID) != one.mask_of("17073003384")


def test_mask_key_changes_the_mask(monkeypatch) -> None:
    default = Masker().mask_of(VALID)
    monkeypatch.setenv("BCSS_MASK_KEY", "team-private-key")
    assert Masker().mask_of(VALID) != default


def test_invalid_number_is_kept_unless_known() -> None:
    assert Masker().mask_text(BAD_CHECKSUM) == BAD_CHECKSUM
    assert BAD_CHECKSUM not in Masker([BAD_CHECKSUM]).mask_text(f"x{BAD_CHECKSUM}y")


def test_longer_digit_runs_and_printed_form() -> None:
    masker = Masker()
    assert masker.mask_text(VALID + "1") == VALID + "1"  # 12 digits: not a NISS
    printed = masker.mask_text("85.07.30-033.28")
    assert printed == masker.mask_of(VALID)


def test_mask_bytes_keeps_xml_well_formed() -> None:
    from lxml import etree

    data = f"<a><ssin>{VALID}</ssin><v value='{VALID}'/></a>".encode()
    root = etree.fromstring(Masker().mask_bytes(data))
    assert root.findtext("ssin") == Masker().mask_of(VALID)


def test_private_key_blocks_and_passwords_are_removed() -> None:
    text = (
        "before\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"
        "cut -----BEGIN PRIVATE KEY-----\nMIIC truncated"
    )
    cleaned = scrub_secrets(text, ["pa$$w0rd"])
    assert "PRIVATE KEY" not in cleaned and "MII" not in cleaned
    assert cleaned.startswith("before\n")
    assert "pa$$w0rd" not in scrub_secrets('{"p": "pa$$w0rd"}', ["pa$$w0rd"])
    json_escaped = '{"p": "a\\"b"}'  # the password a"b as a JSON file holds it
    assert 'a\\"b' not in scrub_secrets(json_escaped, ['a"b'])


def test_clean_bytes_scrubs_secrets_even_without_masking() -> None:
    data = f"{VALID} secret-value".encode()
    assert clean_bytes(data, None, ["secret-value"]) == f"{VALID} [secret removed]".encode()
    assert VALID.encode() not in clean_bytes(data, Masker(), ())


# 31 November 1935, checksum-valid: a reference run with --mask-ssin once left it readable
# because masking reused the strict validity rule (issue 12 item 5).
IMPOSSIBLE_DAY = "35113174609"


def test_a_checksum_valid_number_is_masked_whatever_its_date() -> None:
    from conformance import niss

    assert not niss.is_valid(IMPOSSIBLE_DAY)
    month_13 = "851330" + "033"
    month_13 += f"{97 - int(month_13) % 97:02d}"
    sequence_000 = "850730000" + f"{97 - 850730000 % 97:02d}"
    for number in (IMPOSSIBLE_DAY, month_13, sequence_000):
        masked = Masker().mask_text(
            f"<ssin>{number}</ssin> {number[:2]}.{number[2:4]}."
            f"{number[4:6]}-{number[6:9]}.{number[9:]}"
        )
        assert number not in masked and number[9:] + "<" not in masked, number
        assert masked.count(Masker().mask_of(number)) == 2


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_masked_exactly_when_check_digits_match_either_century(digits: str) -> None:
    masked = Masker().mask_text(f"[{digits}]")
    assert (digits not in masked) == checksum_century(digits)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_everything_python_stdnum_accepts_is_masked(digits: str) -> None:
    from stdnum.be import bis, nn

    if nn.is_valid(digits) or bis.is_valid(digits):
        assert digits not in Masker().mask_text(digits)


def test_niss_like_tokens_audits_a_finished_file() -> None:
    from conformance.reports.masking import niss_like_tokens

    data = f"{IMPOSSIBLE_DAY} {BAD_CHECKSUM} 85.07.30-033.28".encode()
    assert niss_like_tokens(data) == [IMPOSSIBLE_DAY, VALID]
    assert niss_like_tokens(Masker().mask_bytes(data)) == []


@given(st.integers(0, 999_999_999), st.booleans())
def test_every_checksum_valid_number_is_masked(base: int, born_2000: bool) -> None:
    from stdnum.be import bis, nn

    head = f"{base:09d}"
    digits = head + f"{97 - int(('2' if born_2000 else '') + head) % 97:02d}"
    masked = Masker().mask_text(f"<ssin>{digits}</ssin>")
    assert digits not in masked
    if nn.is_valid(digits) or bis.is_valid(digits):  # the oracle's valid numbers are a subset
        assert masked == f"<ssin>{Masker().mask_of(digits)}</ssin>"
