"""The partner's certificate: PEM or PKCS#12 (password from its environment variable), refused
when expired, not yet valid or not matching its key; described without the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conformance.certify import credentials
from conformance.harness.environment import ClientProfile


def _pair(
    start_days: int = -1, end_days: int = 1
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(12345678901)
        .not_valid_before(now + dt.timedelta(days=start_days))
        .not_valid_after(now + dt.timedelta(days=end_days))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _p12_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **days: int) -> ClientProfile:
    key, cert = _pair(**days)
    blob = pkcs12.serialize_key_and_certificates(
        b"partner", key, cert, None, serialization.BestAvailableEncryption(b"s3cret")
    )
    (tmp_path / "partner.p12").write_bytes(blob)
    monkeypatch.setenv("PARTNER_P12", "s3cret")
    return ClientProfile(
        role="partner",
        customer_identification={"cbeNumber": "0206737484"},
        legal_context="NEO:UNEMPLOYMENT",
        p12=tmp_path / "partner.p12",
        p12_password_env="PARTNER_P12",
    )


def test_a_pkcs12_is_read_with_the_password_of_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _p12_client(tmp_path, monkeypatch)
    loaded = credentials.load(client)
    assert loaded.certificate.subject.rfc4514_string() == "CN=partner"
    monkeypatch.setenv("PARTNER_P12", "wrong")
    with pytest.raises(credentials.CredentialError, match=r"partner\.p12: cannot be read"):
        credentials.load(client)


def test_a_certificate_not_yet_valid_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _p12_client(tmp_path, monkeypatch, start_days=1, end_days=2)
    with pytest.raises(credentials.CredentialError, match="valid only from"):
        credentials.load(client)


def test_a_client_without_certificate_cannot_sign() -> None:
    client = ClientProfile("partner", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT")
    with pytest.raises(credentials.CredentialError, match="has no certificate"):
        credentials.load(client)


def test_the_description_names_no_key_and_no_11_digit_number() -> None:
    _, cert = _pair()
    described = credentials.describe(cert)
    assert described["serial"] == "02:DF:DC:1C:35"  # 12345678901, as hex: never a NISS
    assert described["sha256_fingerprint"].count(":") == 31
    assert "KEY" not in str(described)
