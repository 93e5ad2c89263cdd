"""The one send seam: endpoint problems become one-line errors, never exceptions, never retries."""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificate

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.environment import (
    ClientProfile,
    Environment,
    Timeouts,
    load_environment,
)
from conformance.harness.transport import Transport

SOAP = b'<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>'
BIG = 6 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: dict[str, int]  # set per server

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1  # type: ignore[attr-defined]
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        self.server.peers.append(self.client_address)  # type: ignore[attr-defined]
        if self.path == "/ok":
            self._send(200, "text/xml; charset=utf-8", SOAP)
        elif self.path == "/html":
            self._send(502, "text/html", b"<html><body>Bad Gateway</body></html>")
        elif self.path == "/error":
            self._send(503, "text/plain", b"unavailable")
        elif self.path == "/slow":
            time.sleep(2)  # longer than the test's read timeout
            self._send(200, "text/xml", SOAP)
        elif self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(SOAP[:40])
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/close":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(SOAP)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(SOAP)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (SOAP[:30], SOAP[30:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(600):  # a byte every 0.1 s: each read is quick, the body never ends
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/big":
            self._send(200, "text/xml", b"<a>" + b"x" * BIG + b"</a>")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hangs up on /big on purpose: no broken-pipe traceback


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    httpd.hits = {}  # type: ignore[attr-defined]
    httpd.seen = []  # type: ignore[attr-defined]
    httpd.peers = []  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _base(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def _transport(url: str, *, read: float = 5.0, ca: Path | None = None) -> Transport:
    env = Environment("stub", url, {}, {}, ca_bundle=ca, timeouts=Timeouts(connect=2.0, read=read))
    return Transport(env)


def _post(url: str, body: bytes = b"<x/>") -> OutgoingRequest:
    return OutgoingRequest(
        url=url, body=body, headers={"Content-Type": "text/xml", "SOAPAction": '"a"'}
    )


def test_ok_exchange_is_recorded(server):
    url = _base(server) + "/ok"
    seen: list[Exchange] = []
    with _transport(url) as transport:
        transport.add_recorder(seen.append)
        exchange = transport.send(_post(url, b"<hello/>"))
    assert exchange.error is None and exchange.status == 200
    assert exchange.body == SOAP
    assert exchange.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert exchange.request.body == b"<hello/>"
    assert exchange.started_at.endswith("+00:00") and exchange.elapsed_s > 0
    assert seen == [exchange]
    assert server.seen[-1]["SOAPAction"] == '"a"'


def test_endpoint_down_is_one_line(server):
    with socket.socket() as sock:  # a port nobody listens on: bind, read it, close
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with _transport(url) as transport:
        exchange = transport.send(_post(url))
    assert exchange.status is None
    assert exchange.error == f"connection refused to {url}"


def test_timeout(server):
    url = _base(server) + "/slow"
    with _transport(url, read=0.3) as transport:
        exchange = transport.send(_post(url))
    assert exchange.error is not None and exchange.error.startswith("timeout: no response from")
    assert "\n" not in exchange.error


def test_a_trickling_body_times_out_as_a_whole(server):
    # Every single read is within the read timeout; the whole body is not.
    url = _base(server) + "/trickle"
    with _transport(url, read=0.5) as transport:
        exchange = transport.send(_post(url))
    assert exchange.status == 200
    assert exchange.error is not None and exchange.error.startswith("timeout: the response body")
    assert "\n" not in exchange.error and exchange.body.strip() == b""


def test_html_and_error_statuses_are_returned_not_raised(server):
    with _transport(_base(server)) as transport:
        html = transport.send(_post(_base(server) + "/html"))
        error = transport.send(_post(_base(server) + "/error"))
    assert (html.status, html.error) == (502, None)
    assert html.body.startswith(b"<html>")
    assert (error.status, error.body) == (503, b"unavailable")


def test_truncated_body(server):
    url = _base(server) + "/truncated"
    with _transport(url) as transport:
        exchange = transport.send(_post(url))
    assert exchange.status == 200
    assert exchange.error is not None and exchange.error.startswith("truncated body")
    assert exchange.body == SOAP[:40]


def test_oversized_body_is_cut(server):
    url = _base(server) + "/big"
    with _transport(url) as transport:
        exchange = transport.send(_post(url))
    assert exchange.error is not None and exchange.error.startswith("oversized response")
    assert len(exchange.body) == 5 * 1024 * 1024


def test_no_retries(server):
    url = _base(server) + "/error"
    before = server.hits.get("/error", 0)
    with _transport(url) as transport:
        transport.send(_post(url))
    assert server.hits["/error"] == before + 1
    url = _base(server) + "/slow"
    before = server.hits.get("/slow", 0)
    with _transport(url, read=0.3) as transport:
        transport.send(_post(url))
    deadline = time.monotonic() + 5  # the slow handler counts on arrival; allow a late retry in
    while time.monotonic() < deadline and server.hits.get("/slow", 0) == before:
        time.sleep(0.05)
    time.sleep(0.3)
    assert server.hits["/slow"] == before + 1


def test_unsendable_request_is_an_error_not_an_exception(server):
    url = _base(server) + "/ok"
    request = OutgoingRequest(url=url, body=b"<x/>", headers={"SOAPAction": "a\r\nX-Injected: 1"})
    with _transport(url) as transport:
        exchange = transport.send(request)
    assert exchange.status is None
    assert exchange.error is not None and exchange.error.startswith("request to ")


def test_keep_alive_reuses_one_connection(server):
    url = _base(server) + "/ok"
    with _transport(url) as transport:
        transport.send(_post(url))
        transport.send(_post(url))
    assert server.peers[-1] == server.peers[-2]  # same client port: one TCP connection


def test_server_closing_the_connection_and_chunked_bodies(server):
    with _transport(_base(server)) as transport:
        closed = transport.send(_post(_base(server) + "/close"))
        chunked = transport.send(_post(_base(server) + "/chunked"))
        after = transport.send(_post(_base(server) + "/ok"))
    assert (closed.status, closed.body, closed.error) == (200, SOAP, None)
    assert (chunked.status, chunked.body, chunked.error) == (200, SOAP, None)
    assert (after.status, after.error) == (200, None)


def test_connection_is_not_reused_after_a_truncated_body(server):
    with _transport(_base(server)) as transport:
        broken = transport.send(_post(_base(server) + "/truncated"))
        fine = transport.send(_post(_base(server) + "/ok"))
    assert broken.error is not None
    assert fine.error is None and fine.status == 200


# ---- two-way TLS against the reference service ---------------------------------------------------


@pytest.fixture(scope="module")
def reference():
    with load_environment("reference") as handle:
        yield handle.environment


def _valid_request(env: Environment) -> OutgoingRequest:
    from conformance.harness.client import RequestFactory

    client, person = env.client("onem"), env.person("concurrent_cards")
    groups = {"employmentCards": True, "workPermits": False}
    return RequestFactory(env).build("consultEmploymentInfos", client, person.ssin, groups)


def test_tls_with_client_certificate(reference):
    with Transport(reference) as transport:
        exchange = transport.send(_valid_request(reference), reference.client("onem"))
    assert exchange.error is None and exchange.status == 200


def test_tls_without_client_certificate_says_so(reference):
    with Transport(reference) as transport:
        exchange = transport.send(_valid_request(reference), None)
    assert exchange.status is None
    assert exchange.error is not None
    assert exchange.error.startswith("TLS handshake failed") or "reset" in exchange.error
    assert "client certificate" in exchange.error and "none" in exchange.error
    assert "\n" not in exchange.error


def test_tls_refusal_is_what_the_checks_expect(reference):
    from conformance.harness.checks import run_checks
    from conformance.harness.expectation import Expectation

    with Transport(reference) as transport:
        exchange = transport.send(_valid_request(reference), None)
    expectation = Expectation("consultEmploymentInfos", tls_refused=True)
    assert run_checks(exchange, expectation, reference.contract()).passed


def test_tls_server_not_trusted(reference, tmp_path):
    # The system CAs do not know the dev CA: verification fails, and we say it is TLS.
    env = Environment("x", reference.endpoint, reference.clients, {}, ca_bundle=None)
    with Transport(env) as transport:
        exchange = transport.send(_valid_request(reference), reference.client("onem"))
    assert exchange.error is not None and exchange.error.startswith("TLS handshake failed")
    assert "certificate verify failed" in exchange.error


def test_an_untrusted_server_is_no_proof_of_two_way_tls(reference):
    # Without the dev CA the client itself aborts the handshake: that is not the server
    # refusing a client without certificate, so the no_client_cert case must not pass.
    from conformance.harness.checks import run_checks
    from conformance.harness.expectation import Expectation

    env = Environment("x", reference.endpoint, reference.clients, {}, ca_bundle=None)
    with Transport(env) as transport:
        exchange = transport.send(_valid_request(reference), None)
    assert exchange.error is not None and "certificate verify failed" in exchange.error
    expectation = Expectation("consultEmploymentInfos", tls_refused=True)
    assert not run_checks(exchange, expectation, reference.contract()).passed


def test_a_ca_bundle_that_cannot_be_loaded_is_named(reference, tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_bytes(b"placeholder")
    env = Environment("x", reference.endpoint, reference.clients, {}, ca_bundle=bad)
    with Transport(env) as transport:
        for client in (None, reference.client("onem")):
            exchange = transport.send(_valid_request(reference), client)
            assert exchange.status is None and exchange.error is not None
            assert exchange.error.startswith(f"CA bundle {bad}: cannot be loaded")
            assert "\n" not in exchange.error


def test_pkcs12_client(reference, tmp_path, monkeypatch):
    onem = reference.client("onem")
    assert onem.cert is not None and onem.key is not None
    key = serialization.load_pem_private_key(onem.key.read_bytes(), None)
    cert = load_pem_x509_certificate(onem.cert.read_bytes())
    p12 = tmp_path / "onem.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"onem", key, cert, None, serialization.BestAvailableEncryption(b"s3cret")
        )
    )
    monkeypatch.setenv("TEST_P12_PASSWORD", "s3cret")
    client = ClientProfile(
        "onem", onem.customer_identification, onem.legal_context, p12=p12,
        p12_password_env="TEST_P12_PASSWORD",
    )  # fmt: skip
    transport = Transport(reference)
    exchange = transport.send(_valid_request(reference), client)
    assert exchange.error is None and exchange.status == 200
    pem_dir = transport._tmpdir
    assert pem_dir is not None
    converted = list(pem_dir.iterdir())
    assert converted and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in converted)
    transport.close()
    assert not pem_dir.exists()


def test_pkcs12_wrong_password_is_one_line(reference, tmp_path, monkeypatch):
    p12 = tmp_path / "broken.p12"
    p12.write_bytes(b"not a pkcs12 file")
    monkeypatch.setenv("TEST_P12_PASSWORD", "whatever")
    client = ClientProfile(
        "broken", {"cbeNumber": "0206737484"}, "X", p12=p12, p12_password_env="TEST_P12_PASSWORD"
    )
    with Transport(reference) as transport:
        exchange = transport.send(_valid_request(reference), client)
    assert exchange.status is None
    assert exchange.error is not None and "cannot open PKCS#12" in exchange.error
    assert "whatever" not in exchange.error
