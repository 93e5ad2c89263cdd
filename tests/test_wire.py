"""harness/wire.py: a CaseOutcome crosses from an xdist worker to the controller unchanged."""

from __future__ import annotations

import pickle

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import CheckFailure
from conformance.harness.outcome import FAILED, CaseOutcome
from conformance.harness.wire import outcome_from_wire, outcome_to_wire
from conformance.sla.samples import NOT_SOAP, Sample


def test_an_outcome_with_its_exchanges_round_trips_as_plain_data() -> None:
    request = OutgoingRequest(
        "https://127.0.0.1:1/x", b"<a/>", {"SOAPAction": '"x"'}, operation="op"
    )
    outcome = CaseOutcome(
        case_id="c",
        title="t",
        tss_ref="6.1",
        operation="consultEmploymentInfos",
        code="MSG00005",
        outcome=FAILED,
        client_role="onem",
        exchanges=[Exchange(request, status=500, body=b"<fault/>", error=None)],
        sla_samples=[Sample("op", 0.01, None, NOT_SOAP)],
        failures=[
            CheckFailure(
                "TSS 6.1 MSG00005", "MSG00005", "MSG00000", details=("a",), rule="status.code"
            )
        ],
    )
    wire = outcome_to_wire(outcome)
    assert pickle.loads(pickle.dumps(wire)) == wire  # plain data (execnet needs no classes)
    assert outcome_from_wire(wire) == outcome
