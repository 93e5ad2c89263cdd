"""One refused certificate per case, made or picked when the case first needs it.

Generated ones live in a private temporary folder (0700) for the run and are copied to
``<report-dir>/client-certificates/<case-id>/``: the reproduction command names those copies,
which outlive the run. With masking on (``--mask-ssin``) keys are not copied, and the command
names the temporary key, gone after the run (the case regenerates one when run again).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)

from conformance.harness.certs import CRAFTS, own_ca
from conformance.harness.certs.generate import (
    CertificateFacts,
    facts,
    generate,
    named,
    read_certificate,
    subject_copy,
)
from conformance.harness.environment import ClientProfile, Environment
from conformance.harness.environment.model import CertificateFiles

KEPT_FOLDER = "client-certificates"


@dataclass(frozen=True)
class RefusedCertificate:
    """The certificate a case presents, what it is, and what a report says of it."""

    craft: str
    what: str  # e.g. "a certificate from an unknown CA"
    cert: Path
    key: Path
    facts: CertificateFacts
    ca: Path | None = None  # the throwaway CA that issued it, when generated


def not_applicable(
    craft: str | None, expects_refusal: bool, environment: Environment
) -> str | None:
    """Why a TLS-refusal case cannot run in ``environment`` (None when it can)."""
    if (expects_refusal or craft in CRAFTS) and not environment.tls:
        return (
            "the environment says tls: false: no two-way TLS to test here (a dev stub or a "
            "local proxy), so no client certificate can be refused"
        )
    if expects_refusal and urlsplit(environment.endpoint).scheme != "https":
        return (
            "the endpoint is plain HTTP: there is no TLS handshake in which a client "
            "certificate could be refused (TSS §4 two-way TLS)"
        )
    if craft in CRAFTS and own_ca(craft):
        kind = CRAFTS[craft][0]
        if kind not in environment.refused_certificates:
            return (
                f"the environment names no refused_certificates.{kind} (a certificate of its own "
                "CA that must be refused, docs/client-certificates.md)"
            )
    return None


class CertificateFactory:
    """Per runtime (one per process): makes, keeps and finally deletes the run's certificates."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._keep_in: Path | None = None
        self._keep_keys = True
        self._tmpdir: Path | None = None
        self._made: dict[str, RefusedCertificate] = {}

    def keep_in(self, report_dir: Path, *, keys: bool) -> None:
        """Copy every certificate made from now on to ``report_dir`` (keys only if ``keys``)."""
        self._keep_in, self._keep_keys = report_dir / KEPT_FOLDER, keys

    def for_case(self, case_id: str, craft: str, client: ClientProfile) -> RefusedCertificate:
        """The certificate case ``case_id`` presents as ``client`` (made once per run)."""
        made = self._made.get(case_id)
        if made is None:
            made = self._own(craft) if own_ca(craft) else self._generated(case_id, craft, client)
            self._made[case_id] = made
        return made

    def close(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._made.clear()

    def _private(self) -> Path:
        if self._tmpdir is None:  # mkdtemp makes it 0700
            self._tmpdir = Path(tempfile.mkdtemp(prefix="bcss-conformance-certs-"))
        return self._tmpdir

    def _generated(self, case_id: str, craft: str, client: ClientProfile) -> RefusedCertificate:
        kind, what = CRAFTS[craft]
        if client.has_certificate:
            subject = subject_copy(read_certificate(client.cert, client.p12, client.p12_password()))
        else:  # nothing to copy: the organisation the environment says the client is
            subject = named(client.certificate_org or client.role, client.role)
        cert, key, ca = generate(kind, subject, self._private() / case_id)
        if self._keep_in is not None:
            kept = self._keep_in / case_id
            shutil.rmtree(kept, ignore_errors=True)  # an earlier run's files
            kept.mkdir(parents=True)
            files = [cert, *([ca] if ca else []), *([key] if self._keep_keys else [])]
            for source in files:
                shutil.copy2(source, kept / source.name)
            cert, ca = kept / cert.name, (kept / ca.name if ca else None)
            key = kept / key.name if self._keep_keys else key
        return RefusedCertificate(craft, what, cert, key, facts(read_certificate(cert)), ca)

    def _own(self, craft: str) -> RefusedCertificate:
        kind, what = CRAFTS[craft]
        files = self.environment.refused_certificates[kind]
        password = _password(files)
        cert = read_certificate(files.cert, files.p12, password)
        if files.cert is not None and files.key is not None:
            return RefusedCertificate(craft, what, files.cert, files.key, facts(cert))
        pair = self._private() / f"own-{kind}"  # PKCS#12 as the PEM pair the transport sends
        pair.mkdir(mode=0o700, exist_ok=True)
        assert files.p12 is not None
        key, _cert, _extra = pkcs12.load_key_and_certificates(files.p12.read_bytes(), password)
        if key is None:
            raise ValueError(f"{files.p12} holds no private key")
        cert_path, key_path = pair / "client.pem", pair / "client.key"
        cert_path.write_bytes(cert.public_bytes(Encoding.PEM))
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        return RefusedCertificate(craft, what, cert_path, key_path, facts(cert))


def presenting(client: ClientProfile, certificate: RefusedCertificate) -> ClientProfile:
    """``client`` as it connects for the case: with the refused certificate instead of its own."""
    return dataclasses.replace(
        client, cert=certificate.cert, key=certificate.key, p12=None, p12_password_env=None
    )


def _password(files: CertificateFiles) -> bytes | None:
    if not files.p12_password_env:
        return None
    value = os.environ.get(files.p12_password_env)
    return value.encode() if value is not None else None
