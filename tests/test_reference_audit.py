"""Security logging (TSS §3.3.2): exactly one audit entry per request, rejected ones included."""

from __future__ import annotations

import json
import socket
import threading

from conformance.reference import samples
from conformance.reference.audit import AuditEntry, AuditLog, read_entries
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.reference.server import MAX_HEAD_BYTES
from conformance.xmlsafe import parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

DATASET = Dataset.load()
GOOD = samples.for_roles(
    DATASET, "consultEmploymentInfos", "concurrent_cards", ticket="audit-ticket-1"
)


def test_one_entry_per_request_including_rejected(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service(tls=False)
    before = len(read_entries(service.audit_log))
    with session_for(service) as session:
        sends = [
            lambda: session.post(service.url, data=GOOD.body, headers=GOOD.headers, timeout=10),
            lambda: session.get(service.url, timeout=10),
            lambda: session.post(service.url, data=b"garbage", headers=GOOD.headers, timeout=10),
            lambda: session.post(
                service.base_url + "/elsewhere", data=GOOD.body, headers=GOOD.headers, timeout=10
            ),
        ]
        responses = []
        for sent, send in enumerate(sends, start=1):
            responses.append(send())
            # Flushed before the response left: the entry is on disk once the response is here.
            assert len(read_entries(service.audit_log)) == before + sent
    ok = responses[0]
    entries = read_entries(service.audit_log)[before:]
    assert [e["outcome"] for e in entries] == ["MSG00000", "HTTP 405", "MSG00004", "MSG00052"]
    assert [e["http_status"] for e in entries] == [200, 405, 500, 500]
    first = entries[0]
    ticket = parse_untrusted(ok.content).findtext(".//informationCBSS/ticketCBSS")
    assert first["ticket_cbss"] == ticket
    assert first["customer_ticket"] == "audit-ticket-1"
    assert first["operation"] == "consultEmploymentInfos"
    assert first["client_organisation"] == "onem"
    assert first["request"] == GOOD.body.decode() and first["response"] == ok.text
    assert first["time"].endswith("+00:00")


def test_concurrent_writes_stay_whole_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = AuditLog(tmp_path / "audit.jsonl")
    entry = AuditEntry("t", None, "now", "POST", "/", None, None, 200, "MSG00000", "x" * 5000, "y")

    def write() -> None:
        for _ in range(50):
            log.write(entry)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 200 and all(json.loads(line)["request"] == "x" * 5000 for line in lines)


def _raw_exchange(service, request: bytes) -> bytes:  # type: ignore[no-untyped-def]
    host, port = service.base_url.rsplit("/", 1)[-1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        for _ in range(100):  # bounded: the server answers then closes
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def test_requests_refused_by_the_http_server_itself_are_audited(reference_service) -> None:  # type: ignore[no-untyped-def]
    # Malformed HTTP never reaches the application: the server answers 400 itself. It is still a
    # rejected request, so it gets its one entry, written before that answer.
    service = reference_service(tls=False)
    before = len(read_entries(service.audit_log))
    answer = _raw_exchange(service, b"NOT A REQUEST LINE\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")
    bad_length = (
        b"POST /ForeignerSituationService/v1/consult HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: text/xml\r\nContent-Length: abc\r\n\r\n<a/>"
    )
    assert _raw_exchange(service, bad_length).startswith(b"HTTP/1.1 400 ")
    entries = read_entries(service.audit_log)[before:]
    assert [(e["http_status"], e["outcome"]) for e in entries] == [(400, "HTTP 400")] * 2
    assert entries[1]["method"] == "POST"
    assert entries[1]["path"] == "/ForeignerSituationService/v1/consult"
    assert all(e["ticket_cbss"] and e["time"].endswith("+00:00") for e in entries)


def test_oversized_request_head_is_refused_audited_and_the_server_keeps_serving(
    reference_service,
) -> None:  # type: ignore[no-untyped-def]
    # Without a limit the server would buffer any header, however long, in memory.
    service = reference_service(tls=False)
    before = len(read_entries(service.audit_log))
    head = (
        b"POST /ForeignerSituationService/v1/consult HTTP/1.1\r\nHost: x\r\n"
        + b"X-Padding: "
        + b"p" * (MAX_HEAD_BYTES + 1)
        + b"\r\nContent-Length: 0\r\n\r\n"
    )
    assert _raw_exchange(service, head).startswith(b"HTTP/1.1 413 ")
    [entry] = read_entries(service.audit_log)[before:]
    assert (entry["http_status"], entry["outcome"]) == (413, "HTTP 413")
    with session_for(service) as session:
        ok = session.post(service.url, data=GOOD.body, headers=GOOD.headers, timeout=10)
    assert parse_untrusted(ok.content).findtext(".//status/code") == "MSG00000"
