"""Client certificates as ``ssl`` wants them: a PEM pair, converted from PKCS#12 when needed."""

from __future__ import annotations

import functools
import os
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path

import certifi

from conformance.harness.environment import ClientProfile, Environment


class CredentialError(Exception):
    """A client certificate or the CA bundle could not be used; the message is the reason."""


def cert_pair(client: ClientProfile, pem_dir: Callable[[], Path]) -> tuple[str, str]:
    """The client's (certificate, key) PEM paths; a PKCS#12 file is converted once into
    ``pem_dir()``."""
    if client.cert is not None and client.key is not None:
        return str(client.cert), str(client.key)
    assert client.p12 is not None
    target = pem_dir() / client.role
    cert_path, key_path = target.with_suffix(".crt"), target.with_suffix(".key")
    if not cert_path.exists():
        _convert_p12(client, cert_path, key_path)
    return str(cert_path), str(key_path)


class _EncryptedKey(Exception):
    pass


def _no_prompt() -> bytes:
    # Without a password callback OpenSSL asks on the terminal: a nightly run would block.
    raise _EncryptedKey


def verify_context(ca: Path | None) -> ssl.SSLContext:
    """A client context that verifies the server against ``ca`` (default: certifi's CAs)."""
    try:
        return ssl.create_default_context(cafile=str(ca) if ca else certifi.where())
    except (OSError, ssl.SSLError) as exc:
        # Our own configuration, not the server's doing: never a "TLS handshake failed".
        raise CredentialError(f"CA bundle {ca}: cannot be loaded: {first_line(exc)}") from None


def load_pair(context: ssl.SSLContext, client: ClientProfile, pair: tuple[str, str]) -> None:
    """The client's pair into ``context``; a :class:`CredentialError` names role and files."""
    try:
        context.load_cert_chain(*pair, password=_no_prompt)
    except _EncryptedKey:
        raise CredentialError(
            f"client {client.role}: key {pair[1]} is encrypted; give the certificate as a "
            "PKCS#12 file, with its password's variable in p12_password_env"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise CredentialError(
            f"client {client.role}: cannot use certificate {pair[0]} with key {pair[1]}: "
            f"{first_line(exc)}"
        ) from None


def check(environment: Environment) -> None:
    """Open the CA bundle and every client certificate of ``environment`` as a send would: a
    wrong PKCS#12 password, a key that does not match its certificate or a CA bundle that is no
    PEM is then one line before the run, not a transport failure in every case. Raise
    :class:`CredentialError`."""
    if environment.ca_bundle is not None:
        verify_context(environment.ca_bundle)
    seen: set[tuple[Path | None, ...]] = set()
    with tempfile.TemporaryDirectory(prefix="bcss-conformance-check-") as tmp:
        for client in environment.clients.values():
            files = (client.cert, client.key, client.p12)
            if not client.has_certificate or files in seen:
                continue
            seen.add(files)
            pem_dir = Path(tmp) / str(len(seen))
            pem_dir.mkdir()
            pair = cert_pair(client, functools.partial(Path, pem_dir))
            load_pair(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), client, pair)


def _convert_p12(client: ClientProfile, cert_path: Path, key_path: Path) -> None:
    """PKCS#12 to a PEM pair (ssl takes PEM only), written 0600 in the transport's temp dir."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        pkcs12,
    )

    assert client.p12 is not None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            client.p12.read_bytes(), client.p12_password()
        )
    except (OSError, ValueError) as exc:
        raise CredentialError(
            f"client {client.role}: cannot open PKCS#12 {client.p12} "
            f"(password from ${client.p12_password_env}): {first_line(exc)}"
        ) from None
    if key is None or cert is None:
        raise CredentialError(
            f"client {client.role}: PKCS#12 {client.p12} lacks a key or certificate"
        )
    chain = b"".join(c.public_bytes(Encoding.PEM) for c in [cert, *(extra or [])])
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    for path, data in ((key_path, key_pem), (cert_path, chain)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
