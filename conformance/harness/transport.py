"""The one seam between the harness and the wire: ``Transport.send(request) -> Exchange``.

Typed requests, crafted messages and every recorder (reports, Allure) go through here, so a test
can swap in an in-process transport. It never raises for an endpoint problem: the exchange's
``error`` holds one line a person can act on, ``error_kind`` and ``error_phase`` say what went
wrong and where (``conformance.exchange``). No retries: a retry would hide exactly what a
conformance run must report.

Deadlines: the connection (TCP, then the TLS handshake) must be up within the connect timeout;
the response, from the request's first byte to the body's last (status line, headers, body),
within the read timeout. An exchange never lasts longer than connect + read.
"""

from __future__ import annotations

import http.client
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from conformance.exchange import (
    CLOSED,
    CREDENTIAL,
    NOT_SENT,
    OVERSIZED,
    PHASE_BODY,
    PHASE_SETUP,
    PHASE_STATUS_LINE,
    PROTOCOL,
    TRUNCATED,
    Exchange,
    OutgoingRequest,
)
from conformance.harness import connection as net
from conformance.harness import handshake
from conformance.harness.connection import DeadlineSocket, Limits, TransportFailure
from conformance.harness.credentials import (
    CredentialError,
    cert_pair,
    first_line,
    load_pair,
    verify_context,
)
from conformance.harness.environment import ClientProfile, Environment

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
DEFAULT_LIMITS = Limits()
_CHUNK = 64 * 1024

Recorder = Callable[[Exchange], None]
_ConnKey = tuple[tuple[str, str] | None, str, str, int]


