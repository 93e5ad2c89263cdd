"""Defects in what an answer says: its status, echoes, CBSS block, result, dates, schema and
fault content; most are mutators (``mutators.py``) that bend the built payload."""

from __future__ import annotations

from conformance.reference import mutators
from conformance.reference.defects.defect import Defect, flags, mutate

DEFECTS = (
    Defect(
        "status_value_mismatch",
        "status/value does not match status/code",
        mutate(mutators.status_value),
        failure_signature=("status.value", "TSS 6.1 MSG00000", "Expected: status/value"),
    ),
    Defect(
        "status_code_mismatch",
        "status/code is not the TSS code of the outcome",
        mutate(mutators.status_code),
        failure_signature=("status.known-code", "not in the Business nor the Technique table"),
    ),
    Defect(
        "refusal_with_technical_code_in_band",
        "a NO_RESULT status carries a TSS 6.2 code instead of a TSS 6.1 one",
        mutate(mutators.refusal_in_band_with_technical_code),
        failure_signature=("status.technical-as-fault", "a technical code is a SOAP fault"),
    ),
    Defect(
        "fault_with_business_code",
        "SOAP faults carry a TSS 6.1 (business) reasonCode",
        mutate(mutators.fault_with_business_code),
        failure_signature=("fault.business-in-band", "a business code is an in-band status"),
    ),
    Defect(
        "status_description_mismatch",
        "status/description is another code's text",
        mutate(mutators.status_description),
        failure_signature=("status.description", "TSS 6.1"),
    ),
    Defect(
        "echo_information_customer",
        "informationCustomer is not echoed exactly (ticket)",
        mutate(mutators.echo_customer),
        failure_signature=("echo.informationCustomer",),
    ),
    Defect(
        "echo_legal_context",
        "legalContext is not echoed exactly",
        mutate(mutators.echo_legal_context),
        failure_signature=("echo.legalContext",),
    ),
    Defect(
        "echo_criteria",
        "criteria is not echoed exactly",
        mutate(mutators.echo_criteria),
        failure_signature=("echo.criteria",),
    ),
    Defect(
        "ticket_not_uuid",
        "informationCBSS/ticketCBSS is not a UUID",
        mutate(mutators.ticket_not_uuid),
        failure_signature=("cbss.ticket", "a UUID 8-4-4-4-12"),
    ),
    Defect(
        "timestamps_reversed",
        "timestampReceive is after timestampReply",
        mutate(mutators.timestamps_reversed),
        failure_signature=("cbss.timestamp-order", "timestampReceive <= timestampReply"),
    ),
    Defect(
        "faultcode_swapped",
        "faultcode is Server where the TSS says Client, and vice versa",
        flags(swap_faultcode=True),
        failure_signature=("fault.faultcode", "TSS 6.2"),
    ),
    Defect(
        "data_groups_ignored",
        "both employment groups are returned whatever was asked",
        flags(honour_data_groups=False),
        failure_signature=("result.groups",),
    ),
    Defect(
        "replaced_not_followed",
        "a replaced NISS is answered for itself, not the final NISS",
        flags(follow_replaced=False),
        failure_signature=("ssin.final",),
    ),
    Defect(
        "replaced_without_indication",
        "a replaced NISS is followed but status/information replacedSsin is missing",
        flags(indicate_replaced=False),
        failure_signature=("ssin.replaced-indication", "decision replaced-indication"),
    ),
    Defect(
        "date_month_13",
        "an incomplete date in the result has month 13 (still 10 characters)",
        mutate(mutators.month_13),
        failure_signature=("dates.form", "month 13"),
    ),
    Defect(
        "unknown_element",
        "the response root ends with an element the XSD does not know",
        mutate(mutators.unknown_element),
        failure_signature=("schema.valid", "'processingNode'"),
    ),
    Defect(
        "wrong_element_order",
        "legalContext comes before informationCBSS",
        mutate(mutators.wrong_order),
        failure_signature=("schema.valid", "'legalContext'", "'informationCBSS' expected"),
    ),
    Defect(
        "root_unqualified",
        "the payload root element has no namespace",
        mutate(mutators.root_unqualified),
        failure_signature=("schema.element", "global element of", "Received: consult"),
    ),
    Defect(
        "root_wrong_namespace",
        "the payload root element is in the v2 namespace",
        mutate(mutators.root_wrong_namespace),
        failure_signature=("schema.element", "global element of", "ForeignerSituation/v2}"),
    ),
    Defect(
        "result_dropped",
        "a DATA_FOUND answer carries no result",
        mutate(mutators.result_dropped),
        failure_signature=("result.present", "Received: result absent"),
    ),
    Defect(
        "response_other_operation",
        "the business answer is the other operation's response element",
        mutate(mutators.other_operation("Response")),
        failure_signature=("operation.response",),
    ),
    Defect(
        "fault_detail_other_operation",
        "a fault's detail holds the other operation's fault element",
        mutate(mutators.other_operation("Fault")),
        failure_signature=("fault.detail", "Expected: detail/"),
    ),
    Defect(
        "first_card_only",
        "of several employment cards only the first is returned",
        mutate(mutators.first_card_only),
        failure_signature=(
            "case.assertion",
            "Assertion count on result/employmentCards/employmentCard",
        ),
    ),
    Defect(
        "duplicate_records",
        "every employment card and work permit is listed twice (same number, same dates)",
        mutate(mutators.duplicate_records),
        failure_signature=("records.duplicate", "decision duplicate-records"),
    ),
    Defect(
        "reason_of_stay_7_digits",
        "reason-of-stay codes lose their last digit (7 digits, not the 8-digit CTMS code)",
        mutate(mutators.reason_of_stay_7_digits),
        failure_signature=("reasons.form", "an 8-digit CTMS code"),
    ),
)
