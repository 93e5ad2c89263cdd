"""One connection as ``http.client`` sees it, under one deadline and size limits.

``http.client`` bounds each read by the socket timeout only: a server trickling its status line
or headers a byte at a time holds an exchange for as long as it likes, and it accepts a 64 KiB
status line and 100 headers. Here every read is given what is left of the exchange's deadline,
the head of the response (status line, then headers) is measured as it arrives, and every
failure is raised as a :class:`TransportFailure` naming the phase it happened in. Opening the
connection (TCP, then the TLS handshake) is ``handshake.py``'s.
"""

from __future__ import annotations

import errno
import io
import select
import socket
import ssl
import time
from dataclasses import dataclass

from conformance.exchange import (
    CLOSED,
    DEADLINE,
    OVERSIZED,
    PHASE_BODY,
    PHASE_HEADERS,
    PHASE_SEND,
    PHASE_STATUS_LINE,
    PHASE_TLS,
    RESET,
    TLS_CLOSED,
)
from conformance.harness import tls_reasons

_BUFFER = 64 * 1024
_RESETS = {errno.ECONNRESET, errno.ENOTCONN, errno.ECONNABORTED}
_WHAT = {
    PHASE_STATUS_LINE: "the status line",
    PHASE_HEADERS: "the headers",
    PHASE_BODY: "the response body",
}


@dataclass(frozen=True)
class Limits:
    """The most a response head may hold (http.client alone allows 64 KiB and 100 headers)."""

    status_line: int = 4 * 1024
    header_bytes: int = 32 * 1024
    headers: int = 64


class TransportFailure(Exception):
    """An exchange that went wrong: ``kind`` and ``phase`` from ``conformance.exchange``."""

    def __init__(self, kind: str, phase: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.phase, self.reason = kind, phase, reason


def silent_close(url: str, how: str) -> TransportFailure:
    """Closed or reset after a completed handshake, before any HTTP byte and with no alert."""
    return TransportFailure(
        TLS_CLOSED,
        PHASE_TLS,
        f"TLS: {url} {how} the connection after the handshake without any HTTP response "
        "or TLS alert",
    )


class DeadlineSocket:
    """The socket of one keep-alive connection, as ``http.client`` uses it (sendall, makefile,
    close). :meth:`begin` starts an exchange: from then on every send and read shares one
    deadline."""

    def __init__(
        self, sock: socket.socket, url: str, host: str, *, limits: Limits, has_certificate: bool
    ) -> None:
        self.sock, self.url, self.host, self.limits = sock, url, host, limits
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.has_certificate = has_certificate
        self._readers, self._closing = 0, False
        self.begin(0.0, 0.0)

    def begin(self, deadline: float, budget: float) -> None:
        self.deadline, self.budget = deadline, budget
        self.phase = PHASE_STATUS_LINE
        self.received = 0  # bytes of the response so far
        self.eof = False
        self._head = bytearray()

    # ---- what http.client calls -------------------------------------------------------------

    def sendall(self, data: bytes) -> None:
        try:
            self.sock.settimeout(self._remaining(PHASE_SEND))
            self.sock.sendall(data)
        except TimeoutError:
            raise self._deadline(PHASE_SEND) from None
        except ssl.SSLError as exc:
            raise self._tls_failure(exc) from None
        except OSError as exc:  # reset, broken pipe, ENOTCONN after a reset
            raise self._lost(exc, PHASE_SEND) from None

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_Reader(self), _BUFFER)

    def close(self) -> None:
        # Like socket.makefile: http.client closes the connection of a "Connection: close"
        # response before its body is read; the socket goes when the last reader does.
        self._closing = True
        if self._readers == 0:
            self.sock.close()

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and self._readers == 0:
            self.sock.close()

    def dropped(self) -> bool:
        """An idle socket that is readable has been closed by the peer (or is broken)."""
        try:
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    # ---- reading ----------------------------------------------------------------------------

    def recv_into(self, buffer: memoryview) -> int:
        phase = self.phase
        try:
            self.sock.settimeout(self._remaining(phase))
            count = self.sock.recv_into(buffer)
        except TimeoutError:
            raise self._deadline(phase) from None
        except ssl.SSLError as exc:  # TLS 1.3: the server's verdict on our certificate
            raise self._tls_failure(exc) from None
        except OSError as exc:
            raise self._lost(exc, phase) from None
        self.eof = count == 0
        self.received += count
        if self.phase != PHASE_BODY:
            self._measure_head(bytes(buffer[:count]))
        return count

    def _measure_head(self, data: bytes) -> None:
        self._head += data
        head, limits = self._head, self.limits
        line_end = head.find(b"\n")
        if (line_end if line_end >= 0 else len(head)) > limits.status_line:
            self._oversized(f"a status line longer than {limits.status_line} bytes")
        if line_end < 0:
            return
        self.phase = PHASE_HEADERS
        end = head.find(b"\r\n\r\n", max(line_end - 1, 0))
        if end < 0:
            end = head.find(b"\n\n", line_end)
        block = head[line_end + 1 : end if end >= 0 else len(head)]
        if block.count(b"\n") > limits.headers:
            self._oversized(f"more than {limits.headers} header lines")
        if len(block) > limits.header_bytes:
            self._oversized(f"headers longer than {limits.header_bytes} bytes")
        if end >= 0:
            self.phase = PHASE_BODY
            self._head = bytearray()

    def _remaining(self, phase: str) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._deadline(phase)
        return remaining

    # ---- failures ---------------------------------------------------------------------------

    def _deadline(self, phase: str) -> TransportFailure:
        budget = f"{self.budget:g} s"
        if phase in (PHASE_SEND, PHASE_STATUS_LINE) and self.received == 0:
            reason = f"timeout: no response from {self.url} within {budget}"
        else:
            what = _WHAT.get(phase, phase)
            were = "was" if phase != PHASE_HEADERS else "were"
            reason = (
                f"timeout: {what} from {self.url} {were} not complete within {budget} "
                f"({self.received} bytes received): the server is stuck in {what}"
            )
        return TransportFailure(DEADLINE, phase, reason)

    def _oversized(self, what: str) -> None:
        raise TransportFailure(OVERSIZED, self.phase, f"oversized response: {what}")

    def _tls_failure(self, exc: ssl.SSLError) -> TransportFailure:
        if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            return self._lost(exc, self.phase)
        why = tls_reasons.classify(exc, self.host, has_certificate=self.has_certificate)
        reason = f"TLS handshake failed: {why.words} [{tls_reasons.raw_text(exc)}]"
        return TransportFailure(why.kind, PHASE_TLS, reason)

    def _lost(self, exc: BaseException, phase: str) -> TransportFailure:
        """The peer closed or reset the connection mid-exchange."""
        reset = isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) in _RESETS
        how = "reset" if reset else "closed"
        if self.received == 0 and self.tls:
            return silent_close(self.url, how)
        if self.received == 0:
            return TransportFailure(
                RESET if how == "reset" else CLOSED,
                phase,
                f"connection {how} by {self.url} before any response",
            )
        what = _WHAT.get(phase, phase)
        reason = f"connection {how} by {self.url} in {what} ({self.received} bytes received)"
        return TransportFailure(RESET if how == "reset" else CLOSED, phase, reason)


class _Reader(io.RawIOBase):
    """The raw stream under http.client's buffered reader: every read goes through the wire."""

    def __init__(self, wire: DeadlineSocket) -> None:
        self._wire = wire

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._wire.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            self._wire.reader_closed()
        super().close()
