"""Serving: two-way TLS refusals at the TLS layer, plain HTTP mode, PKI reuse, clean stop."""

from __future__ import annotations

import ssl

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conformance.reference import samples
from conformance.reference.dataset import Dataset
from conformance.reference.pki import ensure_pki
from conformance.reference.pytest_fixture import session_for
from conformance.reference.server import start_in_thread
from conformance.xmlsafe import parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

DATASET = Dataset.load()
ONEM = DATASET.client_roles()["onem"]
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")


def code_of(response: requests.Response) -> str | None:
    root = parse_untrusted(response.content)
    return root.findtext(".//status/code") or root.findtext(".//reasonCode")


def _caused_by_ssl(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLError | requests.exceptions.SSLError):
            return True
        # TLS 1.3 sends the refusal after the client's handshake: it arrives as a reset/EOF
        if isinstance(exc, ConnectionResetError | BrokenPipeError):
            return True
        exc = (
            exc.__cause__
            or exc.__context__
            or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
        )
        seen += 1
    return False


@pytest.mark.parametrize("client", ["none", "foreign"])
def test_tls_refuses_client_without_trusted_certificate(reference_service, client: str) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()
    session = session_for(service, None)
    if client == "foreign":
        creds = service.pki.foreign_client
        session.cert = (str(creds.cert), str(creds.key))
    with session, pytest.raises(requests.exceptions.ConnectionError) as caught:
        session.post(service.url, data=GOOD.body, headers=GOOD.headers, timeout=10)
    assert _caused_by_ssl(caught.value), repr(caught.value)
    # The service keeps serving trusted clients.
    with session_for(service) as trusted:
        assert (
            code_of(trusted.post(service.url, data=GOOD.body, headers=GOOD.headers, timeout=10))
            == "MSG00000"
        )


def test_plain_http_identifies_by_customer_identification(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service(tls=False)
    assert service.url.startswith("http://127.0.0.1:") and service.pki is None
    with session_for(service) as session:
        response = session.post(service.url, data=GOOD.body, headers=GOOD.headers, timeout=10)
        assert code_of(response) == "MSG00000"
        # Without TLS, the identity_mismatch client is simply VDAB asking with ONEM's legal context.
        role = DATASET.client_roles()["identity_mismatch"]
        body = GOOD.body.replace(
            b"<cbeNumber>0206737484<",
            f"<cbeNumber>{role.customer_identification['cbeNumber']}<".encode(),
        )
        assert (
            code_of(session.post(service.url, data=body, headers=GOOD.headers, timeout=10))
            == "MSG00013"
        )
        unknown = GOOD.body.replace(b"<cbeNumber>0206737484<", b"<cbeNumber>0123456789<")
        assert (
            code_of(session.post(service.url, data=unknown, headers=GOOD.headers, timeout=10))
            == "MSG00015"
        )


def test_certificates_carry_the_organisation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    orgs = [(o.id, o.name) for o in DATASET.organisations.values()]
    pki = ensure_pki(tmp_path, orgs)
    for org_id, creds in pki.clients.items():
        cert = x509.load_pem_x509_certificate(creds.cert.read_bytes())
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == org_id
        key, p12_cert, _ = pkcs12.load_key_and_certificates(
            creds.p12.read_bytes(), creds.p12_password.encode()
        )
        assert key is not None and p12_cert == cert
    server = x509.load_pem_x509_certificate(pki.server_cert.read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert "changeit" in (tmp_path / "README.txt").read_text()


def test_existing_pki_is_reused_and_incomplete_one_regenerated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    orgs = [(o.id, o.name) for o in DATASET.organisations.values()]
    first = ensure_pki(tmp_path, orgs)
    ca = first.ca_cert.read_bytes()
    assert ensure_pki(tmp_path, orgs).ca_cert.read_bytes() == ca
    first.clients["onem"].key.unlink()
    again = ensure_pki(tmp_path, orgs)
    assert again.clients["onem"].key.is_file() and again.ca_cert.read_bytes() != ca


def test_start_and_stop_on_free_ports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    one = start_in_thread(tls=False, audit_log=tmp_path / "one.jsonl")
    two = start_in_thread(tls=False, audit_log=tmp_path / "two.jsonl")
    try:
        assert one.base_url != two.base_url
    finally:
        one.stop()
        two.stop()
    with pytest.raises(requests.exceptions.ConnectionError), requests.Session() as session:
        session.trust_env = False
        session.post(one.url, data=GOOD.body, headers=GOOD.headers, timeout=5)


def test_server_thread_error_is_raised_again_on_stop(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from conformance.reference import server as server_module

    def broken_serve(self, on_ready=None) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("socket exploded")

    monkeypatch.setattr(server_module.EventLoopWorker, "serve", broken_serve)
    service = start_in_thread(tls=False, audit_log=tmp_path / "audit.jsonl")
    service._thread.join(5)
    with pytest.raises(server_module.ServiceError, match="socket exploded"):
        service.check()
    with pytest.raises(server_module.ServiceError, match="socket exploded"):
        service.stop()


def test_concurrent_creators_share_one_pki(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    orgs = [(o.id, o.name) for o in DATASET.organisations.values()]
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(ensure_pki(tmp_path, orgs).ca_cert.read_bytes())
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len(set(results)) == 1


def test_temporary_folder_is_removed_on_stop() -> None:
    service = start_in_thread(tls=True)
    assert service.pki is not None and service.audit_log.parent == service.pki.directory.parent
    service.stop()
    assert not service.audit_log.parent.exists()
