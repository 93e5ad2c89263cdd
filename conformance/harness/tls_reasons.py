"""TLS failures in plain words, then OpenSSL's own text.

Classified by exception type, ``SSLCertVerificationError.verify_code`` and the OpenSSL reason
code of ``SSLError.reason`` (a stable identifier such as ``TLSV1_ALERT_UNKNOWN_CA``), never by
the wording of the message: OpenSSL rewords its messages between versions.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from conformance.exchange import TLS_ERROR, TLS_REFUSED

# X509_V_ERR_* codes (openssl/x509_vfy.h) of a server certificate the CA bundle cannot vouch for.
_UNKNOWN_CA = {2, 18, 19, 20, 21}
_EXPIRED, _NOT_YET_VALID = 10, 9
_NAME_MISMATCH = {62, 63, 64}  # host name, e-mail, IP address

# Alerts a server sends when it will not take the client's certificate (or the lack of one):
# these, and only these, make a refusal of two-way TLS.
_CERTIFICATE_ALERTS = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "certificate_required",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "handshake_failure",
    "SSLV3_ALERT_BAD_CERTIFICATE": "bad_certificate",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "certificate_unknown",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "unsupported_certificate",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "certificate_expired",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "certificate_revoked",
    "TLSV1_ALERT_UNKNOWN_CA": "unknown_ca",
    "TLSV1_ALERT_ACCESS_DENIED": "access_denied",
}
# What OpenSSL reports when the first bytes back are not a TLS record (an HTTP server, say).
_NOT_TLS = {
    "WRONG_VERSION_NUMBER",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
    "UNKNOWN_PROTOCOL",
    "HTTP_REQUEST",
    "HTTPS_PROXY_REQUEST",
}
_NO_COMMON_VERSION = {
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "UNSUPPORTED_PROTOCOL",
    "NO_PROTOCOLS_AVAILABLE",
    "VERSION_TOO_LOW",
}


@dataclass(frozen=True)
class TlsReason:
    kind: str  # TLS_REFUSED or TLS_ERROR
    words: str  # the plain-words part of the reason


def classify(exc: ssl.SSLError, host: str, *, has_certificate: bool) -> TlsReason:
    """What ``exc`` (raised by the handshake, or by the first read under TLS 1.3) means."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsReason(TLS_ERROR, _server_certificate(exc.verify_code, host))
    code = str(getattr(exc, "reason", None) or "")
    alert = _CERTIFICATE_ALERTS.get(code)
    if alert is not None:
        if has_certificate:
            words = f"the server rejected the client certificate (alert {alert})"
        else:
            words = f"the server demands a client certificate (alert {alert}), none was sent"
        return TlsReason(TLS_REFUSED, words)
    if code in _NOT_TLS:
        return TlsReason(TLS_ERROR, "the server does not speak TLS (plain HTTP on this port?)")
    if code in _NO_COMMON_VERSION:
        return TlsReason(TLS_ERROR, "the server and the harness share no TLS version")
    if "ALERT" in code:  # another alert the server sent: name it, it is not about certificates
        return TlsReason(TLS_ERROR, f"the server ended the handshake (alert {code.lower()})")
    return TlsReason(TLS_ERROR, "the TLS handshake failed")


def _server_certificate(verify_code: int, host: str) -> str:
    if verify_code in _UNKNOWN_CA:
        return "the server's certificate is not signed by a CA of the CA bundle (unknown CA)"
    if verify_code == _EXPIRED:
        return "the server's certificate has expired"
    if verify_code == _NOT_YET_VALID:
        return "the server's certificate is not valid yet"
    if verify_code in _NAME_MISMATCH:
        return f"the server's certificate is not issued for {host} (hostname mismatch)"
    return "the server's certificate was not accepted"


def raw_text(exc: BaseException) -> str:
    """OpenSSL's own first line, kept after the plain words for whoever must dig deeper."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
