"""What crosses the wire: one request and what came back.

The transport's single ``send(request) -> Exchange`` seam produces these; the checks, the
failure formatter and the reports only read them.

A failed exchange carries three things: ``error``, one line a person can act on; ``error_kind``,
what went wrong, from the fixed vocabulary below; and ``error_phase``, where in the exchange it
went wrong. Code decides on the kind and the phase, never on the wording of ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---- error_kind: what went wrong (classified by exception type, errno, ssl verify_code or
# OpenSSL reason code, never by message text) ----------------------------------------------------
CONNECT_REFUSED = "connect-refused"  # nothing listens (ECONNREFUSED)
CONNECT_TIMEOUT = "connect-timeout"  # no TCP connection within the connect timeout
CONNECT_ERROR = "connect-error"  # another connect failure (unreachable network, ...)
UNRESOLVED = "unresolved"  # the host name does not resolve
RESET = "reset"  # reset by the peer, outside a completed TLS handshake
CLOSED = "closed"  # closed by the peer without any HTTP response, outside TLS
TLS_REFUSED = "tls-refused"  # the server failed the handshake with a certificate alert
TLS_CLOSED = "tls-closed"  # closed or reset after the server's TLS bytes, no HTTP response
TLS_ERROR = "tls-error"  # any other TLS failure: unknown CA, hostname, expired, not TLS...
DEADLINE = "deadline"  # the exchange did not complete in time (error_phase says where)
PROTOCOL = "protocol"  # not HTTP/1.1: bad status line, headers or chunked framing
TRUNCATED = "truncated"  # the body ended before its announced length
OVERSIZED = "oversized"  # status line, headers or body beyond the transport's limits
CREDENTIAL = "credential"  # our own CA bundle or client certificate cannot be used
NOT_SENT = "not-sent"  # the request itself cannot be put on the wire (crafted header)

ERROR_KINDS = (
    CONNECT_REFUSED, CONNECT_TIMEOUT, CONNECT_ERROR, UNRESOLVED, RESET, CLOSED, TLS_REFUSED,
    TLS_CLOSED, TLS_ERROR, DEADLINE, PROTOCOL, TRUNCATED, OVERSIZED, CREDENTIAL, NOT_SENT,
)  # fmt: skip

# ---- error_phase: where the exchange was when it went wrong ------------------------------------
PHASE_SETUP = "setup"  # before the wire: our certificates, CA bundle, the request itself
PHASE_CONNECT = "connect"
PHASE_TLS = "tls"
PHASE_SEND = "send"
PHASE_STATUS_LINE = "status-line"
PHASE_HEADERS = "headers"
PHASE_BODY = "body"
ERROR_PHASES = (
    PHASE_SETUP, PHASE_CONNECT, PHASE_TLS, PHASE_SEND, PHASE_STATUS_LINE, PHASE_HEADERS,
    PHASE_BODY,
)  # fmt: skip


@dataclass(frozen=True)
class OutgoingRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    method: str = "POST"
    operation: str | None = None  # None for raw messages that name no operation


@dataclass
class Exchange:
    request: OutgoingRequest
    status: int | None = None  # None when no HTTP response arrived
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    started_at: str = ""  # ISO 8601 wall-clock time the request left
    elapsed_s: float = 0.0
    error: str | None = None  # one-line transport failure (down, TLS, timeout, oversized...)
    error_kind: str | None = None  # one of ERROR_KINDS when ``error`` is set
    error_phase: str | None = None  # one of ERROR_PHASES when ``error`` is set

    @property
    def ok_transport(self) -> bool:
        return self.error is None and self.status is not None
