"""Serves the reference application over HTTP or two-way TLS: a thread, and worker processes.

The stack is our own small asyncio server (``connection.py``, ``http11.py``), chosen over
cheroot, aiohttp and gunicorn for what the reference must promise under hostile traffic:
total deadlines per request phase, a connection cap with a clear refusal, exactly one answer
per refused request then close, and an audit entry for every answer, the server's own ones
included. docs/reference-service.md says why in full. Two-way TLS is the standard library's
``ssl`` (``tls.py``); the verified peer certificate's subject O reaches the application as
``SSL_CLIENT_S_DN_O`` in a WSGI environ, as before.

With TLS the caller's organisation is the client certificate's subject O; without TLS it is
the one ``customerIdentification`` designates (see ``app.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from conformance.reference.app import DEFAULT_PATH
from conformance.reference.audit import AuditLog
from conformance.reference.connection import HttpLimits
from conformance.reference.dataset import Dataset
from conformance.reference.http11 import MAX_HEAD_BYTES
from conformance.reference.pki import DevPki, ensure_pki
from conformance.reference.policy import Policy
from conformance.reference.workers import (
    AppFactory,
    ChildWorker,
    EventLoopWorker,
    WorkerSpec,
    listening_socket,
    spawn_workers,
)

__all__ = ["MAX_HEAD_BYTES", "RunningService", "ServiceError", "build_pki", "start_in_thread"]

_STOP_TIMEOUT_S = 10.0
_READY_TIMEOUT_S = 30.0


class ServiceError(RuntimeError):
    """A worker failed; raised again in the thread that stops (or checks) the service."""


@dataclass
class RunningService:
    url: str  # full endpoint URL, path included
    base_url: str
    pki: DevPki | None
    audit_log: Path
    policy: Policy
    workers: int
    _worker: EventLoopWorker = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _audit: AuditLog = field(repr=False)
    _children: list[ChildWorker] = field(default_factory=list, repr=False)
    _errors: list[BaseException] = field(default_factory=list, repr=False)
    _workdir: Path | None = field(default=None, repr=False)  # ours to delete on stop()

    def stop(self) -> None:
        """Stop serving; re-raise, as :class:`ServiceError`, an error of a worker."""
        self._check_children()
        self._worker.request_stop()
        self._thread.join(_STOP_TIMEOUT_S)
        for child in self._children:
            child.stop()
        self._worker.sock.close()
        self._audit.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._raise()

    def check(self) -> None:
        """Raise a worker's error, if any, without stopping (for fixtures and ``serve``)."""
        self._check_children()
        self._raise()

    def worker_pids(self) -> list[int]:
        """This process first, then each worker process (for RSS figures)."""
        return [os.getpid(), *(int(child.process.pid) for child in self._children)]

    def _check_children(self) -> None:
        for number, child in enumerate(self._children, start=2):
            code = child.exitcode
            if code is not None and not self._errors:
                self._errors.append(RuntimeError(f"worker {number} exited with code {code}"))

    def _raise(self) -> None:
        if self._errors:
            raise ServiceError(
                f"the reference server failed: {self._errors[0]!r}"
            ) from self._errors[0]

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_pki(dataset: Dataset, pki_dir: Path | str) -> DevPki:
    return ensure_pki(pki_dir, ((o.id, o.name) for o in dataset.organisations.values()))


def start_in_thread(
    *,
    dataset: Dataset | Path | str | None = None,
    tls: bool = True,
    host: str = "127.0.0.1",
    port: int = 0,
    pki_dir: Path | str | None = None,
    audit_log: Path | str | None = None,
    defect: str | None = None,
    workers: int = 1,
    limits: HttpLimits | None = None,
    app_factory: AppFactory | None = None,
) -> RunningService:
    """Start the reference service; port 0 picks a free port. Stop it with ``.stop()``.

    ``workers``: 1 serves from a thread of this process; more adds worker processes on the
    same port (``workers.py``). ``app_factory`` serves another application on the same stack
    (the benchmark's canned-bytes floor). Without ``audit_log`` (or, with TLS, without ``pki_dir``)
    the log (or PKI) goes to a temporary folder that ``stop()`` deletes.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    data = dataset if isinstance(dataset, Dataset) else Dataset.load(dataset)
    workdir: Path | None = None
    if audit_log is None or (tls and pki_dir is None):
        workdir = Path(tempfile.mkdtemp(prefix="conformance-reference-"))
    audit_path = Path(audit_log) if audit_log else _in(workdir) / "audit.jsonl"
    audit = AuditLog(audit_path)
    sock = None
    try:
        pki = build_pki(data, pki_dir or _in(workdir) / "pki") if tls else None
        spec = WorkerSpec(
            data, tls, pki, audit_path, defect, limits or HttpLimits(), app_factory=app_factory
        )
        sock = listening_socket(host, port, shared=workers > 1)
        bound_host, bound_port = sock.getsockname()[:2]
        worker = EventLoopWorker(spec, sock, audit)
        errors: list[BaseException] = []
        ready = threading.Event()
        thread = threading.Thread(
            target=_serve, args=(worker, ready, errors), name="conformance-reference", daemon=True
        )
        thread.start()
        ready.wait(_READY_TIMEOUT_S)
        children: list[ChildWorker] = []
        if workers > 1:
            try:
                children = spawn_workers(spec, bound_host, bound_port, workers - 1)
            except BaseException:
                worker.request_stop()
                thread.join(_STOP_TIMEOUT_S)
                raise
    except BaseException:
        if sock is not None:
            sock.close()
        audit.close()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    scheme = "https" if tls else "http"
    base_url = f"{scheme}://{bound_host}:{bound_port}"
    return RunningService(
        url=base_url + DEFAULT_PATH,
        base_url=base_url,
        pki=pki,
        audit_log=audit_path,
        policy=spec.policy(),
        workers=workers,
        _worker=worker,
        _thread=thread,
        _audit=audit,
        _children=children,
        _errors=errors,
        _workdir=workdir,
    )


def _in(workdir: Path | None) -> Path:
    assert workdir is not None
    return workdir


def _serve(worker: EventLoopWorker, ready: threading.Event, errors: list[BaseException]) -> None:
    try:
        worker.serve(ready.set)
    except BaseException as exc:  # recorded, then re-raised by stop()/check()
        errors.append(exc)
    finally:
        ready.set()
