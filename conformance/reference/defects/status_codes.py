"""Defects in which status code the service answers: a refusal it never makes, or the wrong TSS
6.1 / 6.2 code for what happened."""

from __future__ import annotations

from conformance.reference.defects.defect import Defect, flags, substitute

DEFECTS = (
    Defect(
        "bis_accepted",
        "BIS numbers are not refused (REG00004 never sent)",
        flags(refuse_bis=False),
        failure_signature=("status.code", "TSS 6.1 REG00004"),
    ),
    Defect(
        "checksum_not_checked",
        "NISS check digits are not verified (MSG00011 never sent for a bad checksum)",
        flags(check_checksum=False),
        failure_signature=("status.code", "TSS 6.1 MSG00011"),
    ),
    Defect(
        "integration_skipped",
        "the integration control is skipped (no MSG00012)",
        flags(check_integration=False),
        failure_signature=("status.code", "TSS 6.1 MSG00012"),
    ),
    Defect(
        "legal_context_not_checked",
        "any legal context is accepted (no MSG00013)",
        flags(check_legal_context=False),
        failure_signature=("status.code", "TSS 6.1 MSG00013"),
    ),
    Defect(
        "canceled_as_unknown",
        "a canceled NISS is answered MSG00005 instead of MSG00007",
        substitute("MSG00007", "MSG00005"),
        failure_signature=("status.code", "TSS 6.1 MSG00007"),
    ),
    Defect(
        "soap12_accepted",
        "SOAP 1.2 envelopes and application/soap+xml are processed",
        flags(check_soap_version=False),
        failure_signature=(
            "status.code",
            "TSS 6.2 MSG00053",
            "Expected: SOAP fault reasonCode MSG00053",
        ),
    ),
    Defect(
        "soap_action_ignored",
        "a missing or unknown SOAPAction is accepted (no MSG00051)",
        flags(check_soap_action=False),
        failure_signature=("status.code", "TSS 6.2 MSG00051"),
    ),
    Defect(
        "wrong_path_accepted",
        "any URL path is served (no MSG00052)",
        flags(check_path=False),
        failure_signature=("status.code", "TSS 6.2 MSG00052"),
    ),
    Defect(
        "supplier_failure_as_internal",
        "a failing supplier is reported MSG00003, not MSG00002",
        substitute("MSG00002", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00002"),
    ),
    Defect(
        "internal_error_as_supplier",
        "an internal error is reported MSG00002 (supplier), not MSG00003",
        substitute("MSG00003", "MSG00002"),
        failure_signature=("status.code", "TSS 6.2 MSG00003"),
    ),
    Defect(
        "identity_mismatch_as_not_allowed",
        "a certificate that is not the customerIdentification's gets MSG00013, not MSG00014",
        substitute("MSG00014", "MSG00013"),
        failure_signature=("status.code", "TSS 6.1 MSG00014"),
    ),
    Defect(
        "group_refusal_as_not_allowed",
        "a data group the client may not see gets MSG00013, not REG00101",
        substitute("REG00101", "MSG00013"),
        failure_signature=("status.code", "TSS 6.1 REG00101"),
    ),
    Defect(
        "no_data_as_unknown",
        "a known NISS without data is answered MSG00005 (unknown), not MSG00100",
        substitute("MSG00100", "MSG00005"),
        failure_signature=("status.code", "TSS 6.1 MSG00100"),
    ),
    Defect(
        "invalid_request_as_internal",
        "a malformed or XSD-invalid request is answered MSG00003 (internal error), not MSG00004",
        substitute("MSG00004", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00004"),
    ),
    Defect(
        "aaa_refusal_as_internal",
        "an organisation without right to the service gets MSG00003, not MSG00015",
        substitute("MSG00015", "MSG00003"),
        failure_signature=("status.code", "TSS 6.2 MSG00015"),
    ),
    Defect(
        "unknown_as_no_data",
        "an unknown NISS is answered MSG00100 (no data) instead of MSG00005",
        substitute("MSG00005", "MSG00100"),
        failure_signature=("status.code", "TSS 6.1 MSG00005"),
    ),
)
