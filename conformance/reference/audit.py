"""Security logging (TSS §3.3.2): one JSON line per request, incoming and outgoing message.

BCSS logs every message "so that security audits are possible". The reference service writes
exactly one entry per request, rejected ones included (405, faults, and what the HTTP server
answers itself: malformed or stalled requests, a full connection table), and writes it before
the response leaves, so a test that has its response can read its entry. Append-only, safe
between threads and between the worker processes sharing one log: each line is one
``write()`` to an ``O_APPEND`` file under an exclusive ``flock``, so lines never interleave.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

_ENCODER = json.JSONEncoder(ensure_ascii=False)  # built once: json.dumps builds one per call


@dataclass(frozen=True)
class AuditEntry:
    ticket_cbss: str
    customer_ticket: str | None
    time: str  # xsd:dateTime of reception
    method: str
    path: str
    operation: str | None
    client_organisation: str | None
    http_status: int
    outcome: str  # status/code or detail/reasonCode, or "HTTP <status>" (405, malformed HTTP)
    request: str  # decoded text (undecodable bytes replaced)
    response: str


class AuditLog:
    """Appends :class:`AuditEntry` lines to ``path``; safe to share between threads and
    processes (each opens its own)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, entry: AuditEntry) -> None:
        # vars(), not asdict(): the fields are flat, and asdict's deep copy costs on the hot path
        line = (_ENCODER.encode(vars(entry)) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise ValueError("the audit log is closed")
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                view = memoryview(line)
                while view:  # a regular file takes it in one go; loop for the rare short write
                    view = view[os.write(self._fd, view) :]
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_entries(path: Path | str) -> list[dict[str, object]]:
    """Every entry of an audit log, oldest first (for tests, benchmarks and support)."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
