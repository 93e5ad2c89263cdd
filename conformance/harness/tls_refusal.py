"""When an exchange counts as a refusal of two-way TLS (shared by every case that expects one).

Only a handshake attempted over ``https`` can be refused:

- ``tls-refused``: the handshake failed with a certificate alert: a refusal;
- ``tls-closed``: the server closed or reset the connection after its TLS bytes (after the whole
  handshake, under TLS 1.3), with no HTTP response at all: a refusal too, so TLS 1.2 and 1.3 are
  judged alike, but with a warning: RFC 8446 §4.4.2.4 asks for a ``certificate_required`` alert;
- anything else (a reset before any TLS byte, a plain-HTTP endpoint, an untrusted server
  certificate, an HTTP answer) is not a refusal, and the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.exchange import TLS_CLOSED, TLS_REFUSED, Exchange

SILENT_CLOSE_REF = "RFC 8446 §4.4.2.4"


@dataclass(frozen=True)
class TlsRefusal:
    refused: bool
    reason: str  # what the exchange was, in words
    warning: str | None = None  # set when refused without the alert TLS asks for


def judge(exchange: Exchange) -> TlsRefusal:
    """Whether ``exchange`` shows the endpoint refusing the client at the TLS layer."""
    if urlsplit(exchange.request.url).scheme != "https":
        return TlsRefusal(False, "not a TLS refusal: the endpoint is plain http (no TLS at all)")
    if exchange.status is not None:
        return TlsRefusal(False, f"not a TLS refusal: the endpoint answered HTTP {exchange.status}")
    if exchange.error_kind == TLS_REFUSED:
        return TlsRefusal(True, exchange.error or "TLS handshake refused")
    if exchange.error_kind == TLS_CLOSED:
        return TlsRefusal(
            True,
            exchange.error or "closed after the handshake",
            warning=(
                "a certificate_required alert before closing (RFC 8446 §4.4.2.4; TLS 1.2: "
                "a handshake_failure alert)"
            ),
        )
    return TlsRefusal(False, f"not a TLS refusal: {exchange.error or 'no HTTP response'}")
