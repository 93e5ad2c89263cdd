"""Defects below the SOAP payload: the HTTP status and content type answers go out with, and
the two-way TLS checks of the client certificate."""

from __future__ import annotations

from conformance.reference.defects.defect import Defect, flags

DEFECTS = (
    Defect(
        "fault_with_http_200",
        "SOAP faults are sent with HTTP 200 instead of 500",
        flags(fault_http_status=200),
        failure_signature=("fault.http-status", "Expected: HTTP 500"),
    ),
    Defect(
        "business_with_http_500",
        "business answers (status) are sent with HTTP 500 instead of 200",
        flags(business_http_status=500),
        failure_signature=("http.answer-status", "Expected: HTTP 200"),
    ),
    Defect(
        "soap12_content_type",
        "answers are served as application/soap+xml (SOAP 1.2), not text/xml",
        flags(content_type="application/soap+xml; charset=utf-8"),
        failure_signature=("http.content-type", "SOAP 1.1 §6.1.1", "Expected: text/xml"),
    ),
    Defect(
        "client_cert_optional",
        "two-way TLS lets a client without certificate in",
        flags(require_client_cert=False),
        failure_signature=("tls.client-certificate-required",),
    ),
    Defect(
        "any_client_ca_accepted",
        "two-way TLS accepts a client certificate from any CA, self-signed ones too",
        flags(check_client_issuer=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "a certificate from an unknown CA",
        ),
    ),
    Defect(
        "client_cert_dates_not_checked",
        "two-way TLS accepts an expired or not yet valid client certificate",
        flags(check_client_dates=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "an expired certificate from the service's own CA",
        ),
    ),
    Defect(
        "client_cert_usage_not_checked",
        "two-way TLS accepts a client certificate without clientAuth extended key usage",
        flags(check_client_usage=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "without clientAuth usage from the service's own CA",
        ),
    ),
)
