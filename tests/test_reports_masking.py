"""NISS masking and secret scrubbing (issue 5 item 6; NOTES §3 for what a NISS is)."""

from __future__ import annotations

import re

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
