"""The one seam between the harness and the wire: ``Transport.send(request) -> Exchange``.

Typed requests, crafted messages and every recorder (reports, Allure) go through here, so a test
can swap in an in-process transport. It never raises for an endpoint problem: the exchange's
``error`` holds one line a person can act on (endpoint down, TLS failure, timeout, truncated or
oversized body). No retries: a retry would hide exactly what a conformance run must report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.environment import ClientProfile, Environment

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024

Recorder = Callable[[Exchange], None]


class Transport:
    """Sends requests to one environment's endpoint. One instance per session."""

    def __init__(self, environment: Environment, *, max_body: int = MAX_RESPONSE_BYTES) -> None:
        self.environment = environment
        self.max_body = max_body
        self._sessions: dict[tuple[str, str] | None, requests.Session] = {}
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
        try:
            session = self._session(client)
            self._exchange(session, request, exchange)
        except _CredentialError as exc:
            exchange.error = str(exc)
        except requests.exceptions.SSLError as exc:
            exchange.error = _tls_message(exc, client)
        except requests.exceptions.ConnectTimeout:
            limit = self.environment.timeouts.connect
            exchange.error = f"timeout: no connection to {request.url} within {limit:g} s"
        except requests.exceptions.ReadTimeout:
            limit = self.environment.timeouts.read
            exchange.error = f"timeout: no response from {request.url} within {limit:g} s"
        except requests.exceptions.ConnectionError as exc:
            exchange.error = _connection_message(exc, request.url, client)
        except requests.exceptions.RequestException as exc:
            exchange.error = f"request to {request.url} failed: {_first_line(exc)}"
        exchange.elapsed_s = time.perf_counter() - t0
        for recorder in self._recorders:
            recorder(exchange)
        return exchange

    def close(self) -> None:
        """Close every session and delete converted key material."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ------------------------------------------------------------------------------

    def _exchange(
        self, session: requests.Session, request: OutgoingRequest, exchange: Exchange
    ) -> None:
        timeouts = self.environment.timeouts
        with session.request(
            request.method,
            request.url,
            data=request.body,
            headers=request.headers,
            timeout=(timeouts.connect, timeouts.read),
            stream=True,
            allow_redirects=False,
        ) as response:
            exchange.status = response.status_code
            exchange.headers = dict(response.headers)
            body = bytearray()
            try:
                # read1 returns what has arrived, so a truncated body keeps its received part.
                while chunk := response.raw.read1(_CHUNK):
                    body.extend(chunk)
                    if len(body) > self.max_body:
                        exchange.error = f"oversized response: more than {self.max_body} bytes"
                        break
            except requests.exceptions.RequestException:
                raise
            except Exception as exc:  # urllib3 ProtocolError / IncompleteRead and kin
                exchange.error = f"truncated body: {_first_line(exc)}"
            exchange.body = bytes(body[: self.max_body])

    def _session(self, client: ClientProfile | None) -> requests.Session:
        key = (
            _cert_pair(client, self._pem_dir)
            if client is not None and client.has_certificate
            else None
        )
        session = self._sessions.get(key)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # REQUESTS_CA_BUNDLE and proxies must not override us
            session.verify = str(self.environment.ca_bundle) if self.environment.ca_bundle else True
            if key is not None:
                session.cert = key
            adapter = HTTPAdapter(max_retries=0, pool_connections=1, pool_maxsize=4)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._sessions[key] = session
        return session

    def _pem_dir(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="bcss-conformance-pem-"))
        return self._tmpdir


class _CredentialError(Exception):
    """A client certificate could not be used; the message is the one-line reason."""


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


_CERT_DEMANDED = ("certificate required", "handshake failure", "bad certificate", "eof occurred")


def _tls_message(exc: BaseException, client: ClientProfile | None) -> str:
    detail = _first_line(exc)
    if client is None or not client.has_certificate:
        who = "no client profile" if client is None else f"client {client.role!r}"
        if any(marker in detail.lower() for marker in _CERT_DEMANDED):
            return (
                "TLS handshake failed: the server demands a client certificate and "
                f"{who} has none configured ({detail})"
            )
        return f"TLS handshake failed: {detail} (note: {who} has no client certificate configured)"
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
                f"connection reset by {url} (TLS: the server may demand a client certificate, "
                "and none was configured)"
            )
        return f"connection reset by {url}"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return f"cannot resolve the host of {url}"
    return f"connection to {url} failed: {text}"
