"""Between one connection and the WSGI application: the environ of a parsed request, the call,
and the bytes of the answer's head. No I/O here; ``connection.py`` owns the socket."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from conformance.reference.http11 import RequestHead

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REASONS = {
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


def environ_of(
    head: RequestHead, body: bytes, *, scheme: str, peer_org: str | None
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": head.path,
        "QUERY_STRING": head.query,
        "SERVER_PROTOCOL": head.version,
        "CONTENT_LENGTH": str(head.content_length if head.content_length else len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": scheme,
    }
    for name, value in head.headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name != "content-length":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    if peer_org is not None:
        environ["SSL_CLIENT_S_DN_O"] = peer_org
    return environ


def call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and the whole body (the reference's answers are small and whole)."""
    started: list[Any] = []
    parts = app(environ, lambda status, headers: started.append((status, headers)))
    body = b"".join(parts)
    return started[0][0], started[0][1], body


def head_bytes(status: str, date: str, headers: Iterable[tuple[str, str]], *, close: bool) -> bytes:
    """The answer's head; the connection alone decides ``Connection: close``."""
    lines = [f"HTTP/1.1 {status}", f"Date: {date}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() != "connection"]
    if close:
        lines.append("Connection: close")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
