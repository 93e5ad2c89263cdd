"""Misbehaving endpoints of our own, on 127.0.0.1 port 0, for the transport and run tests.

Each stub answers every connection with one scripted behaviour: refuse, reset, blackhole, trickle
the status line or the headers, speak plain HTTP on a TLS port, refuse client certificates, close
after the handshake, send HTML, gzip, bad chunked framing, redirects, gateway statuses... Every
behaviour is bounded in time and stops by itself (at the latest when the stub is closed).
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509

from conformance import x509build as build

SOAP = (
    b'<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<e:Body/></e:Envelope>"
)
_MAX_HOLD = 20.0  # no stub holds a connection longer than this, whatever the client does

Behaviour = Callable[[socket.socket, threading.Event], None]


class Stub:
    """A listening socket whose every connection gets ``behaviour(conn, stop)``."""

    def __init__(self, behaviour: Behaviour, *, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour, self.tls = behaviour, tls
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, scheme: str = "http", path: str = "/ForeignerSituationService/v1/consult") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(_MAX_HOLD)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.behaviour(conn, self.stop)
        except (OSError, ssl.SSLError):
            pass  # the client hung up, or refused our certificate: what the test is about
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self._thread.join(2)


def free_port() -> int:
    """A port nobody listens on (bound, read, closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- behaviours ------------------------------------------------------------------------------


def read_request(conn: socket.socket) -> bytes:
    """The request head and its Content-Length body (what a real server reads first)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def reset(conn: socket.socket, stop: threading.Event) -> None:
    """RST as soon as the connection is accepted (SO_LINGER 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def blackhole(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, read, never answer."""
    stop.wait(_MAX_HOLD)


def trickle(prefix: bytes, *, every: float = 0.2) -> Behaviour:
    """Send ``prefix`` (a status line or headers) one byte every ``every`` seconds, forever."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        for index in range(int(_MAX_HOLD / every)):
            conn.sendall(prefix[index % len(prefix) : index % len(prefix) + 1])
            if stop.wait(every):
                return

    return behaviour


def answer(
    status: str = "200 OK",
    body: bytes = SOAP,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/xml; charset=utf-8"),),
    *,
    raw_body: bytes | None = None,
    length: int | None = None,
) -> Behaviour:
    """An HTTP/1.1 answer; ``raw_body`` is sent as is (chunked framing, a cut body...)."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
        if raw_body is None:
            lines.append(f"Content-Length: {len(body) if length is None else length}")
        lines.append("Connection: close")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (raw_body or body))

    return behaviour


def raw(data: bytes) -> Behaviour:
    """Whatever bytes, after reading the request, then close."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(data)

    return behaviour


def http_at_once(conn: socket.socket, stop: threading.Event) -> None:
    """A plain HTTP server that answers whatever it gets (a TLS ClientHello) with a 400."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def handshake_then_close(conn: socket.socket, stop: threading.Event) -> None:
    """(With a TLS stub) the handshake completes, then a silent close: no alert, no HTTP."""


def endless(size: int, *, chunk: int = 64 * 1024) -> Behaviour:
    """A 200 announcing ``size`` bytes of XML-ish filler, sent until the client hangs up."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {size}\r\n\r\n"
        conn.sendall(head.encode())
        block = b" " * chunk
        for _ in range(size // chunk):
            if stop.is_set():
                return
            conn.sendall(block)

    return behaviour


def gzipped() -> Behaviour:
    headers = (("Content-Type", "text/xml"), ("Content-Encoding", "gzip"))
    return answer(body=gzip.compress(SOAP), headers=headers)


def bad_chunked() -> Behaviour:
    framing = b"10\r\n" + SOAP[:16] + b"\r\nzz\r\n" + SOAP[16:] + b"\r\n0\r\n\r\n"
    headers = (("Content-Type", "text/xml"), ("Transfer-Encoding", "chunked"))
    return answer(headers=headers, raw_body=framing)


# ---- TLS material ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


def make_ca(folder: Path, name: str) -> tuple[Pem, build.Key, x509.Certificate]:
    key, cert = build.ca(build.name(name), build.valid_for(30, starting=-dt.timedelta(days=1)))
    return _write(folder, name, key, cert), key, cert


def issue(
    folder: Path,
    name: str,
    ca: tuple[build.Key, x509.Certificate],
    *,
    san_ip: str | None = "127.0.0.1",
    san_dns: str = "localhost",
    expired: bool = False,
) -> Pem:
    """A server certificate for ``san_ip``/``san_dns`` signed by ``ca`` (expired on request)."""
    ca_key, ca_cert = ca
    key = build.new_key()
    validity = (
        build.valid_for(5, starting=-dt.timedelta(days=10))
        if expired
        else build.valid_for(30, starting=-dt.timedelta(days=1))
    )
    names: list[x509.GeneralName] = [x509.DNSName(san_dns)]
    if san_ip:
        names.append(x509.IPAddress(ipaddress.ip_address(san_ip)))
    cert = build.leaf(
        ca_key, ca_cert.subject, key, build.name(name), validity, usage=None, san=names
    )
    return _write(folder, name, key, cert)


def _write(folder: Path, name: str, key: build.Key, cert: x509.Certificate) -> Pem:
    folder.mkdir(parents=True, exist_ok=True)
    pem = Pem(folder / f"{name}.pem", folder / f"{name}.key")
    build.write_cert(pem.cert, cert)
    build.write_key(pem.key, key)
    return pem


def server_context(
    server: Pem, *, client_ca: Path | None = None, tls12: bool = False, optional: bool = False
) -> ssl.SSLContext:
    """A server context; with ``client_ca`` it demands (or, ``optional``, asks for) a client
    certificate signed by that CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert, server.key)
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL if optional else ssl.CERT_REQUIRED
    if tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def environment_file(
    folder: Path,
    url: str,
    *,
    connect: float,
    read: float,
    ca_bundle: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """An environment file with the reference's roles (clients without certificates, its test
    persons) pointed at ``url``, with small timeouts: a whole catalogue run against a stub.
    ``extra`` adds top-level keys (e.g. ``{"decisions": "enforce"}``)."""
    from conformance.harness.environment import load_environment

    reference = load_environment("reference", url, start=False).environment
    data = {
        "name": "stub",
        "endpoint": url,
        "timeouts": {"connect": connect, "read": read},
        **({"ca_bundle": str(ca_bundle)} if ca_bundle else {}),
        "clients": {
            role: {
                "customer_identification": dict(client.customer_identification),
                "legal_context": client.legal_context,
            }
            for role, client in reference.clients.items()
        },
        "persons": {
            role: {"ssin": p.ssin, **({"replaced_by": p.replaced_by} if p.replaced_by else {})}
            for role, p in reference.persons.items()
        },
        **(extra or {}),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "stub-environment.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def wait_until(predicate: Callable[[], bool], limit: float = 5.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
