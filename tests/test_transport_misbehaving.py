"""The transport against misbehaving endpoints of our own (tests/stubs.py): every exchange ends
within its deadline, with an error_kind and phase, and a reason that names the problem."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import stubs

from conformance import exchange as ex
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness import tls_refusal
from conformance.harness.environment import ClientProfile, Environment, Timeouts
from conformance.harness.transport import Transport

CONNECT, READ = 1.0, 1.0


def _start(made: list[stubs.Stub], behaviour: stubs.Behaviour, **kw) -> stubs.Stub:
    one = stubs.Stub(behaviour, **kw)
    made.append(one)
    return one


def _send(
    url: str, client: ClientProfile | None = None, ca: Path | None = None, read: float = READ
) -> Exchange:
    env = Environment("stub", url, {}, {}, ca_bundle=ca, timeouts=Timeouts(CONNECT, read))
    request = OutgoingRequest(url, b"<x/>", {"Content-Type": "text/xml", "SOAPAction": '"a"'})
    started = time.monotonic()
    with Transport(env) as transport:
        exchange = transport.send(request, client)
    # No timed assertion: the bound is generous, the figures are in docs/running.md.
    assert time.monotonic() - started < 3 * (CONNECT + read), exchange.error
    assert exchange.error is None or "\n" not in exchange.error
    return exchange


def _failed(exchange: Exchange, kind: str, phase: str) -> str:
    assert (exchange.error_kind, exchange.error_phase) == (kind, phase), exchange.error
    assert exchange.status is None or phase == ex.PHASE_BODY
    assert exchange.error is not None
    return exchange.error


# ---- no answer -------------------------------------------------------------------------------


def test_refused():
    url = f"http://127.0.0.1:{stubs.free_port()}/x"
    error = _failed(_send(url), ex.CONNECT_REFUSED, ex.PHASE_CONNECT)
    assert error == f"connection refused to {url}"


def test_reset_on_accept(stub):
    one = _start(stub, stubs.reset)
    exchange = _send(one.url())
    # Depending on timing, the reset meets the connect, the request or the wait for an answer.
    assert exchange.error_kind == ex.RESET, exchange.error
    assert exchange.error_phase in (ex.PHASE_CONNECT, ex.PHASE_SEND, ex.PHASE_STATUS_LINE)
    assert "connection reset by" in (exchange.error or "")


def test_blackhole_is_cut_at_the_read_timeout(stub):
    one = _start(stub, stubs.blackhole)
    error = _failed(_send(one.url()), ex.DEADLINE, ex.PHASE_STATUS_LINE)
    assert error == f"timeout: no response from {one.url()} within {READ:g} s"


@pytest.mark.parametrize(
    ("prefix", "phase", "named"),
    [
        (b"HTTP/1.1 200 OK", ex.PHASE_STATUS_LINE, "the status line"),
        (b"X-Slow: 1\r\n", ex.PHASE_HEADERS, "the headers"),
    ],
)
def test_a_trickling_head_is_cut_at_the_deadline(stub, prefix, phase, named):
    # One byte every 0.2 s: every single read is quick, the head never ends.
    if phase == ex.PHASE_HEADERS:
        behaviour = stubs.trickle(b"HTTP/1.1 200 OK\r\n" + prefix * 100, every=0.05)
    else:
        behaviour = stubs.trickle(prefix, every=0.2)
    one = _start(stub, behaviour)
    error = _failed(_send(one.url()), ex.DEADLINE, phase)
    assert f"stuck in {named}" in error


def test_an_oversized_status_line_and_too_many_headers(stub):
    long_line = _start(stub, stubs.raw(b"HTTP/1.1 200 " + b"O" * 10_000 + b"\r\n\r\n"))
    error = _failed(_send(long_line.url()), ex.OVERSIZED, ex.PHASE_STATUS_LINE)
    assert "status line longer than" in error
    many = b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 200 + b"\r\n"
    headers = _start(stub, stubs.raw(many))
    error = _failed(_send(headers.url()), ex.OVERSIZED, ex.PHASE_HEADERS)
    assert "header lines" in error


def test_not_http_at_all(stub):
    one = _start(stub, stubs.raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"))
    error = _failed(_send(one.url()), ex.PROTOCOL, ex.PHASE_STATUS_LINE)
    assert "not an HTTP/1.1 response" in error


def test_closed_without_a_response(stub):
    one = _start(stub, stubs.raw(b""))
    error = _failed(_send(one.url()), ex.CLOSED, ex.PHASE_STATUS_LINE)
    assert "closed" in error and "before any response" in error


# ---- bodies ----------------------------------------------------------------------------------


def test_bad_chunked_framing_is_named(stub):
    one = _start(stub, stubs.bad_chunked())
    error = _failed(_send(one.url()), ex.PROTOCOL, ex.PHASE_BODY)
    assert error.startswith("chunked framing error")


def test_a_truncated_chunked_body(stub):
    headers = (("Content-Type", "text/xml"), ("Transfer-Encoding", "chunked"))
    one = _start(stub, stubs.answer(headers=headers, raw_body=b"40\r\n" + stubs.SOAP[:20]))
    error = _failed(_send(one.url()), ex.TRUNCATED, ex.PHASE_BODY)
    assert "before the last chunk" in error


def test_a_truncated_body(stub):
    one = _start(stub, stubs.answer(length=1000))
    error = _failed(_send(one.url()), ex.TRUNCATED, ex.PHASE_BODY)
    assert "announced by Content-Length" in error


def test_gzip_redirect_and_gateway_statuses_are_answers(stub):
    # The transport hands them over as they are; the checks name them (test_checks).
    for behaviour, status in (
        (stubs.gzipped(), 200),
        (stubs.answer("302 Found", b"", (("Location", "http://elsewhere/"),)), 302),
        (stubs.answer("401 Unauthorized", b"no", (("Content-Type", "text/plain"),)), 401),
        (stubs.answer("403 Forbidden", b"no", (("Content-Type", "text/plain"),)), 403),
        (stubs.answer("503 Service Unavailable", b"", ()), 503),
    ):
        exchange = _send(_start(stub, behaviour).url())
        assert (exchange.status, exchange.error) == (status, None)


# ---- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, stubs.Pem]:
    folder = tmp_path_factory.mktemp("stub-pki")
    ca_pem, ca_key, ca_cert = stubs.make_ca(folder, "stub-ca")
    other_pem, other_key, other_cert = stubs.make_ca(folder, "other-ca")
    return {
        "ca": ca_pem,
        "server": stubs.issue(folder, "server", (ca_key, ca_cert)),
        "wrong-name": stubs.issue(folder, "wrong", (ca_key, ca_cert), san_ip=None, san_dns="x.be"),
        "expired": stubs.issue(folder, "expired", (ca_key, ca_cert), expired=True),
        "client": stubs.issue(folder, "client", (ca_key, ca_cert)),
        "foreign-client": stubs.issue(folder, "foreign", (other_key, other_cert)),
        "other-ca": other_pem,
    }


def _client(pem: stubs.Pem) -> ClientProfile:
    return ClientProfile("onem", {"cbeNumber": "0206737484"}, "X", cert=pem.cert, key=pem.key)


def _refusal(exchange: Exchange) -> tls_refusal.TlsRefusal:
    return tls_refusal.judge(exchange)


@pytest.mark.parametrize("tls12", [False, True], ids=["tls1.3", "tls1.2"])
def test_a_demanded_certificate_is_a_refusal_under_both_versions(stub, pki, tls12):
    context = stubs.server_context(pki["server"], client_ca=pki["ca"].cert, tls12=tls12)
    one = _start(stub, stubs.answer(), tls=context)
    exchange = _send(one.url("https"), ca=pki["ca"].cert)
    error = _failed(exchange, ex.TLS_REFUSED, ex.PHASE_TLS)
    assert "demands a client certificate" in error and "[" in error  # the raw text follows
    verdict = _refusal(exchange)
    assert verdict.refused and verdict.warning is None


def test_a_rejected_client_certificate_is_named(stub, pki):
    context = stubs.server_context(pki["server"], client_ca=pki["ca"].cert)
    one = _start(stub, stubs.answer(), tls=context)
    exchange = _send(one.url("https"), _client(pki["foreign-client"]), ca=pki["ca"].cert)
    error = _failed(exchange, ex.TLS_REFUSED, ex.PHASE_TLS)
    assert "rejected the client certificate (alert unknown_ca)" in error
    good = _send(one.url("https"), _client(pki["client"]), ca=pki["ca"].cert)
    assert (good.status, good.error) == (200, None)


def test_a_silent_close_after_the_handshake_is_a_refusal_with_a_warning(stub, pki):
    context = stubs.server_context(pki["server"], client_ca=pki["ca"].cert, optional=True)
    one = _start(stub, stubs.handshake_then_close, tls=context)
    exchange = _send(one.url("https"), ca=pki["ca"].cert)
    _failed(exchange, ex.TLS_CLOSED, ex.PHASE_TLS)
    verdict = _refusal(exchange)
    assert verdict.refused and verdict.warning and "RFC 8446 §4.4.2.4" in verdict.warning


def test_a_reset_before_any_tls_byte_is_not_a_refusal(stub, pki):
    one = _start(stub, stubs.reset)
    exchange = _send(one.url("https"), ca=pki["ca"].cert)
    # The reset may come while the connection is still being opened, or after the ClientHello.
    assert exchange.error_kind == ex.RESET and exchange.error_phase in (
        ex.PHASE_CONNECT,
        ex.PHASE_TLS,
    )
    if exchange.error_phase == ex.PHASE_TLS:
        assert "before any TLS byte: not a TLS refusal" in (exchange.error or "")
    verdict = _refusal(exchange)
    assert not verdict.refused and verdict.reason.startswith("not a TLS refusal: connection reset")


def test_a_reset_over_plain_http_is_not_a_refusal(stub):
    exchange = _send(_start(stub, stubs.reset).url())
    verdict = _refusal(exchange)
    assert not verdict.refused and "plain http" in verdict.reason


@pytest.mark.parametrize(
    ("server", "ca", "words"),
    [
        ("server", "other-ca", "not signed by a CA of the CA bundle (unknown CA)"),
        ("wrong-name", "ca", "not issued for 127.0.0.1 (hostname mismatch)"),
        ("expired", "ca", "has expired"),
    ],
)
def test_server_certificate_problems_in_plain_words(stub, pki, server, ca, words):
    one = _start(stub, stubs.answer(), tls=stubs.server_context(pki[server]))
    exchange = _send(one.url("https"), ca=pki[ca].cert)
    error = _failed(exchange, ex.TLS_ERROR, ex.PHASE_TLS)
    assert words in error and "certificate verify failed" in error  # then the raw text
    assert not _refusal(exchange).refused


def test_plain_http_on_the_tls_port_is_named(stub, pki):
    one = _start(stub, stubs.http_at_once)  # answers the ClientHello's bytes with HTTP
    exchange = _send(one.url("https"), ca=pki["ca"].cert)
    error = _failed(exchange, ex.TLS_ERROR, ex.PHASE_TLS)
    assert "does not speak TLS" in error
    assert not _refusal(exchange).refused


def test_a_tls_blackhole_is_cut_at_the_connect_timeout(stub, pki):
    one = _start(stub, stubs.blackhole)  # accepts TCP, never answers the ClientHello
    error = _failed(_send(one.url("https"), ca=pki["ca"].cert), ex.DEADLINE, ex.PHASE_TLS)
    assert error.startswith("timeout: no TLS handshake")
