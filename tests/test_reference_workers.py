"""Several worker processes on one port, one audit log: nothing lost, nothing interleaved."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import threading
from pathlib import Path

import pytest

from conformance.reference import samples
from conformance.reference.audit import AuditEntry, AuditLog, read_entries
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.reference.server import ServiceError, start_in_thread
from conformance.xmlsafe import parse_untrusted

DATASET = Dataset.load()
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")


def _post_on_new_connections(service, count: int) -> list[str | None]:  # type: ignore[no-untyped-def]
    codes: list[str | None] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for _ in range(n):
            with session_for(service) as session:  # a new connection each time
                response = session.post(
                    service.url, data=GOOD.body, headers=GOOD.headers, timeout=20
                )
            with lock:
                codes.append(parse_untrusted(response.content).findtext(".//status/code"))

    threads = [threading.Thread(target=client, args=(count // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return codes


def test_two_workers_share_the_port_and_one_audit_log(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with start_in_thread(tls=True, pki_dir=tmp_path / "pki", audit_log=audit, workers=2) as service:
        assert service.workers == 2
        assert _post_on_new_connections(service, 40) == ["MSG00000"] * 40
        # With the first worker stopped, the second one alone still serves the port.
        service._worker.request_stop()
        service._thread.join(10)
        assert _post_on_new_connections(service, 8) == ["MSG00000"] * 8
    lines = audit.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 48
    entries = [json.loads(line) for line in lines]
    assert {e["client_organisation"] for e in entries} == {"onem"}  # from the certificate


def test_a_dead_worker_process_is_reported(tmp_path: Path) -> None:
    service = start_in_thread(tls=False, audit_log=tmp_path / "audit.jsonl", workers=2)
    os.kill(service._children[0].process.pid, signal.SIGKILL)
    service._children[0].process.join(10)
    with pytest.raises(ServiceError, match="worker 2 exited"):
        service.check()
    with pytest.raises(ServiceError, match="worker 2 exited"):
        service.stop()


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="workers"):
        start_in_thread(tls=False, workers=0)


def _write_lines(path: str, marker: str, count: int) -> None:
    log = AuditLog(path)
    entry = AuditEntry(
        marker, None, "t", "POST", "/", None, None, 200, "MSG00000", marker * 9000, ""
    )
    for _ in range(count):
        log.write(entry)
    log.close()


def test_processes_appending_to_one_audit_log_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = mp.get_context("spawn")
    writers = [
        context.Process(target=_write_lines, args=(str(path), marker, 150)) for marker in "abc"
    ]
    for writer in writers:
        writer.start()
    _write_lines(str(path), "d", 150)
    for writer in writers:
        writer.join(60)
    entries = read_entries(path)
    assert len(entries) == 600
    assert all(e["request"] == str(e["ticket_cbss"]) * 9000 for e in entries)
