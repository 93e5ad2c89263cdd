"""The reference service's two-way TLS: the server context, and the caller's organisation.

Everything about how the service verifies a client certificate is decided in
:func:`server_context`, from the dev PKI and the :class:`Policy` (a defect that weakens the
verification is a change of the policy, read here). The stack is the standard library's
``ssl`` under asyncio. Faithful: TLS 1.2 at least, a client certificate required and verified by
OpenSSL against the dev CA, which already refuses a certificate from another CA (or
self-signed), an expired or not yet valid one, and one whose extended key usage lacks
clientAuth (``sslclient`` purpose): ``tests/test_reference_tls.py`` proves each.

A defect (``policy.py`` switches) weakens exactly one of these:

- ``require_client_cert`` off: ``CERT_OPTIONAL`` (a client without certificate gets in; one that
  shows a certificate still has it verified, as OpenSSL does);
- ``check_client_dates`` off: OpenSSL's own ``X509_V_FLAG_NO_CHECK_TIME`` verify flag;
- ``check_client_issuer`` / ``check_client_usage`` off: the standard library has no flag for
  these and no verify callback, so ``verify_override.py`` installs one through OpenSSL's
  ``SSL_CTX_set_verify`` (docs/client-certificates.md explains why). Defect mode only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from asyncio import sslproto
from typing import TYPE_CHECKING

from conformance.reference.pki import DevPki
from conformance.reference.policy import Policy

if TYPE_CHECKING:
    from conformance.reference.connection import Connection

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


def peer_organisation(ssl_object: ssl.SSLObject | None) -> str | None:
    """The verified client certificate's subject O ("" for a certificate naming none), or None
    when the client sent no certificate. Read once per connection, not per request. (A certificate
    the context refused never reaches this point: the handshake fails. One a defect's verify
    override lets through counts as verified.)"""
    if ssl_object is None:
        return None
    verified = ssl_object.getpeercert()
    if not verified:
        return None
    for rdn in verified.get("subject", ()):
        for pair in rdn:
            if pair[0] == "organizationName":
                return str(pair[1])
    return ""


class AlertingTLS(sslproto.SSLProtocol):
    """asyncio's TLS layer, except that a failed handshake sends its alert before closing, and
    plain HTTP sent to the TLS port gets a readable 400.

    asyncio drops the alert OpenSSL wrote (``certificate_required``, ``unknown_ca``) and
    closes silently, so a refused client sees the connection end, not a TLS refusal (RFC 8446
    §4.4.2.4). This flushes the pending bytes first. A client pointed at ``http://`` on the
    TLS port would see the connection end too; as nginx does, it is told in plain HTTP (a TLS
    record starts with a byte that is not a letter, an HTTP method with a letter). Both lean
    on ``SSLProtocol`` internals (stable since Python 3.11's rewrite); if they change, the
    refusals are silent again, which tests/test_reference_server.py and
    tests/test_reference_http.py would show."""

    def __init__(self, app: Connection, context: ssl.SSLContext, handshake_s: float) -> None:
        super().__init__(
            asyncio.get_running_loop(),
            app,
            context,
            None,  # type: ignore[arg-type]  # no waiter: an unread failed one would be logged
            server_side=True,
            ssl_handshake_timeout=handshake_s,  # type: ignore[arg-type]  # a float works
        )
        self._connection = app
        # Told by the first byte; once plain HTTP was refused, what still comes is the
        # connection's (None: nothing arrived yet).
        self._plain: bool | None = None

    def buffer_updated(self, nbytes: int) -> None:
        data = self._ssl_buffer_view[:nbytes]  # type: ignore[attr-defined]  # SSLProtocol's
        if self._plain is None and nbytes:
            self._plain = bytes(data[:1]).isalpha()
            if self._plain:
                raw = self._transport  # the TCP transport
                assert isinstance(raw, asyncio.Transport)
                self._connection.refuse_plain_http(raw, bytes(data))
                return
        if self._plain:
            self._connection.data_received(bytes(data))  # it lingers: counted, discarded
            return
        super().buffer_updated(nbytes)

    def eof_received(self) -> None:
        if self._plain:
            self._connection.eof_received()  # the transport closes once the answer is out
            return
        super().eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._plain:  # SSLProtocol tells its app only after a handshake
            self._connection.connection_lost(exc if isinstance(exc, Exception) else None)
        super().connection_lost(exc)

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None:
            with contextlib.suppress(Exception):
                self._process_outgoing()  # type: ignore[attr-defined]  # the alert goes out
        super()._on_handshake_complete(handshake_exc)
