"""The reference service's workers: one asyncio loop each, several processes on one port.

Python runs one thread of bytecode at a time, so a second core needs a second process. Each
worker process binds its own listening socket to the same address with ``SO_REUSEPORT`` and
the kernel spreads new connections over them; the first worker is a thread of the process that
started the service, so a single-worker service (tests, the embedded reference of a run) is
exactly one thread as before. Extra workers are *spawned*, not forked (forking a process that
runs threads is unsafe), and rebuild the application from a :class:`WorkerSpec`. Every worker
appends to the same audit log (``audit.py`` makes each line one locked write). A worker stops
when its parent says so or dies (the pipe between them closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing as mp
import signal
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from conformance.reference.app import ReferenceApp
from conformance.reference.audit import AuditLog
from conformance.reference.connection import Connection, HttpLimits, RefusalAudit, Shared
from conformance.reference.dataset import Dataset
from conformance.reference.pki import DevPki
from conformance.reference.policy import FAITHFUL, Policy
from conformance.reference.tls import AlertingTLS, server_context
from conformance.reference.wsgi_bridge import WsgiApp

_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
_BACKLOG = 1024

# Builds what a worker serves: the WSGI app and the hook auditing the server's own answers.
AppFactory = Callable[["WorkerSpec", AuditLog], tuple[WsgiApp, RefusalAudit]]


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a spawned worker needs to serve as the first one does (picklable)."""

    dataset: Dataset
    tls: bool
    pki: DevPki | None
    audit_path: Path
    defect: str | None
    limits: HttpLimits = field(default_factory=HttpLimits)
    app_factory: AppFactory | None = None  # None: the reference application

    def policy(self) -> Policy:
        if self.defect is None:
            return FAITHFUL
        from conformance.reference import defects  # imported only when a defect is asked for

        return defects.policy_for(self.defect)


def reference_app(spec: WorkerSpec, audit: AuditLog) -> tuple[WsgiApp, RefusalAudit]:
    app = ReferenceApp(spec.dataset, audit, tls=spec.tls, policy=spec.policy())
    return app, app.audit_server_refusal


def listening_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A bound, listening socket; ``shared``: other workers may bind the same address."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class EventLoopWorker:
    """Serves ``sock`` until :meth:`request_stop`; run :meth:`serve` in its own thread."""

    def __init__(self, spec: WorkerSpec, sock: socket.socket, audit: AuditLog) -> None:
        self.spec = spec
        self.sock = sock
        app, audit_refusal = (spec.app_factory or reference_app)(spec, audit)
        self.shared = Shared(app, audit_refusal, spec.limits)
        self.context: ssl.SSLContext | None = None
        if spec.tls:
            assert spec.pki is not None
            self.context = server_context(spec.pki, spec.policy())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def serve(self, on_ready: Callable[[], None] = lambda: None) -> None:
        asyncio.run(self._main(on_ready))

    def request_stop(self) -> None:
        """Thread-safe; the loop closes the listener and every connection, then returns."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(stop.set)

    async def _main(self, on_ready: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        context, handshake_s = self.context, self.spec.limits.handshake_s

        def protocol() -> asyncio.BaseProtocol:
            if context is None:
                return Connection(self.shared, "http")
            return AlertingTLS(Connection(self.shared, "https"), context, handshake_s)

        server = await self._loop.create_server(protocol, sock=self.sock, backlog=_BACKLOG)
        on_ready()
        try:
            await self._stop.wait()
        finally:
            server.close()
            self.shared.close_all()


@dataclass
class ChildWorker:
    process: Any  # multiprocessing's SpawnProcess
    pipe: Pipe

    def stop(self) -> None:
        self.pipe.close()  # the child's loop sees the end of the pipe and stops
        self.process.join(_STOP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_STOP_TIMEOUT_S)

    @property
    def exitcode(self) -> int | None:
        code = self.process.exitcode
        return None if code is None else int(code)


def spawn_workers(spec: WorkerSpec, host: str, port: int, count: int) -> list[ChildWorker]:
    """Start ``count`` worker processes on ``host:port``; return once each one listens."""
    context = mp.get_context("spawn")
    children: list[ChildWorker] = []
    try:
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_child_main, args=(spec, host, port, theirs), daemon=True
            )
            process.start()
            theirs.close()
            children.append(ChildWorker(process, ours))
        for child in children:
            if not child.pipe.poll(_READY_TIMEOUT_S):
                raise RuntimeError("a worker process did not start in time")
            message = child.pipe.recv()
            if message != "ready":
                raise RuntimeError(f"a worker process failed to start: {message}")
    except BaseException:
        for child in children:
            child.stop()
        raise
    return children


def settle_for_serving() -> None:
    """For a process that now only serves (a worker, ``conformance serve``): the dataset, contract
    and tables live as long as it does, so they leave the collector's sight and each collection
    walks only what requests allocate (in one process, 309 -> 175 us per DATA_FOUND request, audit
    aside). Never in a process that goes on with other work, such as a pytest session."""
    gc.collect()
    gc.freeze()


def _child_main(spec: WorkerSpec, host: str, port: int, pipe: Pipe) -> None:
    # Ctrl-C reaches the whole process group: the parent stops us, through the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sock = listening_socket(host, port, shared=True)
        audit = AuditLog(spec.audit_path)
        worker = EventLoopWorker(spec, sock, audit)
    except BaseException as exc:
        pipe.send(f"{type(exc).__name__}: {exc}")
        raise
    settle_for_serving()

    def ready() -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(pipe.fileno(), worker.request_stop)  # the parent closed its end
        pipe.send("ready")

    try:
        worker.serve(ready)
    finally:
        audit.close()
        sock.close()
