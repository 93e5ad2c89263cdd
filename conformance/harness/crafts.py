"""The request a case sends: typed by the contract, or one of the crafted binding-level messages.

``craft:`` in a case names an entry of the table in :func:`build_request`; each crafted message
targets one gateway check (SOAP version, SOAPAction, path, well-formedness, XSD, client
certificate) and is faithful everywhere else.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from conformance.exchange import OutgoingRequest
from conformance.harness import given as given_block
from conformance.harness.cases import Case
from conformance.harness.client import RequestFactory
from conformance.harness.environment import ClientProfile, Environment

# Crafted binding errors (docs/decisions.md) target these; both are outside the service's contract.
WRONG_PATH = "/ForeignerSituationService/v1/unknown"
WRONG_SOAP_ACTION = "http://kszbcss.fgov.be/ForeignerSituationService/unknownOperation"


def build_request(
    case: Case, environment: Environment, factory: RequestFactory, draw: given_block.Draw
) -> OutgoingRequest:
    """The message ``case`` sends for ``draw``: typed, or bent as its ``craft:`` says."""
    client = environment.client(draw.client)
    ssin = draw.ssin or ""
    kwargs: dict[str, Any] = {
        "legal_context": case.request.get("legalContext"),
        "ticket": draw.ticket if draw.ticket is not None else own_ticket(),
        "timestamp_sent": draw.timestamp_sent,
    }
    if case.craft == "both_groups_false":
        return factory.no_data_groups(client, ssin, **kwargs)
    typed = factory.build(case.wire_operation, client, ssin, draw.data_groups, **kwargs)
    if case.craft is None:
        return typed
    crafts = {
        "soap12": lambda: factory.soap12(typed),
        "wrong_soap_action": lambda: factory.with_soap_action(typed, WRONG_SOAP_ACTION),
        "missing_soap_action": lambda: factory.with_soap_action(typed, None),
        "wrong_path": lambda: factory.with_path(typed, WRONG_PATH),
        "malformed_xml": lambda: factory.malformed(typed),
        "xsd_invalid": lambda: factory.xsd_invalid(typed),
        "no_client_cert": lambda: typed,  # the message is faithful; sender drops the certificate
    }
    return crafts[case.craft]()


def sender(case: Case, client: ClientProfile) -> ClientProfile:
    """The client as it connects: without any certificate for craft ``no_client_cert``
    (two-way TLS must refuse it, docs/decisions.md)."""
    if case.craft != "no_client_cert":
        return client
    return dataclasses.replace(client, cert=None, key=None, p12=None, p12_password_env=None)


def own_ticket() -> str:
    """A fresh client ticket (36 characters, the XSD maximum): TSS §8 asks the service desk
    for the BCSS ticket or else the client's own, and a request that got no answer has no
    BCSS ticket."""
    return "conformance-" + uuid.uuid4().hex[:24]
