"""A throwaway development PKI for two-way TLS with the reference service.

One CA signs a server certificate (SAN 127.0.0.1 and localhost) and one client certificate per
dataset organisation, whose subject carries the organisation id (O=<id>, CN=<name>): the service
takes the caller's organisation from it (decision client-identity). A second, unrelated CA
signs one more client certificate, which the service must refuse at the TLS layer; the dev CA
itself signs three more it must refuse too (``refused/``: expired, not yet valid, no clientAuth):
the stronger tests, since their CA is trusted (docs/client-certificates.md).
EC P-256 keys keep generation fast. Nothing here is secret: never use it outside tests.
A folder that already holds a complete, valid PKI for the same organisations is reused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance import x509build as build
from conformance.x509build import Key

P12_PASSWORD = "changeit"
FOREIGN_ORG = "foreign"
_MANIFEST = "pki.json"
_VALIDITY = dt.timedelta(days=365)
_MIN_REMAINING = dt.timedelta(days=1)

_README = f"""Throwaway dev PKI of the conformance reference service. NOT SECRET: tests only.

ca.pem                  the dev CA the service trusts (pass it as verify= / --cacert)
server.pem, server.key  the service's certificate (SAN 127.0.0.1, localhost) and key
clients/<org>.pem/.key  one client certificate per dataset organisation (subject O=<org id>)
clients/<org>.p12       the same as PKCS#12, password: {P12_PASSWORD}
foreign/                a client certificate from ANOTHER CA: the service must refuse it
refused/<kind>.pem/.key from the dev CA, yet to be refused: expired, not_yet_valid,
                        no_client_auth (extended key usage serverAuth only)

curl example:
  curl --cacert ca.pem --cert clients/onem.pem --key clients/onem.key \\
       -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: "<action>"' \\
       --data-binary @request.xml https://127.0.0.1:4520/ForeignerSituationService/v1/consult
