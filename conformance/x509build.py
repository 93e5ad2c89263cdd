"""Building throwaway X.509 material: one key type, one CA shape, one leaf shape.

The reference's dev PKI, the certificates a run makes to be refused, and the tests' own stubs all
build certificates here, so they cannot drift in what a CA or a client certificate carries. EC
P-256 keys keep generation in the milliseconds. Nothing built here is secret or meant for use
outside tests.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Key = ec.EllipticCurvePrivateKey
Validity = tuple[dt.datetime, dt.datetime]


def new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name: str, organisation: str | None = None) -> x509.Name:
    attributes = []
    if organisation is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def valid_for(days: float, *, starting: dt.timedelta = dt.timedelta(minutes=-5)) -> Validity:
    """From now + ``starting`` (a few minutes back by default: clocks drift) for ``days``."""
    start = dt.datetime.now(dt.UTC) + starting
    return start, start + dt.timedelta(days=days)


def ca(
    subject: x509.Name, validity: Validity, key: Key | None = None
) -> tuple[Key, x509.Certificate]:
    """A self-signed CA that may sign leaves only (path length 0)."""
    key = key or new_key()
    cert = (
        _base(subject, subject, key, validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def leaf(
    signer: Key,
    issuer: x509.Name,
    key: Key,
    subject: x509.Name,
    validity: Validity,
    *,
    usage: x509.ObjectIdentifier | None,
    san: Sequence[x509.GeneralName] = (),
) -> x509.Certificate:
    """An end-entity certificate; ``usage`` is its one extended key usage (None: no EKU).
    Self-signed when ``signer`` is ``key`` and ``issuer`` is ``subject``."""
    builder = (
        _base(subject, issuer, key, validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(san)), critical=False)
    return builder.sign(signer, hashes.SHA256())


def write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def write_key(path: Path, key: Key) -> None:
    """PKCS#8, unencrypted, readable by the owner only from the moment it exists."""
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)  # an existing file keeps its mode through O_CREAT


def _base(
    subject: x509.Name, issuer: x509.Name, key: Key, validity: Validity
) -> x509.CertificateBuilder:
    start, end = validity
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
