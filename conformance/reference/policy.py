"""The reference service's behaviour as one immutable value: which checks run, and how.

The faithful service uses :data:`FAITHFUL`. A deliberate defect (``defects/``) is a
``dataclasses.replace`` of it: it flips a flag, drops or swaps a processing step, substitutes a
return code or adds a response mutator. The application reads the policy and never asks which
defect is active, so every deviation stays a small override in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

# Changes a built payload element (the response, or the fault's detail element) in place.
Mutator = Callable[[etree._Element], None]


@dataclass(frozen=True)
class Policy:
    # Binding checks (decision binding-errors).
    check_path: bool = True  # MSG00052
    check_soap_version: bool = True  # MSG00053
    check_soap_action: bool = True  # MSG00051
    # No SOAPAction at all is MSG00051 too (decision missing-soapaction); False: dispatched by
    # the body element, as a service the TSS permits may do.
    refuse_missing_soap_action: bool = True
    refuse_no_groups: bool = True  # both dataGroups false: MSG00004 (decision both-groups-false)
    refuse_impossible_day: bool = True  # 30 February: MSG00011 (decision impossible-day)
    # NISS control (TSS §3.3.3).
    check_checksum: bool = True  # MSG00011 for a pattern-valid number with a wrong checksum
    refuse_bis: bool = True  # REG00004
    follow_replaced: bool = True  # use the final NISS
    indicate_replaced: bool = True  # status/information replacedSsin (decision replaced-indication)
    # Credential and integration controls (TSS §3.3.4).
    check_legal_context: bool = True  # MSG00013
    check_integration: bool = True  # MSG00012
    honour_data_groups: bool = True  # result holds only the requested groups
    # Transport.
    require_client_cert: bool = True  # two-way TLS: no certificate, no handshake
    # What the handshake verifies of a client certificate (reference/tls.py).
    check_client_issuer: bool = True  # chain to the trusted CA (else any CA, self-signed too)
    check_client_dates: bool = True  # notBefore / notAfter
    check_client_usage: bool = True  # extended key usage clientAuth (OpenSSL purpose sslclient)
    # Shape of what goes out.
    code_substitutions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    fault_http_status: int = 500
    business_http_status: int = 200
    content_type: str | None = None  # None: text/xml (SOAP 1.1)
    swap_faultcode: bool = False  # Client <-> Server
    mutators: tuple[Mutator, ...] = ()

    def substitute(self, code: str) -> str:
        return self.code_substitutions.get(code, code)


FAITHFUL = Policy()
