"""The business part of the TSS §3.3 processing chain, for a request that passed XSD validation.

Order (TSS §3.3, with our decision for the credential checks the TSS leaves unplaced):

0. structure left to the XSD: both ``dataGroups`` false asks for nothing -> MSG00004 (decision
   both-groups-false);
1. credential control -> MSG00014 (certificate organisation is not ``customerIdentification``),
   MSG00013 (legal context not allowed for this operation), REG00101 (a requested data group
   not allowed). Decision: these run *before* the NISS control, so a client without the right
   to ask learns nothing about a NISS (MSG00005 vs MSG00012 would otherwise be an oracle);
2. NISS control (§3.3.3) -> MSG00011 structure, REG00004 BIS, MSG00005 unknown, MSG00007
   canceled; a replaced NISS is followed to the final one (decision replaced-indication);
3. integration control (§3.3.4) on the final NISS -> MSG00012;
4. data lookup -> MSG00002 / MSG00003 for the persons that simulate them, MSG00100 when the
   requested groups hold nothing, else MSG00000.

Security logging (§3.3.2) is the audit log, written by the application for every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from conformance import niss
from conformance.contract import EMPLOYMENT_INFOS
from conformance.reference.dataset import Dataset, Organisation, Record
from conformance.reference.policy import Policy

EMPLOYMENT_GROUPS = ("employmentCards", "workPermits")
_SPECIAL_GROUPS = ("specialInfos",)
_RECORDS = {
    "employmentCards": "employment_cards",
    "workPermits": "work_permits",
    "specialInfos": "special_infos",
}
_MAX_REPLACEMENTS = 10  # a replacement chain longer than this is a dataset loop


@dataclass(frozen=True)
class Verdict:
    """The chain's answer: a TSS code (business or technical) and what the response needs."""

    code: str
    diagnostic: str = ""
    # The final NISS, for the response's <ssin>: only once data were looked up, so a refused
    # client never learns the NISS that replaced the one it asked for.
    ssin: str | None = None
    replaced_ssin: str | None = None  # the requested NISS when it was replaced
    groups: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)


@dataclass
class Call:
    """One validated request, as the chain sees it."""

    operation: str
    payload: etree._Element
    client: Organisation  # who calls: the certificate's organisation, or the identified one
    certificate_org: Organisation | None  # None without TLS: MSG00014 cannot arise

    @property
    def ssin(self) -> str:
        return text_at(self.payload, "criteria", "ssin").strip()

    @property
    def legal_context(self) -> str:
        return text_at(self.payload, "legalContext")

    def requested_groups(self) -> tuple[str, ...]:
        if self.operation != EMPLOYMENT_INFOS:
            return _SPECIAL_GROUPS
        flags = child_at(self.payload, "criteria", "dataGroups")
        if flags is None:
            return ()
        return tuple(g for g in EMPLOYMENT_GROUPS if text_at(flags, g).strip() in ("true", "1"))


# A valid request holds each block once, as an unqualified child: the first child of each name
# is the block, and walking children costs a fraction of an ElementPath ``find`` on the hot
# path. (On an invalid request, read for its fault and audit line, it is the first of each.)
def child_at(element: etree._Element | None, *names: str) -> etree._Element | None:
    """The first child named ``names[0]``, then its first child named ``names[1]``, ..."""
    for name in names:
        if element is None:
            return None
        element = next(element.iterchildren(name), None)
    return element


def text_at(element: etree._Element, *names: str) -> str:
    found = child_at(element, *names)
    return (found.text or "") if found is not None else ""


def identification_of(payload: etree._Element) -> dict[str, str]:
    """``customerIdentification`` as a dict ({} when absent)."""
    node = child_at(payload, "informationCustomer", "customerIdentification")
    if node is None:
        return {}
    return {
        str(c.tag).rpartition("}")[2]: (c.text or "").strip()
        for c in node.iterchildren(etree.Element)
    }


