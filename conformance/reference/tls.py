"""The reference service's two-way TLS: the server context, and the caller's organisation.

Everything about how the service verifies a client certificate is decided in
:func:`server_context`, from the dev PKI and the :class:`Policy` (a defect that weakens the
verification is a change of the policy, read here). The stack is the standard library's
``ssl`` under asyncio: it has no per-certificate verify callback, so a weakening is expressed
with the context's own switches: ``verify_mode`` (``CERT_OPTIONAL``), the CAs it trusts, and
``verify_flags`` (OpenSSL's ``X509_V_FLAG_NO_CHECK_TIME``, 0x200000, is accepted there).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from asyncio import sslproto

from conformance.reference.pki import DevPki
from conformance.reference.policy import Policy


def server_context(pki: DevPki, policy: Policy) -> ssl.SSLContext:
    """The TLS context every worker of the service serves with."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    context.load_verify_locations(cafile=str(pki.ca_cert))
    context.verify_mode = ssl.CERT_REQUIRED if policy.require_client_cert else ssl.CERT_OPTIONAL
    return context


def peer_organisation(ssl_object: ssl.SSLObject | None) -> str | None:
    """The verified client certificate's subject O ("" for a certificate naming none), or None
    when the client sent no certificate. Read once per connection, not per request. (With the
    standard ``ssl``, a certificate the context did not verify never reaches this point: the
    handshake fails, or, with ``CERT_NONE``, none is asked for.)"""
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
    """asyncio's TLS layer, except that a failed handshake sends its alert before closing.

    asyncio drops the alert OpenSSL wrote (``certificate_required``, ``unknown_ca``) and
    closes silently, so a refused client sees the connection end, not a TLS refusal (RFC 8446
    §4.4.2.4). This flushes the pending bytes first. It leans on ``SSLProtocol`` internals
    (stable since Python 3.11's rewrite); if they change, the refusal is silent again, which
    tests/test_reference_server.py would show."""

    def __init__(self, app: asyncio.Protocol, context: ssl.SSLContext, handshake_s: float) -> None:
        super().__init__(
            asyncio.get_running_loop(),
            app,
            context,
            None,  # type: ignore[arg-type]  # no waiter: an unread failed one would be logged
            server_side=True,
            ssl_handshake_timeout=handshake_s,  # type: ignore[arg-type]  # a float works
        )

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None:
            with contextlib.suppress(Exception):
                self._process_outgoing()  # type: ignore[attr-defined]  # the alert goes out
        super()._on_handshake_complete(handshake_exc)