"""


@dataclass(frozen=True)
class ClientCredentials:
    cert: Path
    key: Path
    p12: Path
    p12_password: str = P12_PASSWORD


@dataclass(frozen=True)
class DevPki:
    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    clients: dict[str, ClientCredentials]
    foreign_client: ClientCredentials
    # From the dev CA, subject of the dataset's first organisation, each broken one way.
    refused: dict[str, ClientCredentials]


# The certificates of the dev CA the service must refuse (environment key refused_certificates).
REFUSED_KINDS = ("expired", "not_yet_valid", "no_client_auth")


def ensure_pki(directory: Path | str, organisations: Iterable[tuple[str, str]]) -> DevPki:
    """The PKI in ``directory`` for ``(org_id, name)`` pairs: reused when valid, else created."""
    directory = Path(directory)
    orgs = dict(organisations)
    directory.mkdir(parents=True, exist_ok=True)
    # Several processes (xdist workers, a `conformance serve` beside a run) may share a folder:
    # one creates it while the others wait, then reuse it.
    with open(directory / ".pki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pki = _layout(directory, sorted(orgs))
            return pki if _reusable(pki) else _generate(directory, orgs)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _layout(directory: Path, org_ids: list[str]) -> DevPki:
    def creds(folder: str, name: str) -> ClientCredentials:
        base = directory / folder / name
        return ClientCredentials(
            base.with_suffix(".pem"), base.with_suffix(".key"), base.with_suffix(".p12")
        )

    return DevPki(
        directory=directory,
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        clients={org: creds("clients", org) for org in org_ids},
        foreign_client=creds("foreign", FOREIGN_ORG),
        refused={kind: creds("refused", kind) for kind in REFUSED_KINDS},
    )


def _reusable(pki: DevPki) -> bool:
    manifest = pki.directory / _MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if sorted(recorded.get("organisations", [])) != sorted(pki.clients):
        return False
    creds = [*pki.clients.values(), pki.foreign_client]
    files = [pki.ca_cert, pki.server_cert, pki.server_key] + [
        p for c in creds for p in (c.cert, c.key, c.p12)
    ]
    files += [p for c in pki.refused.values() for p in (c.cert, c.key)]
    if not all(f.is_file() for f in files):
        return False
    limit = dt.datetime.now(dt.UTC) + _MIN_REMAINING
    for cert_file in (pki.ca_cert, pki.server_cert, *(c.cert for c in creds)):
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        if cert.not_valid_after_utc < limit:
            return False
    return True


def _generate(directory: Path, orgs: dict[str, str]) -> DevPki:
    pki = _layout(directory, sorted(orgs))
    for sub in ("clients", "foreign", "refused"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = build.ca(
        build.name("Conformance reference dev CA"), build.valid_for(_VALIDITY.days)
    )
    build.write_cert(pki.ca_cert, ca_cert)
    server_key = build.new_key()
    server = _issue(
        ca_key,
        ca_cert,
        server_key,
        build.name("127.0.0.1"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    build.write_cert(pki.server_cert, server)
    build.write_key(pki.server_key, server_key)
    for org_id, name in orgs.items():
        _client(ca_key, ca_cert, org_id, name, pki.clients[org_id])
    other_key, other_ca = build.ca(build.name("Some other CA"), build.valid_for(_VALIDITY.days))
    _client(other_key, other_ca, "onem", "Not trusted", pki.foreign_client)
    _refused(ca_key, ca_cert, next(iter(orgs.items()), ("onem", "onem")), pki)
    (directory / "README.txt").write_text(_README, encoding="utf-8")
    (directory / _MANIFEST).write_text(
        json.dumps({"organisations": sorted(orgs)}), encoding="utf-8"
    )
    return pki


def _issue(
    ca_key: Key,
    ca_cert: x509.Certificate,
    key: Key,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    san: list[x509.GeneralName] | None = None,
    validity: tuple[dt.datetime, dt.datetime] | None = None,
) -> x509.Certificate:
    window = validity or build.valid_for(_VALIDITY.days)
    return build.leaf(ca_key, ca_cert.subject, key, subject, window, usage=usage, san=san or ())


def _client(
    ca_key: Key,
    ca_cert: x509.Certificate,
    org_id: str,
    name: str,
    creds: ClientCredentials,
) -> None:
    key = build.new_key()
    subject = _subject(org_id, name)
    cert = _issue(ca_key, ca_cert, key, subject, ExtendedKeyUsageOID.CLIENT_AUTH)
    build.write_cert(creds.cert, cert)
    build.write_key(creds.key, key)
    p12 = pkcs12.serialize_key_and_certificates(
        org_id.encode(),
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(P12_PASSWORD.encode()),
    )
    creds.p12.write_bytes(p12)


def _refused(
    ca_key: Key,
    ca_cert: x509.Certificate,
    org: tuple[str, str],
    pki: DevPki,
) -> None:
    """The dev CA's own certificates that must still be refused, for the subject ``org``."""
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    # Not yet valid until after the CA itself expires: a reused PKI (regenerated before the
    # CA's end) never holds one that has become valid.
    windows = {
        "expired": (now - 2 * day, now - day, ExtendedKeyUsageOID.CLIENT_AUTH),
        "not_yet_valid": (
            now + 2 * _VALIDITY,
            now + 3 * _VALIDITY,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        ),
        "no_client_auth": (
            now - dt.timedelta(minutes=5),
            now + _VALIDITY,
            ExtendedKeyUsageOID.SERVER_AUTH,
        ),
    }
    subject = _subject(*org)
    for kind, (start, end, usage) in windows.items():
        key = build.new_key()
        cert = _issue(ca_key, ca_cert, key, subject, usage, validity=(start, end))
        build.write_cert(pki.refused[kind].cert, cert)
        build.write_key(pki.refused[kind].key, key)


def _subject(org_id: str, name: str) -> x509.Name:
    return build.name(name[:64] or org_id, organisation=org_id)