def process(call: Call, dataset: Dataset, policy: Policy) -> Verdict:
    verdict = _process(call, dataset, policy)
    code = policy.substitute(verdict.code)
    if code == verdict.code:
        return verdict
    return Verdict(code, verdict.diagnostic, verdict.ssin, verdict.replaced_ssin, verdict.groups)


def _process(call: Call, dataset: Dataset, policy: Policy) -> Verdict:
    groups = call.requested_groups()
    if not groups and policy.refuse_no_groups:
        return Verdict("MSG00004", "dataGroups: both groups are false, nothing is asked for")
    if not groups:  # the reading a service the TSS permits may have: no data asked, none found
        return Verdict("MSG00100", "dataGroups: both groups are false, no data")
    refused = _credential_control(call, groups, policy)
    if refused:
        return refused
    found = _niss_control(call.ssin, dataset, policy)
    if isinstance(found, Verdict):
        return found
    person, replaced = found
    if policy.check_integration and not _integrated(call.client, person.ssin, dataset):
        return Verdict("MSG00012", f"NISS not integrated for {call.client.id}")
    return _lookup(call, person, replaced, groups, policy)


def _credential_control(call: Call, groups: tuple[str, ...], policy: Policy) -> Verdict | None:
    client = call.client
    if call.certificate_org is not None and not client.identified_by(
        identification_of(call.payload)
    ):
        return Verdict("MSG00014", f"the certificate belongs to {client.id}")
    allowed = client.legal_contexts.get(call.operation, frozenset())
    if policy.check_legal_context and call.legal_context not in allowed:
        return Verdict("MSG00013", f"legal context {call.legal_context!r} not allowed")
    missing = [g for g in groups if g not in client.data_groups]
    if missing:
        return Verdict("REG00101", f"data group {missing[0]} not allowed for {client.id}")
    return None


def _niss_control(
    ssin: str, dataset: Dataset, policy: Policy
) -> Verdict | tuple[Record, str | None]:
    """The person to answer for and the replaced NISS (TSS §3.3.3), or a refusal."""
    try:
        bis = niss.is_bis(ssin)
    except niss.InvalidNiss as exc:
        # A day the pattern admits (00-31) that its month has not: refused by decision only.
        impossible_day = exc.rule == "day" and int(ssin[4:6]) <= 31
        if (policy.check_checksum or exc.rule != "checksum") and (
            policy.refuse_impossible_day or not impossible_day
        ):
            return Verdict("MSG00011", f"NISS {exc.rule}: {exc.reason}")
        bis = False
    if bis and policy.refuse_bis:
        return Verdict("REG00004", "a BIS number cannot be consulted")
    person = dataset.persons.get(ssin)
    if person is None:
        return Verdict("MSG00005", "NISS unknown to the register")
    replaced = None
    for _ in range(_MAX_REPLACEMENTS):
        if person.status != "replaced" or not policy.follow_replaced or not person.replaced_by:
            break
        replaced = ssin
        person = dataset.persons[person.replaced_by]
    if person.status == "canceled":
        return Verdict("MSG00007", "NISS canceled")
    return person, replaced


def _integrated(client: Organisation, ssin: str, dataset: Dataset) -> bool:
    rule = client.integration
    return any(
        (rule.quality_codes is None or row.quality_code in rule.quality_codes)
        and (row.dossier_active or not rule.active_dossier_required)
        for row in dataset.integrations_of(client.id, ssin)
    )


def _lookup(
    call: Call, person: Record, replaced: str | None, groups: tuple[str, ...], policy: Policy
) -> Verdict:
    if person.simulate == "supplier_failure":
        return Verdict("MSG00002", "simulated: the National Register did not answer")
    if person.simulate == "internal_error":
        return Verdict("MSG00003", "simulated internal error")
    if not policy.honour_data_groups and call.operation == EMPLOYMENT_INFOS:
        groups = EMPLOYMENT_GROUPS
    found = {g: getattr(person, _RECORDS[g]) for g in groups}
    code = "MSG00000" if any(found.values()) else "MSG00100"
    return Verdict(code, "", person.ssin, replaced, found if code == "MSG00000" else {})
