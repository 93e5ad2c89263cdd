"""Response mutators for the deliberate defects (``defects/``): each bends one thing of the
built payload element (the response, or the fault's detail element) and does nothing when that
thing is absent, so a defect only shows on the requests that exercise it.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid

from lxml import etree

from conformance import tables
from conformance.contract import EMPLOYMENT_INFOS, SPECIAL_INFOS
from conformance.reference.policy import Mutator


def status_value(root: etree._Element) -> None:
    node = root.find("status/value")
    if node is not None:
        node.text = {"DATA_FOUND": "NO_DATA_FOUND"}.get(node.text or "", "DATA_FOUND")


def status_code(root: etree._Element) -> None:
    node = root.find("status/code")
    if node is not None and node.text:
        node.text = node.text[:-1] + str((int(node.text[-1]) + 1) % 10)


def refusal_in_band_with_technical_code(root: etree._Element) -> None:
    # A refusal reported in-band under a TSS 6.2 code: those travel only as SOAP faults.
    value, code = root.find("status/value"), root.find("status/code")
    if value is not None and code is not None and value.text == "NO_RESULT":
        code.text = next(iter(tables.technical_codes()))


def fault_with_business_code(root: etree._Element) -> None:
    # A fault whose reasonCode comes from the TSS 6.1 table, which is answered in-band.
    for reason in root.iterfind("detail/reasonCode"):
        reason.text = next(
            code for code, row in tables.business_codes().items() if row.value == "NO_RESULT"
        )


def status_description(root: etree._Element) -> None:
    node = root.find("status/description")
    if node is not None:
        others = [
            r.description for r in tables.business_codes().values() if r.description != node.text
        ]
        node.text = others[0]


def echo_customer(root: etree._Element) -> None:
    customer = root.find("informationCustomer")
    if customer is None:
        return
    ticket = customer.find("ticket")
    if ticket is None:
        ticket = etree.Element("ticket")
        customer.insert(0, ticket)
        ticket.text = "not-the-one-sent"
    else:
        ticket.text = ((ticket.text or "") + "-X")[-36:]


def echo_legal_context(root: etree._Element) -> None:
    node = root.find("legalContext")
    if node is not None:
        text = node.text or ""
        node.text = text.lower() if text.lower() != text else text + "X"


def echo_criteria(root: etree._Element) -> None:
    permits = root.find("criteria/dataGroups/workPermits")
    if permits is not None:
        permits.text = "false" if (permits.text or "").strip() in ("true", "1") else "true"
        return
    ssin = root.find("criteria/ssin")
    if ssin is not None and ssin.text and len(ssin.text) == 11:
        ssin.text = ssin.text[:9] + f"{(int(ssin.text[9:]) + 1) % 97:02d}"


def ticket_not_uuid(root: etree._Element) -> None:
    node = root.find("informationCBSS/ticketCBSS")
    if node is not None:
        node.text = "CBSS" + uuid.uuid4().hex[:24]


def timestamps_reversed(root: etree._Element) -> None:
    received, replied = (
        root.find("informationCBSS/timestampReceive"),
        root.find("informationCBSS/timestampReply"),
    )
    if received is not None and replied is not None:
        later = dt.datetime.fromisoformat(replied.text or "") + dt.timedelta(seconds=1)
        received.text = later.isoformat(timespec="microseconds")


def month_13(root: etree._Element) -> None:
    node = next(iter(root.iterfind("result//inceptionDate")), None)
    if node is not None and node.text and len(node.text) == 10:
        node.text = node.text[:5] + "13" + node.text[7:]  # still 10 characters


def unknown_element(root: etree._Element) -> None:
    etree.SubElement(root, "processingNode").text = "ref-01"


def wrong_order(root: etree._Element) -> None:
    legal = root.find("legalContext")
    cbss = root.find("informationCBSS")
    if legal is not None and cbss is not None:
        cbss.addprevious(legal)  # legalContext before informationCBSS


def first_card_only(root: etree._Element) -> None:
    cards = root.find("result/employmentCards")
    if cards is not None:
        for extra in cards.findall("employmentCard")[1:]:
            cards.remove(extra)


def duplicate_records(root: etree._Element) -> None:
    """Every employment card and work permit listed twice (a merge or gateway bug)."""
    for record in [*root.iterfind("result/employmentCards/employmentCard"),
                   *root.iterfind("result/workPermits/workPermit")]:  # fmt: skip
        record.addnext(copy.deepcopy(record))


def reason_of_stay_7_digits(root: etree._Element) -> None:
    for node in root.iterfind("result/specialInfos/specialInfo/*/code"):
        node.text = (node.text or "").strip()[:7]


def result_dropped(root: etree._Element) -> None:
    result = root.find("result")
    if result is not None and root.findtext("status/value") == "DATA_FOUND":
        root.remove(result)


_OTHER_OPERATION = {EMPLOYMENT_INFOS: SPECIAL_INFOS}
_OTHER_OPERATION |= {v: k for k, v in _OTHER_OPERATION.items()}


def other_operation(suffix: str) -> Mutator:
    """Renames ``<op><suffix>`` to the other operation's element, namespace kept."""

    def mutate(root: etree._Element) -> None:
        qname = etree.QName(root)
        operation = qname.localname.removesuffix(suffix)
        if qname.localname.endswith(suffix) and operation in _OTHER_OPERATION:
            root.tag = etree.QName(qname.namespace, _OTHER_OPERATION[operation] + suffix).text

    return mutate


def root_unqualified(root: etree._Element) -> None:
    root.tag = etree.QName(root).localname
    etree.cleanup_namespaces(root)


def root_wrong_namespace(root: etree._Element) -> None:
    qname = etree.QName(root)
    if qname.namespace:
        root.tag = etree.QName(qname.namespace.replace("/v1", "/v2"), qname.localname).text
