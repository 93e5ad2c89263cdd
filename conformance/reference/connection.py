"""One client connection of the reference service: framing, deadlines, exactly one answer.

An asyncio protocol, so a connection that sends nothing costs a few kilobytes and no thread:
slowloris cannot starve anyone. Each phase has a total deadline, not a per-read one: idle
(before a request's first byte), head (first byte to blank line), body (blank line to last
byte). The body is refused from its declared size before it is read, and a chunked body is
counted as it arrives. A refused request gets one answer, then the connection closes and
nothing after it is parsed. Requests are answered in order, one at a time; a client that does
not read its answers is stopped from sending more (the write buffer is bounded).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.reference import http11
from conformance.reference.http11 import BodyTooLarge, ChunkedBody, HttpError, RequestHead
from conformance.reference.tls import peer_organisation
from conformance.reference.wsgi_bridge import REASONS, WsgiApp, call, environ_of, head_bytes
from conformance.xmlsafe import MAX_BYTES

# Records a request the server answered itself: method, path, "status reason", message.
RefusalAudit = Callable[[str, str, str, str], None]


@dataclass(frozen=True)
class HttpLimits:
    """Deadlines (seconds) and caps of one worker; docs/reference-service.md lists them."""

    idle_s: float = 30.0  # before a request's first byte (also: a client not reading answers)
    head_s: float = 10.0  # the whole request head
    body_s: float = 30.0  # the whole body, after the head
    handshake_s: float = 10.0  # the TLS handshake
    max_connections: int = 512  # per worker; beyond, 503 and close
    linger_s: float = 2.0  # after a refusal: discard what still comes, then close
    linger_bytes: int = 8 * MAX_BYTES


class Shared:
    """What the connections of one worker share: the app, the audit hook, the open ones."""

    def __init__(self, app: WsgiApp, audit_refusal: RefusalAudit, limits: HttpLimits) -> None:
        self.app = app
        self.audit_refusal = audit_refusal
        self.limits = limits
        self.connections: set[Connection] = set()
        self._date = (0, "")

    def close_all(self) -> None:
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()

    def date(self) -> str:
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        return self._date[1]


class Connection(asyncio.Protocol):
    def __init__(self, shared: Shared, scheme: str) -> None:
        self.shared = shared
        self.limits = shared.limits
        self.scheme = scheme
        self.buffer = bytearray()
        self.state = "idle"  # idle, head, body, linger, closed
        self.head: RequestHead | None = None
        self.chunked: ChunkedBody | None = None
        self.peer_org: str | None = None
        self.paused = False
        self.lingered = 0
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=256 * 1024)
        self.shared.connections.add(self)
        if len(self.shared.connections) > self.limits.max_connections:
            self._refuse(503, f"more than {self.limits.max_connections} open connections")
            return
        self.peer_org = peer_organisation(transport.get_extra_info("ssl_object"))
        self._arm(self.limits.idle_s)

    def data_received(self, data: bytes) -> None:
        if self.state == "closed":
            return
        if self.state == "linger":
            self.lingered += len(data)
            if self.lingered > self.limits.linger_bytes:
                self._close()
            return
        self.buffer += data
        self._advance()

    def eof_received(self) -> bool | None:
        if self.state == "head" and self.buffer:
            self._refuse(400, "the client closed before the end of the request head")
        elif self.state == "body":
            self._answer_body_refused("the client closed before the end of the body")
        self.state = "closed"  # nothing more can come: close once the answer is written
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.shared.connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.state == "body":  # gone mid-body: no answer possible, the audit still has it
            self.state = "closed"
            call(self.shared.app, self._truncated_environ("the connection was lost"))
        self.state = "closed"

    def pause_writing(self) -> None:
        self.paused = True
        self._arm(self.limits.idle_s)  # a client that reads nothing is closed at this deadline

    def resume_writing(self) -> None:
        self.paused = False
        if self.transport is not None and self.state not in ("closed", "linger"):
            self.transport.resume_reading()
            self._arm(self.limits.idle_s if self.state == "idle" else self.limits.head_s)
            self._advance()

    # -- framing ----------------------------------------------------------------------------

    def _advance(self) -> None:
        try:
            while self.state in ("idle", "head", "body") and not self.paused:
                if self.state == "body":
                    if not self._body_step():
                        return
                elif not self._head_step():
                    return
        except HttpError as error:
            self._refuse(error.status, error.reason, error.method, error.path)
        except BodyTooLarge as error:
            self._answer_body_refused(str(error), linger=True)
        if self.paused and self.transport is not None and self.state != "closed":
            self.transport.pause_reading()

    def _head_step(self) -> bool:
        if self.state == "idle":
            while self.buffer.startswith(b"\r\n"):  # RFC 9112 §2.2: ignore empty lines first
                del self.buffer[:2]
            if not self.buffer:
                return False
            self.state = "head"
            self._arm(self.limits.head_s)
        end = http11.head_end(self.buffer)
        if end < 0:
            return False
        head = http11.parse_head(bytes(self.buffer[:end]))
        del self.buffer[:end]
        self.head = head
        self.state = "body"
        if head.content_length is not None and head.content_length > MAX_BYTES:
            raise BodyTooLarge(f"body of {head.content_length} bytes exceeds the limit")
        self.chunked = ChunkedBody(MAX_BYTES) if head.chunked else None
        if head.expect_continue and (head.chunked or head.content_length):
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._arm(self.limits.body_s)
        return True

    def _body_step(self) -> bool:
        assert self.head is not None
        if self.chunked is not None:
            self.chunked.feed(self.buffer)
            if not self.chunked.done:
                return False
            body = self.chunked.body()
        else:
            length = self.head.content_length or 0
            if len(self.buffer) < length:
                return False
            body = bytes(self.buffer[:length])
            del self.buffer[:length]
        self._respond(self._environ_of(body), close=not self.head.keep_alive)
        return True

    # -- answers ----------------------------------------------------------------------------

    def _respond(self, environ: dict[str, Any], *, close: bool, linger: bool = False) -> None:
        status, headers, body = call(self.shared.app, environ)
        if environ["REQUEST_METHOD"] == "HEAD":
            body = b""  # the headers still say how long the body would be
        close = close or any(k.lower() == "connection" and v == "close" for k, v in headers)
        self._write(head_bytes(status, self.shared.date(), headers, close=close) + body)
        self.head, self.chunked = None, None
        if linger:
            self._linger()
        elif close:
            self._close()
        else:
            self.state = "idle"
            self._arm(self.limits.idle_s)

    def _answer_body_refused(self, reason: str, *, linger: bool = False) -> None:
        """The app answers (MSG00004) and audits a body it could not have; then close."""
        self._respond(self._truncated_environ(reason), close=True, linger=linger)

    def _truncated_environ(self, reason: str) -> dict[str, Any]:
        assert self.head is not None
        arrived = self.chunked.body() if self.chunked is not None else bytes(self.buffer)
        environ = self._environ_of(arrived[:MAX_BYTES])
        environ["conformance.body_refused"] = reason
        return environ

    def refuse_plain_http(self, transport: asyncio.Transport, first: bytes) -> None:
        """Plain HTTP on the TLS port, before any handshake: 400 in plain HTTP on the TCP
        transport, audited, then the usual linger (``tls.AlertingTLS`` calls this)."""
        self.transport = transport
        method, _, rest = first.partition(b" ")
        path = rest.partition(b" ")[0]
        self._refuse(
            400,
            "plain HTTP, but this port serves HTTPS (TLS)",
            method[:16].decode("latin-1"),
            path[:200].decode("latin-1"),
        )

    def _refuse(self, status: int, reason: str, method: str = "", path: str = "") -> None:
        """An answer of the server itself (malformed or stalled request): audited, then close."""
        if self.head is not None:
            method, path = self.head.method, self.head.path
        self.shared.audit_refusal(method, path, f"{status} {REASONS[status]}", reason)
        text = f"{status} {REASONS[status]}: {reason}\n".encode("latin-1")
        lines = [f"HTTP/1.1 {status} {REASONS[status]}", f"Date: {self.shared.date()}"]
        lines += ["Content-Type: text/plain; charset=utf-8", f"Content-Length: {len(text)}"]
        if status == 503:
            lines.append("Retry-After: 1")
        lines.append("Connection: close")
        self._write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + text)
        self._linger()

    def _linger(self) -> None:
        """After a refusal: closing with the client's bytes unread would reset the connection
        and could destroy the answer in flight. Say we are done (FIN, over plain TCP), discard
        what still comes for a bounded time, then close; nothing more is parsed."""
        if self.transport is None or self.transport.is_closing():
            self.state = "closed"
            return
        self.state = "linger"
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._arm(self.limits.linger_s)

    def _environ_of(self, body: bytes) -> dict[str, Any]:
        assert self.head is not None
        return environ_of(self.head, body, scheme=self.scheme, peer_org=self.peer_org)

    # -- plumbing ---------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        self.state = "closed"
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.transport.close()  # what was written is sent first

    def _arm(self, seconds: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_at(loop.time() + seconds, self._expired)

    def _expired(self) -> None:
        if self.paused or self.state == "idle":
            self._close()
        elif self.state == "head":
            self._refuse(408, f"request head not received within {self.limits.head_s:g} s")
        elif self.state == "body":
            self._answer_body_refused(
                f"body not received within {self.limits.body_s:g} s", linger=True
            )
        else:  # linger
            self._close()
