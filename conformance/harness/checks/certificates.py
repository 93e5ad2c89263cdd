"""Two-way TLS with a certificate the service must not trust (TSS §4: "HTTPS 2ways TLS").

The case presents a certificate from an unknown CA, expired, not yet valid, self-signed or
without clientAuth usage (``harness/certs``); the handshake must be refused. When it is not,
the failure names the certificate (subject, issuer, validity, SHA-256) and what the service did.
"""

from __future__ import annotations

from conformance.exchange import Exchange
from conformance.harness.checks import TRANSPORT, CheckFailure, Observed
from conformance.harness.checks.status import reason_codes, status_of
from conformance.harness.expectation import Expectation
from conformance.harness.transport import CONNECTION_RESET

TITLE = "Two-way TLS (TSS §4): a client certificate the service must not trust is refused"
REFUSED, CLOSED, NOT_REFUSED = "tls-refused", "tls-closed", "not-refused"


def refusal(exchange: Exchange) -> str:
    """REFUSED (a TLS alert ended the handshake), CLOSED (the connection was dropped, no alert
    and no HTTP response) or NOT_REFUSED (an answer, or a failure that proves nothing, such as
    a server certificate our CA bundle does not trust)."""
    if exchange.status is not None:
        return NOT_REFUSED
    kind = getattr(exchange, "error_kind", None)  # the transport's classification, when it has one
    if kind in (REFUSED, CLOSED):
        return str(kind)
    error = (exchange.error or "").lower()
    if not error.startswith("tls handshake failed") and not error.startswith(CONNECTION_RESET):
        return NOT_REFUSED
    if "certificate_verify_failed" in error or "wrong_version_number" in error:
        return NOT_REFUSED  # our side refused the server: nothing said about the client
    if "alert" in error:
        return REFUSED
    if "eof occurred" in error or error.startswith(CONNECTION_RESET):
        return CLOSED
    return NOT_REFUSED


def check_refused_certificate(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    certificate = expectation.refused_certificate
    if certificate is None:
        return []
    exchange = observed.exchange
    verdict = refusal(exchange)
    expected = f"the TLS handshake refused for {certificate.what} ({certificate.facts.describe()})"
    if verdict == REFUSED:
        return []
    if verdict == CLOSED:
        return [
            CheckFailure(
                TITLE,
                f"a TLS alert refusing {certificate.what} (RFC 8446 §6.2)",
                f"the connection closed without an alert: {exchange.error}",
                TRANSPORT,
                warning=True,
            )
        ]
    return [CheckFailure(TITLE, expected, _instead(observed, certificate.what), TRANSPORT)]


def _instead(observed: Observed, what: str) -> str:
    exchange = observed.exchange
    if exchange.status is None:
        return f"no refusal: {exchange.error or 'no response'} (presenting {what})"
    status, fault = status_of(observed), observed.fault
    if status is not None:
        outcome = f" {status[1]}"
    elif fault is not None:
        outcome = f" SOAP fault {', '.join(reason_codes(observed)) or fault.faultcode}"
    else:
        outcome = ""
    return f"answered HTTP {exchange.status}{outcome} to {what}"
