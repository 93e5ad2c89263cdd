"""Deliberate deviations from the TSS, one at a time, to prove the harness catches each.

Each :class:`Defect` is a named, one-line-described override of the faithful
:class:`~conformance.reference.policy.Policy`: it flips a flag, substitutes a return code,
changes how answers go out, or adds a mutator (``mutators.py``) that bends the built payload. The
application never asks which defect is active. Inject with ``start_in_thread(defect=NAME)`` or
``conformance serve --defect NAME``; list with ``conformance serve --list-defects``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

from conformance.harness import rules
from conformance.reference import mutators
from conformance.reference.policy import FAITHFUL, Mutator, Policy


@dataclass(frozen=True)
class Defect:
    name: str
    description: str
    apply: Callable[[Policy], Policy]
    # What a harness failure must say for this defect to count as caught for the right reason
    # (``conformance selfcheck``): the rule id broken (data/rules.yaml), then fragments that
    # all appear in that failure (title, authority, Expected, Received) of one failed case.
    failure_signature: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.failure_signature:
            rules.rule(self.failure_signature[0])  # a signature names a known rule id first


def _flags(**changes: object) -> Callable[[Policy], Policy]:
    return lambda policy: replace(policy, **changes)  # type: ignore[arg-type]


def _substitute(code: str, wrong: str) -> Callable[[Policy], Policy]:
    def apply(policy: Policy) -> Policy:
        merged = {**policy.code_substitutions, code: wrong}
        return replace(policy, code_substitutions=MappingProxyType(merged))

    return apply


def _mutate(mutator: Mutator) -> Callable[[Policy], Policy]:
    return lambda policy: replace(policy, mutators=(*policy.mutators, mutator))


_ALL = (
    Defect(
        "bis_accepted",
        "BIS numbers are not refused (REG00004 never sent)",
        _flags(refuse_bis=False),
        failure_signature=("status.code", "TSS 6.1 REG00004"),
    ),
    Defect(
        "checksum_not_checked",
        "NISS check digits are not verified (MSG00011 never sent for a bad checksum)",
        _flags(check_checksum=False),
        failure_signature=("status.code", "TSS 6.1 MSG00011"),
    ),
    Defect(
        "integration_skipped",
        "the integration control is skipped (no MSG00012)",
        _flags(check_integration=False),
        failure_signature=("status.code", "TSS 6.1 MSG00012"),
    ),
    Defect(
        "legal_context_not_checked",
        "any legal context is accepted (no MSG00013)",
        _flags(check_legal_context=False),
        failure_signature=("status.code", "TSS 6.1 MSG00013"),
    ),
    Defect(
        "canceled_as_unknown",
        "a canceled NISS is answered MSG00005 instead of MSG00007",
        _substitute("MSG00007", "MSG00005"),
        failure_signature=("status.code", "TSS 6.1 MSG00007"),
    ),
    Defect(
        "status_value_mismatch",
        "status/value does not match status/code",
        _mutate(mutators.status_value),
        failure_signature=("status.value", "TSS 6.1 MSG00000", "Expected: status/value"),
    ),
    Defect(
        "status_code_mismatch",
        "status/code is not the TSS code of the outcome",
        _mutate(mutators.status_code),
        failure_signature=("status.known-code", "not in the Business nor the Technique table"),
    ),
    Defect(
        "refusal_with_technical_code_in_band",
        "a NO_RESULT status carries a TSS 6.2 code instead of a TSS 6.1 one",
        _mutate(mutators.refusal_in_band_with_technical_code),
        failure_signature=("status.technical-as-fault", "a technical code is a SOAP fault"),
    ),
    Defect(
        "fault_with_business_code",
        "SOAP faults carry a TSS 6.1 (business) reasonCode",
        _mutate(mutators.fault_with_business_code),
        failure_signature=("fault.business-in-band", "a business code is an in-band status"),
    ),
    Defect(
        "status_description_mismatch",
        "status/description is another code's text",
        _mutate(mutators.status_description),
        failure_signature=("status.description", "TSS 6.1"),
    ),
    Defect(
        "echo_information_customer",
        "informationCustomer is not echoed exactly (ticket)",
        _mutate(mutators.echo_customer),
        failure_signature=("echo.informationCustomer",),
    ),
    Defect(
        "echo_legal_context",
        "legalContext is not echoed exactly",
        _mutate(mutators.echo_legal_context),
        failure_signature=("echo.legalContext",),
    ),
    Defect(
        "echo_criteria",
        "criteria is not echoed exactly",
        _mutate(mutators.echo_criteria),
        failure_signature=("echo.criteria",),
    ),
    Defect(
        "ticket_not_uuid",
        "informationCBSS/ticketCBSS is not a UUID",
        _mutate(mutators.ticket_not_uuid),
        failure_signature=("cbss.ticket", "a UUID 8-4-4-4-12"),
    ),
    Defect(
        "timestamps_reversed",
        "timestampReceive is after timestampReply",
        _mutate(mutators.timestamps_reversed),
        failure_signature=("cbss.timestamp-order", "timestampReceive <= timestampReply"),
    ),
    Defect(
        "fault_with_http_200",
        "SOAP faults are sent with HTTP 200 instead of 500",
        _flags(fault_http_status=200),
        failure_signature=("fault.http-status", "Expected: HTTP 500"),
    ),
    Defect(
        "business_with_http_500",
        "business answers (status) are sent with HTTP 500 instead of 200",
        _flags(business_http_status=500),
        failure_signature=("http.answer-status", "Expected: HTTP 200"),
    ),
    Defect(
        "soap12_content_type",
        "answers are served as application/soap+xml (SOAP 1.2), not text/xml",
        _flags(content_type="application/soap+xml; charset=utf-8"),
        failure_signature=("http.content-type", "SOAP 1.1 §6.1.1", "Expected: text/xml"),
    ),
    Defect(
        "faultcode_swapped",
        "faultcode is Server where the TSS says Client, and vice versa",
        _flags(swap_faultcode=True),
        failure_signature=("fault.faultcode", "TSS 6.2"),
    ),
    Defect(
        "soap12_accepted",
        "SOAP 1.2 envelopes and application/soap+xml are processed",
        _flags(check_soap_version=False),
        failure_signature=(
            "status.code",
            "TSS 6.2 MSG00053",
            "Expected: SOAP fault reasonCode MSG00053",
        ),
    ),
    Defect(
        "soap_action_ignored",
        "a missing or unknown SOAPAction is accepted (no MSG00051)",
        _flags(check_soap_action=False),
        failure_signature=("status.code", "TSS 6.2 MSG00051"),
    ),
    Defect(
        "wrong_path_accepted",
        "any URL path is served (no MSG00052)",
        _flags(check_path=False),
        failure_signature=("status.code", "TSS 6.2 MSG00052"),
    ),
    Defect(
        "data_groups_ignored",
        "both employment groups are returned whatever was asked",
        _flags(honour_data_groups=False),
        failure_signature=("result.groups",),
    ),
    Defect(
        "replaced_not_followed",
        "a replaced NISS is answered for itself, not the final NISS",
        _flags(follow_replaced=False),
        failure_signature=("ssin.final",),
    ),
    Defect(
        "replaced_without_indication",
        "a replaced NISS is followed but status/information replacedSsin is missing",
        _flags(indicate_replaced=False),
        failure_signature=("ssin.replaced-indication", "decision replaced-indication"),
    ),
    Defect(
        "date_month_13",
        "an incomplete date in the result has month 13 (still 10 characters)",
        _mutate(mutators.month_13),
        failure_signature=("dates.form", "month 13"),
    ),
    Defect(
        "unknown_element",
        "the response root ends with an element the XSD does not know",
        _mutate(mutators.unknown_element),
        failure_signature=("schema.valid", "'processingNode'"),
    ),
    Defect(
        "wrong_element_order",
        "legalContext comes before informationCBSS",
        _mutate(mutators.wrong_order),
        failure_signature=("schema.valid", "'legalContext'", "'informationCBSS' expected"),
    ),
    Defect(
        "root_unqualified",
        "the payload root element has no namespace",
        _mutate(mutators.root_unqualified),
        failure_signature=("schema.element", "global element of", "Received: consult"),
    ),
    Defect(
        "root_wrong_namespace",
        "the payload root element is in the v2 namespace",
        _mutate(mutators.root_wrong_namespace),
        failure_signature=("schema.element", "global element of", "ForeignerSituation/v2}"),
    ),
    Defect(
        "result_dropped",
        "a DATA_FOUND answer carries no result",
        _mutate(mutators.result_dropped),
        failure_signature=("result.present", "Received: result absent"),
    ),
    Defect(
        "response_other_operation",
        "the business answer is the other operation's response element",
        _mutate(mutators.other_operation("Response")),
        failure_signature=("operation.response",),
    ),
    Defect(
        "fault_detail_other_operation",
        "a fault's detail holds the other operation's fault element",
        _mutate(mutators.other_operation("Fault")),
        failure_signature=("fault.detail", "Expected: detail/"),
    ),
    Defect(
        "first_card_only",
        "of several employment cards only the first is returned",
        _mutate(mutators.first_card_only),
        failure_signature=(
            "case.assertion",
            "Assertion count on result/employmentCards/employmentCard",
        ),
    ),
    Defect(
        "duplicate_records",
        "every employment card and work permit is listed twice (same number, same dates)",
        _mutate(mutators.duplicate_records),
        failure_signature=("records.duplicate", "decision duplicate-records"),
    ),
    Defect(
        "reason_of_stay_7_digits",
        "reason-of-stay codes lose their last digit (7 digits, not the 8-digit CTMS code)",
        _mutate(mutators.reason_of_stay_7_digits),
        failure_signature=("reasons.form", "an 8-digit CTMS code"),
    ),
    Defect(
        "client_cert_optional",
        "two-way TLS lets a client without certificate in",
        _flags(require_client_cert=False),
        failure_signature=("tls.client-certificate-required",),
    ),
    Defect(
        "any_client_ca_accepted",
        "two-way TLS accepts a client certificate from any CA, self-signed ones too",
        _flags(check_client_issuer=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "a certificate from an unknown CA",
        ),
    ),
    Defect(
        "client_cert_dates_not_checked",
        "two-way TLS accepts an expired or not yet valid client certificate",
        _flags(check_client_dates=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "an expired certificate from the service's own CA",
        ),
    ),
    Defect(
        "client_cert_usage_not_checked",
        "two-way TLS accepts a client certificate without clientAuth extended key usage",
        _flags(check_client_usage=False),
        failure_signature=(
            "tls.untrusted-certificate-refused",
            "the TLS handshake refused for",
            "without clientAuth usage from the service's own CA",
        ),
    ),
    Defect(
        "supplier_failure_as_internal",
        "a failing supplier is reported MSG00003, not MSG00002",
        _substitute("MSG00002", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00002"),
    ),
    Defect(
        "internal_error_as_supplier",
        "an internal error is reported MSG00002 (supplier), not MSG00003",
        _substitute("MSG00003", "MSG00002"),
        failure_signature=("status.code", "TSS 6.2 MSG00003"),
    ),
    Defect(
        "identity_mismatch_as_not_allowed",
        "a certificate that is not the customerIdentification's gets MSG00013, not MSG00014",
        _substitute("MSG00014", "MSG00013"),
        failure_signature=("status.code", "TSS 6.1 MSG00014"),
    ),
    Defect(
        "group_refusal_as_not_allowed",
        "a data group the client may not see gets MSG00013, not REG00101",
        _substitute("REG00101", "MSG00013"),
        failure_signature=("status.code", "TSS 6.1 REG00101"),
    ),
    Defect(
        "no_data_as_unknown",
        "a known NISS without data is answered MSG00005 (unknown), not MSG00100",
        _substitute("MSG00100", "MSG00005"),
        failure_signature=("status.code", "TSS 6.1 MSG00100"),
    ),
    Defect(
        "invalid_request_as_internal",
        "a malformed or XSD-invalid request is answered MSG00003 (internal error), not MSG00004",
        _substitute("MSG00004", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00004"),
    ),
    Defect(
        "aaa_refusal_as_internal",
        "an organisation without right to the service gets MSG00003, not MSG00015",
        _substitute("MSG00015", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00015"),
    ),
    Defect(
        "unknown_as_no_data",
        "an unknown NISS is answered MSG00100 (no data) instead of MSG00005",
        _substitute("MSG00005", "MSG00100"),
        failure_signature=("status.code", "TSS 6.1 MSG00005"),
    ),
)

# Choices the TSS permits (issue 9): against the reference our decisions are enforced, so each
# is a defect the self-check must kill; elsewhere the same behaviour is a deviation.
_DECISIONS = (
    Defect(
        "no_groups_as_no_data",
        "both dataGroups false is answered NO_DATA_FOUND/MSG00100, not the fault MSG00004",
        _flags(refuse_no_groups=False),
        failure_signature=("status.code", "decision both-groups-false"),
    ),
    Defect(
        "impossible_day_accepted",
        "a NISS whose day does not exist in its month is looked up (MSG00005), not MSG00011",
        _flags(refuse_impossible_day=False),
        failure_signature=("status.code", "decision impossible-day"),
    ),
    Defect(
        "missing_soap_action_dispatched",
        "a request without SOAPAction is dispatched by its body element, not refused MSG00051",
        _flags(refuse_missing_soap_action=False),
        failure_signature=("status.code", "decision missing-soapaction"),
    ),
)

DEFECTS: dict[str, Defect] = {d.name: d for d in (*_ALL, *_DECISIONS)}


def policy_for(name: str) -> Policy:
    """The faithful policy with defect ``name`` applied. Raises KeyError naming the choices."""
    try:
        defect = DEFECTS[name]
    except KeyError:
        raise KeyError(f"unknown defect {name!r}; known: {', '.join(DEFECTS)}") from None
    return defect.apply(FAITHFUL)
