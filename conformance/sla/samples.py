"""One SLA sample per exchange: how long it took, and whether it counts as available.

Client time is the transport's ``elapsed_s``: from the request being sent (connection set-up
included) to the last byte of the answer. Service time is ``informationCBSS`` ``timestampReply -
timestampReceive`` when the answer carries both: the service's own clock, which still includes
the authentic source (TSS §7 gives no SLA for it).

Results (availability, TSS §7 "98%"):

- ``ok``: a well-formed SOAP answer that is not a Server fault (business codes, Client faults);
- ``server-fault``: a Server fault other than MSG00002;
- ``supplier``: a MSG00002 fault, the authentic source failing; counted apart, the TSS excludes it;
- ``transport``: no HTTP answer (timeout, connection or TLS error);
- ``not-soap``: an HTTP answer that is not a SOAP envelope (an HTML 5xx page, for instance).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

from conformance import soap
from conformance.exchange import DEADLINE, Exchange
from conformance.harness.checks.echo import parse_timestamp
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

OK = "ok"
SERVER_FAULT = "server-fault"
SUPPLIER = "supplier"
TRANSPORT = "transport"
NOT_SOAP = "not-soap"
RESULTS = (OK, SERVER_FAULT, SUPPLIER, TRANSPORT, NOT_SOAP)
SUPPLIER_CODE = "MSG00002"
RAW = "raw"


@dataclass(frozen=True)
class Sample:
    operation: str  # the request's operation, or "raw" for a message that names none
    client_s: float
    service_s: float | None  # None when the answer has no informationCBSS timestamps
    result: str  # one of RESULTS
    timed: bool = True  # False: no time to judge (no answer, and not a deadline)

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Sample:
        return cls(**data)


def from_exchange(exchange: Exchange) -> Sample:
    """The sample of one exchange (reads the answer through ``xmlsafe.parse_untrusted``)."""
    operation = exchange.request.operation or RAW
    if not exchange.ok_transport:
        # A deadline is a response time beyond the limit; other failures have no time to judge.
        timed = exchange.error_kind == DEADLINE
        return Sample(operation, exchange.elapsed_s, None, TRANSPORT, timed)
    try:
        envelope = soap.read(parse_untrusted(exchange.body, max_bytes=max(len(exchange.body), 1)))
    except (UntrustedXMLError, soap.NotSoapError):
        return Sample(operation, exchange.elapsed_s, None, NOT_SOAP)
    fault = envelope.fault
    holder = envelope.payload if fault is None else fault.detail
    service_s = _service_time(holder)
    if fault is None or fault.faultcode.rpartition(":")[2] != "Server":
        return Sample(operation, exchange.elapsed_s, service_s, OK)
    codes = [] if fault.detail is None else fault.detail.findall("detail/reasonCode")
    supplier = any((code.text or "").strip() == SUPPLIER_CODE for code in codes)
    return Sample(operation, exchange.elapsed_s, service_s, SUPPLIER if supplier else SERVER_FAULT)


def _service_time(holder: etree._Element | None) -> float | None:
    block = holder.find("informationCBSS") if holder is not None else None
    if block is None:
        return None
    received = parse_timestamp(block.findtext("timestampReceive"))
    replied = parse_timestamp(block.findtext("timestampReply"))
    if received is None or replied is None or (received.tzinfo is None) != (replied.tzinfo is None):
        return None
    seconds = (replied - received).total_seconds()
    return seconds if seconds >= 0 else None


class SampleRecorder:
    """A transport recorder: one sample per exchange sent, taken case by case."""

    def __init__(self) -> None:
        self._samples: list[Sample] = []
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        sample = from_exchange(exchange)
        with self._lock:
            self._samples.append(sample)

    def take(self) -> list[Sample]:
        """The samples recorded since the last call."""
        with self._lock:
            taken, self._samples = self._samples, []
        return taken
