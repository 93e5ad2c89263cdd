"""The detached CMS signature: made with cryptography, checked by our SignerInfo verification
(RSA and EC keys), refused when anything is changed or the signer is not the CA's."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conformance.certify import signature
from conformance.certify.credentials import SigningKey

DATA = b'{"schema_version": 1}\n'


def _certificate(key: SigningKey, issuer_key: SigningKey | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(issuer_key or key, hashes.SHA256())
    )


def _ca(key: SigningKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


KEYS = {
    "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_a_signature_verifies_and_names_its_signer(kind: str) -> None:
    ca_key, key = KEYS[kind](), KEYS[kind]()
    cert = _certificate(key, ca_key)
    sig = signature.sign(DATA, cert, key)
    assert signature.verify(DATA, sig) == cert
    assert signature.verify(DATA, sig, [_ca(ca_key)]) == cert
    with pytest.raises(signature.SignatureError, match="not issued by the given CA"):
        signature.verify(DATA, sig, [_ca(KEYS[kind]())])
    with pytest.raises(signature.ManifestChanged, match="changed after it was signed"):
        signature.verify(DATA.replace(b"1", b"2"), sig)


def test_every_changed_byte_of_the_signature_is_refused_or_names_another_signer() -> None:
    key = KEYS["ec"]()
    cert = _certificate(key)
    sig = signature.sign(DATA, cert, key)
    for index in range(len(sig)):
        changed = bytearray(sig)
        changed[index] ^= 0x01
        try:
            signer = signature.verify(DATA, bytes(changed))
        except signature.ManifestChanged:  # the data did not change: the signature did
            raise AssertionError(f"byte {index} of the signature blamed on the manifest") from None
        except signature.SignatureError:
            continue
        # Only a changed certificate can still parse; verify.py then finds that it is not the
        # certificate the signed manifest names.
        assert signer != cert, index


def test_an_attached_signature_or_garbage_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    key = KEYS["ec"]()
    cert = _certificate(key)
    attached = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(DATA)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    with pytest.raises(signature.SignatureError, match="not a detached signature"):
        signature.verify(DATA, attached)
    with pytest.raises(signature.SignatureError, match="cannot be read as CMS"):
        signature.verify(DATA, b"not DER at all")
