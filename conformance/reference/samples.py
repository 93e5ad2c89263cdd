"""Valid request messages for the reference service, built with lxml from dataset roles.

Used by the reference's own tests, the benchmark and anyone who wants a first request to
send by hand (``conformance serve`` prints where the PKI is; this module builds the body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from conformance import soap
from conformance.contract import EMPLOYMENT_INFOS, Contract, load_contract
from conformance.reference.dataset import Dataset


@dataclass(frozen=True)
class SampleRequest:
    body: bytes
    headers: dict[str, str]


def payload(
    operation: str,
    ssin: str,
    *,
    identification: Mapping[str, Any],
    legal_context: str,
    cards: bool = True,
    permits: bool = True,
    ticket: str | None = "sample-ticket",
    contract: Contract | None = None,
) -> etree._Element:
    """The ``<operation>Request`` element (TSS 5.2.1 / 5.3.1)."""
    contract = contract or load_contract()
    op = contract.operations[operation]
    root = etree.Element(
        etree.QName(contract.namespace, op.request), nsmap={"fs": contract.namespace}
    )
    customer = etree.SubElement(root, "informationCustomer")
    if ticket is not None:
        etree.SubElement(customer, "ticket").text = ticket
    ident = etree.SubElement(customer, "customerIdentification")
    for key in ("cbeNumber", "sector", "institution"):
        if key in identification:
            etree.SubElement(ident, key).text = str(identification[key])
    etree.SubElement(root, "legalContext").text = legal_context
    criteria = etree.SubElement(root, "criteria")
    etree.SubElement(criteria, "ssin").text = ssin
    if operation == EMPLOYMENT_INFOS:
        groups = etree.SubElement(criteria, "dataGroups")
        etree.SubElement(groups, "employmentCards").text = "true" if cards else "false"
        etree.SubElement(groups, "workPermits").text = "true" if permits else "false"
    return root


def request(
    operation: str,
    ssin: str,
    *,
    identification: Mapping[str, Any],
    legal_context: str,
    cards: bool = True,
    permits: bool = True,
    ticket: str | None = "sample-ticket",
    contract: Contract | None = None,
) -> SampleRequest:
    """A SOAP 1.1 request with the operation's SOAPAction and ``text/xml`` content type."""
    contract = contract or load_contract()
    element = payload(
        operation,
        ssin,
        identification=identification,
        legal_context=legal_context,
        cards=cards,
        permits=permits,
        ticket=ticket,
        contract=contract,
    )
    action = contract.operations[operation].soap_action
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return SampleRequest(soap.wrap(element), headers)


def for_roles(
    dataset: Dataset,
    operation: str,
    person: str,
    client: str = "onem",
    *,
    legal_context: str | None = None,
    **options: Any,
) -> SampleRequest:
    """:func:`request` for a person ROLE (or a literal NISS) sent as a client ROLE of
    ``dataset``, with the client's identification and legal context (unless overridden).
    ``options`` are :func:`request`'s: ``cards``, ``permits``, ``ticket``, ``contract``."""
    role = dataset.client_roles()[client]
    played = dataset.person_roles().get(person)
    ssin = played.ssin if played is not None else person
    if not ssin:
        raise ValueError(f"person role {person!r} has no NISS in the dataset")
    return request(
        operation,
        ssin,
        identification=role.customer_identification,
        legal_context=legal_context or role.legal_context,
        **options,
    )
