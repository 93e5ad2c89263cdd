"""The one seam between the harness and the wire: ``Transport.send(request) -> Exchange``.

Typed requests, crafted messages and every recorder (reports, Allure) go through here, so a test
can swap in an in-process transport. It never raises for an endpoint problem: the exchange's
``error`` holds one line a person can act on (endpoint down, TLS failure, timeout, truncated or
oversized body). No retries: a retry would hide exactly what a conformance run must report.
"""

from __future__ import annotations

import http.client
import os
import select
import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import certifi

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.environment import ClientProfile, Environment

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024

Recorder = Callable[[Exchange], None]
_ConnKey = tuple[tuple[str, str] | None, str, str, int]


class Transport:
    """Sends requests to one environment's endpoint. One instance per session (and thread).

    One keep-alive connection per (client certificate, host), each with its own explicit
    ``ssl.SSLContext``: the environment's CA bundle (never ``REQUESTS_CA_BUNDLE`` or proxies from
    the process environment) and the client's PEM pair. No retries; separate connect and read
    timeouts. Built on the standard library's ``http.client`` rather than ``requests``: the
    session and pool layers cost 0.3-0.6 ms per exchange, a third to a half of a whole reference
    exchange (benchmarks/bench_harness.py), and sent headers and body as two TLS records.
    """

    def __init__(self, environment: Environment, *, max_body: int = MAX_RESPONSE_BYTES) -> None:
        self.environment = environment
        self.max_body = max_body
        self._connections: dict[_ConnKey, http.client.HTTPConnection] = {}
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
        url = request.url
        timeouts = self.environment.timeouts
        connection = None
        try:
            connection = self._connection(url, client)
            self._exchange(connection, request, exchange)
        except _CredentialError as exc:
            exchange.error = str(exc)
        except _ConnectTimeout:
            exchange.error = f"timeout: no connection to {url} within {timeouts.connect:g} s"
        except ssl.SSLError as exc:
            exchange.error = _tls_message(exc, client)
        except TimeoutError:
            exchange.error = f"timeout: no response from {url} within {timeouts.read:g} s"
        except (OSError, http.client.HTTPException) as exc:
            exchange.error = _connection_message(exc, url, client)
        except ValueError as exc:  # e.g. a crafted header http.client will not put on the wire
            exchange.error = f"request to {url} not sent: {_first_line(exc)}"
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
        self, connection: http.client.HTTPConnection, request: OutgoingRequest, exchange: Exchange
    ) -> None:
        if connection.sock is not None and _dropped(connection.sock):
            connection.close()  # the server closed the idle keep-alive connection
        if connection.sock is None:
            try:
                connection.connect()
            except TimeoutError:
                raise _ConnectTimeout from None
            if connection.sock is not None:
                connection.sock.settimeout(self.environment.timeouts.read)
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        read_timeout = self.environment.timeouts.read
        # The read timeout bounds the whole body too: a server trickling a byte now and then
        # would otherwise hold the run for as long as it likes.
        deadline = time.monotonic() + read_timeout
        # http.client sends headers and a bytes body in one write (one TLS record).
        connection.request(request.method, target, body=request.body, headers=request.headers)
        response = connection.getresponse()
        exchange.status = response.status
        exchange.headers = dict(response.getheaders())
        body = bytearray()
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if connection.sock is not None:
                    connection.sock.settimeout(remaining)
                # read1 returns what has arrived, so a truncated body keeps its received part.
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                body.extend(chunk)
                if len(body) > self.max_body:
                    exchange.error = f"oversized response: more than {self.max_body} bytes"
                    break
        except TimeoutError:
            exchange.error = (
                f"timeout: the response body from {request.url} was not complete within "
                f"{read_timeout:g} s ({len(body)} bytes received)"
            )
        except (OSError, http.client.HTTPException) as exc:  # IncompleteRead, reset mid-body
            exchange.error = f"truncated body: {_first_line(exc)}"
        exchange.body = bytes(body[: self.max_body])
        if exchange.error is None and response.length:  # EOF before Content-Length was met
            exchange.error = (
                f"truncated body: {len(body)} bytes received, "
                f"{len(body) + response.length} announced by Content-Length"
            )
        response.close()  # marks the response done so the connection can carry the next one
        if response.will_close:
            connection.close()
        elif connection.sock is not None:
            connection.sock.settimeout(read_timeout)  # the next exchange starts afresh

    def _connection(self, url: str, client: ClientProfile | None) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        pair = (
            _cert_pair(client, self._pem_dir)
            if client is not None and client.has_certificate
            else None
        )
        key = (pair, scheme, host, port)
        connection = self._connections.get(key)
        if connection is None:
            connect_timeout = self.environment.timeouts.connect
            if scheme == "https":
                context = self._context(client, pair)
                connection = http.client.HTTPSConnection(
                    host, port, timeout=connect_timeout, context=context
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)
            self._connections[key] = connection
        return connection

    def _context(
        self, client: ClientProfile | None, pair: tuple[str, str] | None
    ) -> ssl.SSLContext:
        ca = self.environment.ca_bundle
        try:
            context = ssl.create_default_context(cafile=str(ca) if ca else certifi.where())
        except (OSError, ssl.SSLError) as exc:
            # Our own configuration, not the server's doing: never a "TLS handshake failed".
            reason = _first_line(exc)
            raise _CredentialError(f"CA bundle {ca}: cannot be loaded: {reason}") from None
        if pair is not None:
            try:
                context.load_cert_chain(*pair)
            except (OSError, ssl.SSLError) as exc:
                role = client.role if client is not None else "?"
                raise _CredentialError(
                    f"client {role}: cannot use certificate {pair[0]} with key {pair[1]}: "
                    f"{_first_line(exc)}"
                ) from None
        return context

    def _pem_dir(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="bcss-conformance-pem-"))
        return self._tmpdir


