"""The reference service's server-side TLS: one context built from the dev PKI and the policy.

Faithful: TLS 1.2 at least, a client certificate required and verified by OpenSSL against the
dev CA. OpenSSL's verification already refuses a certificate from another CA (or self-signed),
an expired or not yet valid one, and one whose extended key usage lacks clientAuth (a server
verifies its clients for the ``sslclient`` purpose): ``tests/test_reference_tls.py`` proves each.

A defect (``policy.py`` switches) weakens exactly one of these:

- ``require_client_cert`` off: ``CERT_OPTIONAL`` (a client without certificate gets in; one that
  shows a certificate still has it verified, as OpenSSL does);
- ``check_client_dates`` off: OpenSSL's own ``X509_V_FLAG_NO_CHECK_TIME`` verify flag;
- ``check_client_issuer`` / ``check_client_usage`` off: the standard library has no flag for
  these and no verify callback, so ``verify_override.py`` installs one through OpenSSL's
  ``SSL_CTX_set_verify`` (docs/client-certificates.md explains why). Defect mode only.
"""

from __future__ import annotations

import ssl

from conformance.reference.pki import DevPki
from conformance.reference.policy import Policy

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (x509_vfy.h); ssl.VerifyFlags does not name it.
NO_CHECK_TIME = 0x200000

# X509_V_ERR_* codes (x509_vfy.h) an issuer-blind service lets through: no trusted issuer.
UNTRUSTED_ISSUER_ERRORS = frozenset(
    {
        2,  # UNABLE_TO_GET_ISSUER_CERT
        18,  # DEPTH_ZERO_SELF_SIGNED_CERT
        19,  # SELF_SIGNED_CERT_IN_CHAIN
        20,  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        21,  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
        27,  # CERT_UNTRUSTED
    }
)
INVALID_PURPOSE_ERRORS = frozenset({26})  # INVALID_PURPOSE: no clientAuth usage


def server_context(pki: DevPki, policy: Policy) -> ssl.SSLContext:
    """The server context for ``pki`` with the client-certificate checks ``policy`` keeps."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    context.load_verify_locations(cafile=str(pki.ca_cert))
    context.verify_mode = ssl.CERT_REQUIRED if policy.require_client_cert else ssl.CERT_OPTIONAL
    if not policy.check_client_dates:
        context.verify_flags |= NO_CHECK_TIME  # an OpenSSL flag ssl.VerifyFlags does not name
    tolerated = frozenset[int]()
    if not policy.check_client_issuer:
        tolerated |= UNTRUSTED_ISSUER_ERRORS
    if not policy.check_client_usage:
        tolerated |= INVALID_PURPOSE_ERRORS
    if tolerated:
        from conformance.reference import verify_override  # defect mode only

        verify_override.tolerate(context, tolerated)
    return context
