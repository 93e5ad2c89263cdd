"""A throwaway self-signed client certificate, as the bytes of the files an environment names.

Valid from yesterday for two days, without extended key usage (a partner's own certificate
could have any): for tests that need files to open, not a certificate a service would accept.
"""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from conformance import x509build as build

_PEM = serialization.Encoding.PEM


def client_files(password: bytes, common_name: str = "test client") -> dict[str, bytes]:
    """``p12`` (protected by ``password``), ``cert`` (PEM) and ``key`` (unencrypted PKCS#8)."""
    key, name = build.new_key(), build.name(common_name)
    cert = build.leaf(
        key, name, key, name, build.valid_for(2, starting=-dt.timedelta(days=1)), usage=None
    )
    return {
        "p12": pkcs12.serialize_key_and_certificates(
            b"c", key, cert, None, BestAvailableEncryption(password)
        ),
        "cert": cert.public_bytes(_PEM),
        "key": _pkcs8(key),
    }


def other_key() -> bytes:
    """The PEM key of another pair: it matches no certificate made here."""
    return _pkcs8(build.new_key())


def _pkcs8(key: build.Key) -> bytes:
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
