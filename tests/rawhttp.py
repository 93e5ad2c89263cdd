"""Raw-socket helpers for the reference service's HTTP tests: send bytes, read every answer."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"


@dataclass
class Received:
    answers: list[Answer] = field(default_factory=list)
    rest: bytes = b""  # bytes that are no whole answer
    closed: bool = False  # the server closed (EOF or reset) before our deadline


def address(base_url: str) -> tuple[str, int]:
    host, port = base_url.rsplit("/", 1)[-1].rsplit(":", 1)
    return host, int(port)


def connect(
    base_url: str, *, tls: ssl.SSLContext | None = None, timeout: float = 10
) -> socket.socket:
    sock = socket.create_connection(address(base_url), timeout=timeout)
    if tls is not None:
        return tls.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


def exchange(
    base_url: str, data: bytes, *, timeout: float = 10, half_close: bool = True
) -> Received:
    """Send ``data`` on a new connection, half-close, read until the server closes."""
    with connect(base_url, timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server refused and closed while we were still sending
            pass
        return read_all(sock, timeout)


def read_all(sock: socket.socket, timeout: float) -> Received:
    """Read until EOF, reset or ``timeout`` seconds in all (bounded), then split answers."""
    data = b""
    closed = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    received = split(data)
    received.closed = closed
    return received


def split(data: bytes) -> Received:
    """Answers framed by Content-Length (the service always sends one), 100 Continue skipped."""
    answers = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0 or not data.startswith(b"HTTP/1.1 "):
            break
        lines = data[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            data = data[end + 4 :]
            continue
        length = int(headers.get("content-length", "0"))
        if len(data) < end + 4 + length:
            break
        answers.append(Answer(status, headers, data[end + 4 : end + 4 + length]))
        data = data[end + 4 + length :]
    return Received(answers, data)


def post(path: str, body: bytes, headers: dict[str, str], *, extra: bytes = b"") -> bytes:
    """A well-framed POST (Content-Length) with ``extra`` header lines."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + extra + b"\r\n" + body
