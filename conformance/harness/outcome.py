"""The outcome of one case, as the reports see it.

The pytest plugin builds one ``CaseOutcome`` per case; the reports (Allure, JUnit, coverage
matrix, service-desk bundles) only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exchange import Exchange
from conformance.harness.checks import CheckFailure
from conformance.sla.samples import Sample

PASSED = "passed"
FAILED = "failed"
NOT_RUN = "not-run"
NOT_TRIGGERABLE = "not-triggerable"


@dataclass
class CaseOutcome:
    case_id: str
    title: str
    tss_ref: str  # the TSS section or table row the case enforces, e.g. "6.1 MSG00005"
    operation: str  # "consultEmploymentInfos", "consultSpecialInfos" or "raw"
    code: str  # the return code the case expects, e.g. "MSG00005"
    outcome: str  # PASSED | FAILED | NOT_RUN | NOT_TRIGGERABLE
    client_role: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    failure_text: str = ""  # the one formatter's text; empty when passed
    reproduce: str = ""  # its "Reproduce with:" block, for a passed case too; empty if none sent
    failure_category: str = ""  # e.g. "wrong return code", "schema violation", "echo mismatch"
    failures: list[CheckFailure] = field(default_factory=list)  # as data; text at the edges
    warnings: list[str] = field(default_factory=list)
    hypothesis_seed: str | None = None
    duration_s: float = 0.0
    sla_sample: bool = True  # False (``sla: exclude``): left out of the SLA figures
    sla_samples: list[Sample] = field(default_factory=list)  # one per exchange the case sent