class Transport:
    """Sends requests to one environment's endpoint. One instance per session (and thread).

    One keep-alive connection per (client certificate, host), each with its own explicit
    ``ssl.SSLContext``: the environment's CA bundle (never ``REQUESTS_CA_BUNDLE`` or proxies from
    the process environment) and the client's PEM pair. Built on the standard library's
    ``http.client`` rather than ``requests``: the session and pool layers cost 0.3-0.6 ms per
    exchange, a third to a half of a whole reference exchange (benchmarks/bench_harness.py).
    """

    def __init__(
        self,
        environment: Environment,
        *,
        max_body: int = MAX_RESPONSE_BYTES,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.environment = environment
        self.max_body = max_body
        self.limits = limits
        self._connections: dict[_ConnKey, http.client.HTTPConnection] = {}
        self._contexts: dict[tuple[str, str] | None, ssl.SSLContext] = {}
        self._recorders: list[Recorder] = []
        self._tmpdir: Path | None = None  # PEM pairs converted from PKCS#12 files

    def add_recorder(self, recorder: Recorder) -> None:
        """Call ``recorder(exchange)`` after every send, failed or not."""
        self._recorders.append(recorder)

    def send(self, request: OutgoingRequest, client: ClientProfile | None = None) -> Exchange:
        """Send ``request`` with ``client``'s certificate (none when ``client`` is None)."""
        started = datetime.now(UTC).isoformat(timespec="milliseconds")
        t0 = time.perf_counter()
        exchange = Exchange(request=request, started_at=started)
        connection = None
        try:
            connection = self._connection(request.url, client)
            self._exchange(connection, request, exchange, client)
        except CredentialError as exc:
            _fail(exchange, TransportFailure(CREDENTIAL, PHASE_SETUP, str(exc)))
        except TransportFailure as failure:
            _fail(exchange, failure)
        except ValueError as exc:  # e.g. a crafted header http.client will not put on the wire
            reason = f"request to {request.url} not sent: {first_line(exc)}"
            _fail(exchange, TransportFailure(NOT_SENT, PHASE_SETUP, reason))
        if exchange.error is not None and connection is not None:
            connection.close()  # a failed or half-read connection is never reused
        exchange.elapsed_s = time.perf_counter() - t0
        for recorder in self._recorders:
            recorder(exchange)
        return exchange

    def close(self) -> None:
        """Close every connection and delete converted key material."""
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ------------------------------------------------------------------------------

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        request: OutgoingRequest,
        exchange: Exchange,
        client: ClientProfile | None,
    ) -> None:
        line = connection.sock
        if isinstance(line, DeadlineSocket) and line.dropped():
            connection.close()  # the server closed the idle keep-alive connection
        if connection.sock is None:
            connection.sock = self._open(request.url, client)
        line = connection.sock
        assert isinstance(line, DeadlineSocket)
        read = self.environment.timeouts.read
        line.begin(time.monotonic() + read, read)
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            # http.client sends headers and a bytes body in one write (one TLS record).
            connection.request(request.method, target, body=request.body, headers=request.headers)
            response = connection.getresponse()
        except http.client.HTTPException as exc:
            raise _http_failure(exc, line) from None
        exchange.status = response.status
        exchange.headers = dict(response.getheaders())
        body = bytearray()
        try:
            while chunk := response.read1(_CHUNK):  # what has arrived: a cut body keeps its part
                body.extend(chunk)
                if len(body) > self.max_body:
                    reason = f"oversized response: a body of more than {self.max_body} bytes"
                    raise TransportFailure(OVERSIZED, PHASE_BODY, reason)
            if response.length:  # EOF before Content-Length was met
                raise TransportFailure(
                    TRUNCATED,
                    PHASE_BODY,
                    f"truncated body: {len(body)} bytes received, "
                    f"{len(body) + response.length} announced by Content-Length",
                )
        except TransportFailure as failure:
            _fail(exchange, failure)
        except http.client.HTTPException as exc:
            _fail(exchange, _body_failure(exc, line, response, len(body)))
        exchange.body = bytes(body[: self.max_body])
        response.close()  # marks the response done so the connection can carry the next one
        if response.will_close:
            connection.close()

    def _open(self, url: str, client: ClientProfile | None) -> DeadlineSocket:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connect = self.environment.timeouts.connect
        started = time.monotonic()
        sock = handshake.connect(url, host, port, connect)
        has_certificate = client is not None and client.has_certificate
        if parts.scheme == "https":
            context = self._context(client)
            left = max(connect - (time.monotonic() - started), 0.001)
            sock = handshake.handshake(
                sock,
                context,
                url,
                host,
                timeout=left,
                budget=connect,
                has_certificate=has_certificate,
            )
        return DeadlineSocket(sock, url, host, limits=self.limits, has_certificate=has_certificate)

    def _connection(self, url: str, client: ClientProfile | None) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (self._pair(client), scheme, host, port)
        connection = self._connections.get(key)
        if connection is None:
            # The class only sets the default port of the Host header: the transport opens
            # the socket itself (Transport._open) and http.client never connects.
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = kind(host, port)
            self._connections[key] = connection
        return connection

    def _pair(self, client: ClientProfile | None) -> tuple[str, str] | None:
        if client is None or not client.has_certificate:
            return None
        return cert_pair(client, self._pem_dir)

    def _context(self, client: ClientProfile | None) -> ssl.SSLContext:
        pair = self._pair(client)
        if pair in self._contexts:
            return self._contexts[pair]
        context = verify_context(self.environment.ca_bundle)
        if pair is not None:
            assert client is not None
            load_pair(context, client, pair)
        self._contexts[pair] = context
        return context

    def _pem_dir(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="bcss-conformance-pem-"))
        return self._tmpdir


def _fail(exchange: Exchange, failure: TransportFailure) -> None:
    exchange.error, exchange.error_kind, exchange.error_phase = (
        failure.reason,
        failure.kind,
        failure.phase,
    )


def _http_failure(exc: http.client.HTTPException, line: DeadlineSocket) -> TransportFailure:
    """What http.client refused in the head of the response (before any status was read)."""
    if isinstance(exc, http.client.RemoteDisconnected) and line.received == 0:
        if line.tls:
            return net.silent_close(line.url, "closed")
        return TransportFailure(
            CLOSED, line.phase, f"connection closed by {line.url} before any response"
        )
    phase = PHASE_STATUS_LINE if isinstance(exc, http.client.BadStatusLine) else line.phase
    reason = f"not an HTTP/1.1 response: bad {phase.replace('-', ' ')} ({first_line(exc)})"
    return TransportFailure(PROTOCOL, phase, reason)


def _body_failure(
    exc: http.client.HTTPException,
    line: DeadlineSocket,
    response: http.client.HTTPResponse,
    got: int,
) -> TransportFailure:
    if response.chunked and not line.eof:
        return TransportFailure(
            PROTOCOL,
            PHASE_BODY,
            f"chunked framing error: a chunk size or chunk end is not valid ({got} body "
            "bytes decoded)",
        )
    if response.chunked:
        reason = f"truncated body: the connection closed before the last chunk ({got} bytes)"
    else:
        reason = f"truncated body: {first_line(exc)}"
    return TransportFailure(TRUNCATED, PHASE_BODY, reason)
