"""The outcome of one case, as the reports see it.

The pytest plugin builds one ``CaseOutcome`` per case; the reports (Allure, JUnit, coverage
matrix, service-desk bundles, ``outcomes.jsonl``) only read it. Failures travel as data
(:class:`CheckFailure`, with their rule and authority); text is made at the edges only, by the
one formatter (``harness/failures.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exchange import Exchange
from conformance.harness.checks import CheckFailure
from conformance.sla.samples import Sample

PASSED = "passed"
FAILED = "failed"
DEVIATION = "deviation"  # only our decisions were broken, against an endpoint not ours
NOT_RUN = "not-run"
NOT_TRIGGERABLE = "not-triggerable"


@dataclass
class CaseOutcome:
    case_id: str
    title: str
    tss_ref: str  # the TSS section or table row the case enforces, e.g. "6.1 MSG00005"
    operation: str  # "consultEmploymentInfos", "consultSpecialInfos" or "raw"
    code: str  # the return code the case expects, e.g. "MSG00005"
    outcome: str  # PASSED | FAILED | DEVIATION | NOT_RUN | NOT_TRIGGERABLE
    client_role: str = ""
    decision: str = ""  # the decision (data/rules.yaml) the case's expected outcome rests on
    exchanges: list[Exchange] = field(default_factory=list)
    failures: list[CheckFailure] = field(default_factory=list)  # what failed the case
    warnings: list[CheckFailure] = field(default_factory=list)  # reported, never failing
    deviations: list[CheckFailure] = field(default_factory=list)  # broken decisions, not failing
    crash: str = ""  # the traceback of a case that crashed before its checks ran
    reproduce: str = ""  # the "Reproduce with:" block, for a passed case too; empty if none sent
    hypothesis_seed: str | None = None
    duration_s: float = 0.0
    sla_sample: bool = True  # False (``sla: exclude``): left out of the SLA figures
    sla_samples: list[Sample] = field(default_factory=list)  # one per exchange the case sent

    @property
    def failure_category(self) -> str:
        """The first failure's category (e.g. "wrong return code"); "" when none failed."""
        return self.failures[0].category if self.failures else ""