class _CredentialError(Exception):
    """A client certificate or the CA bundle could not be used; the message is the reason."""


class _ConnectTimeout(Exception):
    """No connection within the connect timeout."""


def _dropped(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed by the peer (or is broken)."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _cert_pair(client: ClientProfile, pem_dir: Callable[[], Path]) -> tuple[str, str]:
    if client.cert is not None and client.key is not None:
        return str(client.cert), str(client.key)
    assert client.p12 is not None
    target = pem_dir() / client.role
    cert_path, key_path = target.with_suffix(".crt"), target.with_suffix(".key")
    if not cert_path.exists():
        _convert_p12(client, cert_path, key_path)
    return str(cert_path), str(key_path)


def _convert_p12(client: ClientProfile, cert_path: Path, key_path: Path) -> None:
    """PKCS#12 to a PEM pair (requests takes PEM only), written 0600 in the transport's temp dir."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        pkcs12,
    )

    assert client.p12 is not None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            client.p12.read_bytes(), client.p12_password()
        )
    except (OSError, ValueError) as exc:
        raise _CredentialError(
            f"client {client.role}: cannot open PKCS#12 {client.p12} "
            f"(password from ${client.p12_password_env}): {_first_line(exc)}"
        ) from None
    if key is None or cert is None:
        raise _CredentialError(
            f"client {client.role}: PKCS#12 {client.p12} lacks a key or certificate"
        )
    chain = b"".join(c.public_bytes(Encoding.PEM) for c in [cert, *(extra or [])])
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    for path, data in ((key_path, key_pem), (cert_path, chain)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def _first_line(exc: BaseException) -> str:
    text = str(_innermost(exc)).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _innermost(exc: BaseException) -> BaseException:
    """The root cause under requests' and urllib3's wrappers (MaxRetryError, SSLError...)."""
    for _ in range(6):  # bounded: wrappers are at most a few deep
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        if inner is None:
            break
        exc = inner
    return exc


# The reasons that say the server refused a client without certificate: the only ones an
# expected refusal (craft no_client_cert) accepts, so an untrusted or broken server never passes.
CLIENT_CERT_DEMANDED = "TLS handshake failed: the server demands a client certificate"
CONNECTION_RESET = "connection reset by"

_CERT_DEMANDED = ("certificate required", "handshake failure", "bad certificate", "eof occurred")


def _tls_message(exc: BaseException, client: ClientProfile | None) -> str:
    detail = _first_line(exc)
    if client is None or not client.has_certificate:
        missing = (
            "none was configured (no client profile given)"
            if client is None
            else f"none is configured for client {client.role!r}"
        )
        if any(marker in detail.lower() for marker in _CERT_DEMANDED):
            return f"{CLIENT_CERT_DEMANDED} and {missing} ({detail})"
        return f"TLS handshake failed: {detail} (note: a client certificate: {missing})"
    return f"TLS handshake failed: {detail}"


def _connection_message(exc: BaseException, url: str, client: ClientProfile | None) -> str:
    text = _first_line(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return f"connection refused to {url}"
    if any(m in lowered for m in ("ssl", "tls", "certificate")):
        return _tls_message(exc, client)
    if "reset" in lowered or "aborted" in lowered:
        if client is None or not client.has_certificate:
            return (
                f"{CONNECTION_RESET} {url} (TLS: the server may demand a client certificate, "
                "and none was configured)"
            )
        return f"{CONNECTION_RESET} {url}"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return f"cannot resolve the host of {url}"
    return f"connection to {url} failed: {text}"
