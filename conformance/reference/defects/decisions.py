"""Choices the TSS permits (issue 9): against the reference our decisions are enforced, so each
is a defect the self-check must kill; elsewhere the same behaviour is a deviation."""

from __future__ import annotations

from conformance.reference.defects.defect import Defect, flags

DEFECTS = (
    Defect(
        "no_groups_as_no_data",
        "both dataGroups false is answered NO_DATA_FOUND/MSG00100, not the fault MSG00004",
        flags(refuse_no_groups=False),
        failure_signature=("status.code", "decision both-groups-false"),
    ),
    Defect(
        "impossible_day_accepted",
        "a NISS whose day does not exist in its month is looked up (MSG00005), not MSG00011",
        flags(refuse_impossible_day=False),
        failure_signature=("status.code", "decision impossible-day"),
    ),
    Defect(
        "missing_soap_action_dispatched",
        "a request without SOAPAction is dispatched by its body element, not refused MSG00051",
        flags(refuse_missing_soap_action=False),
        failure_signature=("status.code", "decision missing-soapaction"),
    ),
)
