"""The reference service's HTTP layer: strict framing, deadlines, the connection cap, one answer.

A service with short deadlines runs for this module, so a stalled request is refused in about
a second; every loop is bounded and the sockets are loopback only. No assertion is timed: a
deadline is proven by the answer it produces (408, MSG00004), not by a stopwatch.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rawhttp import Received, connect, exchange, post, read_all

from conformance.reference import samples
from conformance.reference.audit import read_entries
from conformance.reference.connection import HttpLimits
from conformance.reference.dataset import Dataset
from conformance.reference.server import RunningService, start_in_thread
from conformance.reference.wsgi_bridge import REASONS
from conformance.xmlsafe import MAX_BYTES, parse_untrusted

DATASET = Dataset.load()
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
PATH = "/ForeignerSituationService/v1/consult"
LIMITS = HttpLimits(
    idle_s=3.0, head_s=1.0, body_s=1.0, max_connections=40, linger_s=0.5, handshake_s=2.0
)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "reference-service.md"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    audit = tmp_path_factory.mktemp("http") / "audit.jsonl"
    with start_in_thread(tls=False, audit_log=audit, limits=LIMITS) as running:
        yield running


def good(extra: bytes = b"") -> bytes:
    return post(PATH, GOOD.body, GOOD.headers, extra=extra)


def code_of(body: bytes) -> str | None:
    root = parse_untrusted(body)
    return root.findtext(".//status/code") or root.findtext(".//reasonCode")


def one_refusal(received: Received, status: int) -> bytes:
    """Exactly one answer, with ``status``, saying close; then the server closed."""
    assert [a.status for a in received.answers] == [status], received
    assert received.answers[0].closes and received.rest == b"" and received.closed
    return received.answers[0].body


def test_keep_alive_and_pipelining_answer_each_request_in_order(service: RunningService) -> None:
    received = exchange(service.base_url, good() * 3)
    assert [code_of(a.body) for a in received.answers] == ["MSG00000"] * 3
    assert not any(a.closes for a in received.answers)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
        (b"POST /x HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"POST /x HTTP/1.1\nHost: x\n\n", 400),  # bare LF
        (b"POST /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        (b"POST /x HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", 400),
        (b"POST /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"POST /x HTTP/1.1\r\nX: \x01\r\n\r\n", 400),
    ],
)
def test_malformed_framing_is_a_documented_client_error(
    service: RunningService, request_bytes: bytes, status: int
) -> None:
    body = one_refusal(exchange(service.base_url, request_bytes), status)
    assert b"MSG00003" not in body and b"Error" not in body  # no exception class name


@pytest.mark.parametrize(
    ("request_bytes", "reason"),
    [
        (b"POST /x HTTP/1.1\nHost: x\n\n", b"does not end in CRLF"),  # bare LF, no CRLF ever
        (bytes.fromhex("16030100f4010000f00303") + bytes(32), b"this port serves plain HTTP"),
        (b"POST  /x HTTP/1.1\r\nHost: x", b"malformed request line"),
    ],
)
def test_a_head_that_cannot_become_valid_is_refused_at_once(
    service: RunningService, request_bytes: bytes, reason: bytes
) -> None:
    # The client keeps its side open and waits, as a real one does: 400 from what arrived, not
    # 408 at the head deadline.
    body = one_refusal(exchange(service.base_url, request_bytes, half_close=False), 400)
    assert reason in body


def test_nothing_after_a_refused_request_is_parsed(service: RunningService) -> None:
    # A valid request hidden after a Content-Length the server refuses must not be answered.
    before = len(read_entries(service.audit_log))
    smuggled = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + good()
    one_refusal(exchange(service.base_url, smuggled), 400)
    assert [e["outcome"] for e in read_entries(service.audit_log)[before:]] == ["HTTP 400"]


def test_declared_body_over_the_limit_is_refused_unread(service: RunningService) -> None:
    # 10^12 bytes announced, none sent: the answer comes at once, from the head alone.
    head = post(PATH, b"", GOOD.headers).replace(b"Content-Length: 0", b"Content-Length: 10**12")
    head = head.replace(b"10**12", str(10**12).encode())
    body = one_refusal(exchange(service.base_url, head), 500)
    assert code_of(body) == "MSG00004" and b"1000000000000" in body


def test_a_large_body_actually_sent_is_not_buffered(service: RunningService) -> None:
    # 24 MiB sent behind an honest Content-Length: refused from the head, the client's sending
    # stops at the server's close, and the service never holds it.
    size = 24 * MAX_BYTES
    head = post(PATH, b"", GOOD.headers).replace(
        b"Content-Length: 0", f"Content-Length: {size}".encode()
    )
    with connect(service.base_url) as sock:
        sock.sendall(head)
        sent = 0
        try:
            while sent < size:  # bounded by size; the server closes long before
                sock.sendall(b"x" * 65536)
                sent += 65536
        except OSError:
            pass
        received = read_all(sock, 5)
    assert [a.status for a in received.answers] in ([500], [])  # a reset may eat the answer
    assert sent < size


def test_chunked_body_is_counted_as_it_arrives(service: RunningService) -> None:
    head = post(PATH, b"", GOOD.headers).replace(
        b"Content-Length: 0", b"Transfer-Encoding: chunked"
    )
    over = head + f"{MAX_BYTES + 1:x}\r\n".encode()  # the chunk is announced, never sent
    assert code_of(one_refusal(exchange(service.base_url, over), 500)) == "MSG00004"
    chunked = (
        head
        + b"".join(
            f"{len(part):x}\r\n".encode() + part + b"\r\n"
            for part in (GOOD.body[:100], GOOD.body[100:])
        )
        + b"0\r\nX-Trailer: t\r\n\r\n"
    )
    [answer] = exchange(service.base_url, chunked).answers
    assert code_of(answer.body) == "MSG00000"


def test_a_stalled_head_gets_408_and_a_stalled_body_msg00004(service: RunningService) -> None:
    before = len(read_entries(service.audit_log))
    one_refusal(exchange(service.base_url, b"POST /x HTTP/1.1\r\nHost:", half_close=False), 408)
    stalled = good()[: -len(GOOD.body) + 10]
    body = one_refusal(exchange(service.base_url, stalled, half_close=False), 500)
    assert code_of(body) == "MSG00004"
    outcomes = [e["outcome"] for e in read_entries(service.audit_log)[before:]]
    assert outcomes == ["HTTP 408", "MSG00004"]


def test_a_body_cut_by_the_client_is_msg00004(service: RunningService) -> None:
    body = one_refusal(exchange(service.base_url, good()[:-10]), 500)
    assert code_of(body) == "MSG00004"


def test_a_client_gone_mid_body_is_still_audited(service: RunningService) -> None:
    before = len(read_entries(service.audit_log))
    with connect(service.base_url) as sock:
        sock.sendall(good()[:-10])
        time.sleep(0.2)  # the head is read and the body awaited
        # SO_LINGER 0: close sends a reset, not a FIN; the connection is lost, not half-closed.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5  # bounded: the entry is written when the loss is seen
    while len(read_entries(service.audit_log)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    [entry] = read_entries(service.audit_log)[before:]
    assert entry["outcome"] == "MSG00004"


@pytest.mark.parametrize("method", ["GET", "CONNECT", "OPTIONS", "HEAD", "PUT", "BREW"])
def test_405_always_carries_allow_post(service: RunningService, method: str) -> None:
    target = "127.0.0.1:1" if method == "CONNECT" else PATH
    received = exchange(service.base_url, f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    if method == "HEAD":  # the head of the answer only: the body it announces is not sent
        assert received.rest.startswith(b"HTTP/1.1 405 ") and received.rest.endswith(b"\r\n\r\n")
        assert b"\r\nAllow: POST\r\n" in received.rest
        return
    [answer] = received.answers
    assert answer.status == 405 and answer.headers["allow"] == "POST"


def test_expect_100_continue_is_honoured(service: RunningService) -> None:
    with connect(service.base_url) as sock:
        sock.sendall(good(b"Expect: 100-continue\r\n")[: -len(GOOD.body)])
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(GOOD.body)
        sock.shutdown(socket.SHUT_WR)
        [answer] = read_all(sock, 10).answers
    assert code_of(answer.body) == "MSG00000"


def test_slowloris_does_not_delay_a_normal_client(service: RunningService) -> None:
    # 25 connections send their head one byte at a time; normal clients are answered meanwhile,
    # and each slow one gets its one 408 at the head deadline.
    stop = threading.Event()
    results: list[Received] = []

    def slow() -> None:
        with connect(service.base_url) as sock:
            for byte in good()[:200]:  # bounded: 200 bytes, or until refused
                if stop.is_set():
                    break
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.05)
            results.append(read_all(sock, 5))

    threads = [threading.Thread(target=slow) for _ in range(25)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        for _ in range(5):
            [answer] = exchange(service.base_url, good()).answers
            assert code_of(answer.body) == "MSG00000"
    finally:
        for thread in threads:
            thread.join(15)
        stop.set()
    assert len(results) == 25
    assert all([a.status for a in r.answers] == [408] for r in results)


def test_connections_over_the_cap_get_503_and_close(tmp_path: Path) -> None:
    limits = HttpLimits(idle_s=5.0, max_connections=3)
    with start_in_thread(tls=False, audit_log=tmp_path / "audit.jsonl", limits=limits) as small:
        held = [connect(small.base_url) for _ in range(3)]
        try:
            time.sleep(0.2)  # let the server accept them
            with connect(small.base_url) as extra:
                received = read_all(extra, 5)
            one_refusal(received, 503)
            assert received.answers[0].headers["retry-after"] == "1"
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        [answer] = exchange(small.base_url, good()).answers  # room again
        assert code_of(answer.body) == "MSG00000"


def test_every_status_the_service_can_send_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for status, reason in REASONS.items():
        assert f"| {status} " in text and reason in text, status


def test_plain_http_to_the_tls_port_is_told_so_in_plain_http(tmp_path: Path) -> None:
    # A partner's http:// URL on the TLS port: a readable 400 (as nginx answers), not a
    # connection that ends; audited like every refusal. TLS clients are served as before.
    from conformance.reference.pytest_fixture import session_for

    audit = tmp_path / "audit.jsonl"
    with start_in_thread(tls=True, audit_log=audit, limits=LIMITS, pki_dir=tmp_path) as tls:
        body = one_refusal(exchange(tls.base_url, good(), half_close=False), 400)
        assert b"plain HTTP, but this port serves HTTPS" in body
        with session_for(tls) as session:
            answer = session.post(tls.url, data=GOOD.body, headers=GOOD.headers, timeout=10)
        assert code_of(answer.content) == "MSG00000"
    entries = read_entries(audit)
    assert [(e["outcome"], e["method"], e["path"]) for e in entries] == [
        ("HTTP 400", "POST", PATH),
        ("MSG00000", "POST", PATH),
    ]
