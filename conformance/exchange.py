"""What crosses the wire: one request and what came back.

The transport's single ``send(request) -> Exchange`` seam produces these; the checks, the
failure formatter and the reports only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

    @property
    def ok_transport(self) -> bool:
        return self.error is None and self.status is not None
