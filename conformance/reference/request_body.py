"""Reading a request body from the WSGI environ, bounded: never more than the limit in memory.

The reference refuses a body it cannot have whole (too large, truncated, refused by the HTTP
layer) with MSG00004; this module only says why, with what arrived (for the audit) and whether
the connection must close. It knows nothing of return codes.
"""

from __future__ import annotations

from typing import Any

from conformance.xmlsafe import MAX_BYTES

DRAIN_MAX = 8 * MAX_BYTES  # a moderately oversized body is read and dropped; beyond, close
_CHUNK = 65536


class BodyRefused(Exception):
    """The body cannot be processed. ``received`` is what arrived; ``close`` ends the
    connection (nothing after this request can be trusted to be a request)."""

    def __init__(self, reason: str, *, received: bytes = b"", close: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.received = received
        self.close = close


def read_body(environ: dict[str, Any]) -> bytes:
    refused = environ.get("conformance.body_refused")
    if refused is not None:  # the HTTP layer could not have the whole body (too large, late)
        raise BodyRefused(str(refused), received=environ["wsgi.input"].read(), close=True)
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = _read_up_to(environ, MAX_BYTES + 1)  # bounded: never more than this
        if len(body) > MAX_BYTES:
            raise BodyRefused(f"chunked body exceeds the {MAX_BYTES}-byte limit", close=True)
        return body
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > MAX_BYTES:
        _drain(environ, length)
        raise BodyRefused(
            f"body of {length} bytes exceeds the {MAX_BYTES}-byte limit",
            close=length < 0 or length > DRAIN_MAX,
        )
    return _read_up_to(environ, length) if length else b""


def _read_up_to(environ: dict[str, Any], limit: int) -> bytes:
    """At most ``limit`` bytes. A client that stops sending makes the read time out: its body
    is truncated, the client's error, not an internal one."""
    stream, parts, got = environ["wsgi.input"], [], 0
    try:
        while got < limit:
            chunk = stream.read(min(limit - got, _CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except OSError as exc:  # socket timeout or reset while the body was arriving
        raise BodyRefused(
            f"body truncated after {got} bytes: {exc}", received=b"".join(parts), close=True
        ) from None
    return b"".join(parts)


def _drain(environ: dict[str, Any], length: int) -> None:
    # Reading (and dropping) a moderately oversized body lets the client finish sending and
    # read the fault; beyond DRAIN_MAX the connection is closed instead.
    remaining = length if 0 < length <= DRAIN_MAX else 0
    while remaining > 0:
        chunk = environ["wsgi.input"].read(min(remaining, _CHUNK))
        if not chunk:
            break
        remaining -= len(chunk)
