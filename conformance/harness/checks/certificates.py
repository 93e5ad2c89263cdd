"""Two-way TLS with a certificate the service must not trust (TSS §4: "HTTPS 2ways TLS").

The case presents a certificate from an unknown CA, expired, not yet valid, self-signed or
without clientAuth usage (``harness/certs``); the handshake must be refused, as judged for every
TLS refusal (``harness/tls_refusal.py``: an alert passes, a silent close passes with a warning).
When it is not refused, the failure names the certificate (subject, issuer, validity, SHA-256)
and what the service did instead.
"""

from __future__ import annotations

from conformance.harness import tls_refusal
from conformance.harness.checks import TRANSPORT, CheckFailure, Observed
from conformance.harness.checks.status import reason_codes, status_of
from conformance.harness.expectation import Expectation

TITLE = "Two-way TLS: a client certificate the service must not trust is refused"


def check_refused_certificate(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    certificate = expectation.refused_certificate
    if certificate is None:
        return []
    verdict = tls_refusal.judge(observed.exchange)
    if not verdict.refused:
        expected = (
            f"the TLS handshake refused for {certificate.what} ({certificate.facts.describe()})"
        )
        received = _instead(observed, certificate.what, verdict)
        return [
            CheckFailure(
                TITLE, expected, received, TRANSPORT, rule="tls.untrusted-certificate-refused"
            )
        ]
    if verdict.warning is None:
        return []
    return [
        CheckFailure(
            "TLS refusal without an alert",
            verdict.warning,
            f"{verdict.reason} (presenting {certificate.what})",
            TRANSPORT,
            warning=True,
            rule="tls.refusal-alert",
        )
    ]


def _instead(observed: Observed, what: str, verdict: tls_refusal.TlsRefusal) -> str:
    status = observed.exchange.status
    if status is None:
        return f"{verdict.reason} (presenting {what})"
    row, fault = status_of(observed), observed.fault
    if row is not None:
        outcome = f" {row[1]}"
    elif fault is not None:
        outcome = f" SOAP fault {', '.join(reason_codes(observed)) or fault.faultcode}"
    else:
        outcome = ""
    return f"answered HTTP {status}{outcome} to {what}"
