"""Serves the reference application over HTTP or two-way TLS, in a background thread.

Why cheroot: it is a real, threaded, HTTP/1.1 keep-alive WSGI server (CherryPy's), its
``BuiltinSSLAdapter`` takes a standard ``ssl.SSLContext`` so we can demand client certificates
(``CERT_REQUIRED`` against the dev CA, as BCSS's two-way TLS does), and it hands the verified
peer certificate's subject to the application in the WSGI environ (``SSL_CLIENT_S_DN_O``).
``wsgiref`` has no TLS, and gunicorn does not expose the peer certificate nor run in a thread.

With TLS the caller's organisation is the client certificate's subject O; without TLS it is
the one ``customerIdentification`` designates (see ``app.py``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cheroot import server as http
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from conformance.reference import tls
from conformance.reference.app import DEFAULT_PATH, ReferenceApp
from conformance.reference.audit import AuditLog
from conformance.reference.dataset import Dataset
from conformance.reference.pki import DevPki, ensure_pki
from conformance.reference.policy import FAITHFUL, Policy

_log = logging.getLogger(__name__)
_STOP_TIMEOUT_S = 10.0
_THREADS = 16
# Request line plus headers. cheroot's default is no limit: any header, however long, would be
# buffered in memory. A SOAP request's head is well under 1 KiB; beyond this, HTTP 413 (414 for
# the request line alone).
MAX_HEAD_BYTES = 64 * 1024


class ServiceError(RuntimeError):
    """The server thread failed; raised again in the thread that stops the service."""


@dataclass
class RunningService:
    url: str  # full endpoint URL, path included
    base_url: str
    pki: DevPki | None
    audit_log: Path
    policy: Policy
    _server: wsgi.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _audit: AuditLog = field(repr=False)
    _errors: list[BaseException] = field(default_factory=list, repr=False)
    _workdir: Path | None = field(default=None, repr=False)  # ours to delete on stop()

    def stop(self) -> None:
        """Stop serving; re-raise, as :class:`ServiceError`, an error of the server thread."""
        self._server.stop()  # also closes the socket when the serving thread died early
        self._thread.join(_STOP_TIMEOUT_S)
        self._audit.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        if self._errors:
            raise ServiceError(
                f"the reference server thread failed: {self._errors[0]!r}"
            ) from self._errors[0]

    def check(self) -> None:
        """Raise the server thread's error, if any, without stopping (for fixtures)."""
        if self._errors:
            raise ServiceError(
                f"the reference server thread failed: {self._errors[0]!r}"
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
) -> RunningService:
    """Start the reference service; port 0 picks a free port. Stop it with ``.stop()``.

    Without ``audit_log`` (or, with TLS, without ``pki_dir``) the log (or PKI) goes to a
    temporary folder that ``stop()`` deletes.
    """
    data = dataset if isinstance(dataset, Dataset) else Dataset.load(dataset)
    policy = _policy(defect)
    workdir: Path | None = None
    if audit_log is None or (tls and pki_dir is None):
        workdir = Path(tempfile.mkdtemp(prefix="conformance-reference-"))
    audit_path = Path(audit_log) if audit_log else _in(workdir) / "audit.jsonl"
    audit = AuditLog(audit_path)
    app = ReferenceApp(data, audit, tls=tls, policy=policy)
    server = wsgi.Server(
        (host, port), app, numthreads=_THREADS, server_name="conformance-reference"
    )
    server.error_log = _quiet_error_log  # type: ignore[method-assign]
    server.ConnectionClass = _AuditedConnection
    server.max_request_header_size = MAX_HEAD_BYTES
    server.audit_refusal = app.audit_server_refusal  # type: ignore[attr-defined]
    pki = None
    if tls:
        pki = build_pki(data, pki_dir or _in(workdir) / "pki")
        server.ssl_adapter = _tls_adapter(pki, policy)
    try:
        server.prepare()
    except BaseException:
        audit.close()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    bound_host, bound_port = server.bind_addr[:2]
    scheme = "https" if tls else "http"
    base_url = f"{scheme}://{bound_host}:{bound_port}"
    errors: list[BaseException] = []
    thread = threading.Thread(
        target=_serve, args=(server, errors), name="conformance-reference", daemon=True
    )
    thread.start()
    return RunningService(
        url=base_url + DEFAULT_PATH,
        base_url=base_url,
        pki=pki,
        audit_log=audit_path,
        policy=policy,
        _server=server,
        _thread=thread,
        _audit=audit,
        _errors=errors,
        _workdir=workdir,
    )


def _in(workdir: Path | None) -> Path:
    assert workdir is not None
    return workdir


def _policy(defect: str | None) -> Policy:
    if defect is None:
        return FAITHFUL
    from conformance.reference import defects  # imported only when a defect is asked for

    return defects.policy_for(defect)


def _tls_adapter(pki: DevPki, policy: Policy) -> BuiltinSSLAdapter:
    adapter = BuiltinSSLAdapter(str(pki.server_cert), str(pki.server_key))
    adapter.context = tls.server_context(pki, policy)
    return adapter


class _AuditedRequest(http.HTTPRequest):
    """cheroot answers some requests itself (a malformed request line or header, a request
    head that stalls): they never reach the application, yet each is a rejected request and
    gets its one audit entry, written before the answer (TSS §3.3.2). A refused TLS handshake
    is no request: nothing is logged for it."""

    def simple_response(self, status: Any, msg: str = "") -> None:
        record = getattr(self.server, "audit_refusal", None)
        if record is not None:
            record(
                _text(getattr(self, "method", None)),
                _text(getattr(self, "path", None)),
                str(status),
                msg,
            )
        super().simple_response(status, msg)


class _AuditedConnection(http.HTTPConnection):
    RequestHandlerClass = _AuditedRequest


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value or ""


def _serve(server: wsgi.Server, errors: list[BaseException]) -> None:
    try:
        server.serve()
    except BaseException as exc:  # recorded, then re-raised by stop()/check()
        errors.append(exc)


def _quiet_error_log(msg: str = "", level: int = 20, traceback: bool = False) -> None:
    # Refused TLS handshakes are expected (tests do it on purpose): log, do not print.
    _log.log(level, msg, exc_info=traceback)
