"""The reference's two-way TLS refuses every certificate it must not trust, with the standard
library's OpenSSL verification alone; each TLS defect lets in exactly its own kind."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from conformance.harness.certs.generate import generate, subject_copy
from conformance.reference import verify_override
from conformance.reference.dataset import Dataset
from conformance.reference.pki import DevPki
from conformance.reference.server import build_pki, start_in_thread

KINDS = (
    "good",
    "none",
    "foreign",
    "self_signed",
    "foreign_expired",
    "expired",
    "not_yet_valid",
    "no_client_auth",
)
# What each server lets in; every other kind must be refused.
ACCEPTED = {
    None: {"good"},
    "client_cert_optional": {"good", "none"},
    "any_client_ca_accepted": {"good", "foreign", "self_signed"},
    "client_cert_dates_not_checked": {"good", "expired", "not_yet_valid"},
    "client_cert_usage_not_checked": {"good", "no_client_auth"},
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return build_pki(Dataset.load(), tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def certificates(
    pki: DevPki, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, str] | None]:
    made = tmp_path_factory.mktemp("made")
    subject = subject_copy(x509.load_pem_x509_certificate(pki.clients["onem"].cert.read_bytes()))
    pairs: dict[str, tuple[str, str] | None] = {"none": None}
    for name, creds in (
        ("good", pki.clients["onem"]),
        ("foreign", pki.foreign_client),
        *((kind, pki.refused[kind]) for kind in ("expired", "not_yet_valid", "no_client_auth")),
    ):
        pairs[name] = (str(creds.cert), str(creds.key))
    for name, kind in (("self_signed", "self_signed"), ("foreign_expired", "expired")):
        cert, key, _ca = generate(kind, subject, made / name)
        pairs[name] = (str(cert), str(key))
    return pairs


def _accepted(
    url_host: str, port: int, ca: Path, pair: tuple[str, str] | None, version: ssl.TLSVersion
) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    context.maximum_version = version
    if pair is not None:
        context.load_cert_chain(*pair)
    try:
        with (
            socket.create_connection((url_host, port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=url_host) as tls,
        ):
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return tls.recv(12).startswith(b"HTTP/1.1")
    except (ssl.SSLError, ConnectionError):
        return False


@pytest.fixture(scope="module", params=list(ACCEPTED), ids=lambda d: d or "faithful")
def served(request: pytest.FixtureRequest, pki: DevPki) -> Iterator[tuple[str | None, str, int]]:
    with start_in_thread(pki_dir=pki.directory, defect=request.param) as service:
        host, port = service.base_url.removeprefix("https://").rsplit(":", 1)
        yield request.param, host, int(port)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=str)
def test_each_server_lets_in_exactly_its_kinds(
    served: tuple[str | None, str, int],
    pki: DevPki,
    certificates: dict[str, tuple[str, str] | None],
    version: ssl.TLSVersion,
) -> None:
    defect, host, port = served
    let_in = {k for k in KINDS if _accepted(host, port, pki.ca_cert, certificates[k], version)}
    assert let_in == ACCEPTED[defect]


def test_the_refused_dev_certificates_are_what_they_claim(pki: DevPki) -> None:
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    load = lambda kind: x509.load_pem_x509_certificate(pki.refused[kind].cert.read_bytes())  # noqa: E731
    expired, future, usage = load("expired"), load("not_yet_valid"), load("no_client_auth")
    assert all(c.issuer == ca.subject for c in (expired, future, usage))
    assert expired.not_valid_after_utc < ca.not_valid_before_utc.now(ca.not_valid_before_utc.tzinfo)
    # Not yet valid for longer than the dev CA lives: a reused PKI never holds a valid one.
    assert future.not_valid_before_utc > ca.not_valid_after_utc
    eku = usage.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH not in eku


def test_the_verify_override_refuses_a_context_it_cannot_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.verify_mode = ssl.CERT_REQUIRED
    real = verify_override._openssl()

    class Misread:  # what a pointer read at the wrong offset would show: another verify mode
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        @staticmethod
        def SSL_CTX_get_verify_mode(pointer: int) -> int:
            return 0

    monkeypatch.setattr(verify_override, "_openssl", Misread)
    with pytest.raises(verify_override.VerifyOverrideError, match="layout"):
        verify_override.tolerate(context, {26})
    assert not hasattr(context, "_conformance_verify_callback")
