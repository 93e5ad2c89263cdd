"""The SLA figures and verdicts of a set of samples (TSS §7, figures from ``tables.yaml``).

Percentiles are exact, by the nearest-rank method: the p-th percentile of n samples is the
value at rank ceil(p/100 * n) of the sorted samples, a time that was really observed.

Too few samples: a criterion about p% of requests needs at least 100 / (100 - p) samples (10 for
90%, 20 for 95%, 50 for 98% availability), the fewest for which one bad request could break it.
With fewer, its verdict is ``insufficient samples``, never ``met``.

Response-time criteria judge the client time (what the caller sees; network included) of every
timed sample: answered requests, and requests that hit the transport's deadline (at least that
long). Availability is the share of requests with a well-formed answer that is not a Server
fault, over all requests but the supplier's MSG00002, which is counted apart as the source's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance import tables
from conformance.sla.samples import OK, SUPPLIER, Sample

MET = "met"
VIOLATED = "violated"
INSUFFICIENT = "insufficient samples"
PERCENTILES = (50, 90, 95, 99)
METHOD = "nearest-rank, exact over the samples"
MINIMUM_RULE = "a criterion about p% of requests needs at least 100/(100-p) samples"


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (at least one)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def minimum_samples(p: float) -> int:
    """The fewest samples a criterion about p% of requests can be judged on."""
    return math.ceil(100 / (100 - p) - 1e-9)


@dataclass(frozen=True)
class Distribution:
    count: int
    percentiles: dict[str, float | None]  # "p50" ... "p99", "max"; None when too few samples

    @classmethod
    def of(cls, values: Iterable[float]) -> Distribution:
        ordered = sorted(values)
        figures: dict[str, float | None] = {}
        for p in PERCENTILES:
            enough = ordered and len(ordered) >= minimum_samples(p)
            figures[f"p{p}"] = percentile(ordered, p) if enough else None
        figures["max"] = ordered[-1] if ordered else None
        return cls(len(ordered), figures)


@dataclass(frozen=True)
class Criterion:
    name: str
    threshold: float
    observed: float | None  # None when there was nothing to observe
    met: bool | None  # None: insufficient samples
    unit: str  # "s" or "%"
    samples: int
    needed: int

    @property
    def verdict(self) -> str:
        return INSUFFICIENT if self.met is None else MET if self.met else VIOLATED


@dataclass(frozen=True)
class Figures:
    """One group of samples (an operation, or all of them)."""

    requests: int
    client: Distribution
    service: Distribution
    results: dict[str, int]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Figures:
        results: dict[str, int] = {}
        for sample in samples:
            results[sample.result] = results.get(sample.result, 0) + 1
        return cls(
            requests=len(samples),
            client=Distribution.of(s.client_s for s in samples if s.timed),
            service=Distribution.of(s.service_s for s in samples if s.service_s is not None),
            results=dict(sorted(results.items())),
        )


@dataclass(frozen=True)
class SlaReport:
    overall: Figures
    operations: dict[str, Figures]
    criteria: tuple[Criterion, ...]
    availability_percent: float | None
    source_availability_percent: float | None
    scope: str
    section: str
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. excluded cases, load settings

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.criteria}
        if VIOLATED in verdicts:
            return VIOLATED
        return INSUFFICIENT if INSUFFICIENT in verdicts else MET


def compute(samples: Sequence[Sample], extra: dict[str, Any] | None = None) -> SlaReport:
    """Figures per operation and overall, and a verdict per criterion of TSS §7."""
    sla = tables.sla()
    operations: dict[str, list[Sample]] = {}
    for sample in samples:
        operations.setdefault(sample.operation, []).append(sample)
    overall = Figures.of(samples)
    criteria = [_response_time(samples, rt.percent, rt.under_seconds) for rt in sla.response_times]
    bcss = [s for s in samples if s.result != SUPPLIER]
    availability = 100 * sum(s.result == OK for s in bcss) / len(bcss) if bcss else None
    source = 100 * (1 - overall.results.get(SUPPLIER, 0) / len(samples)) if samples else None
    needed = minimum_samples(sla.availability_percent)
    criteria.append(
        Criterion(
            name=f"availability >= {sla.availability_percent:g}%",
            threshold=float(sla.availability_percent),
            observed=availability,
            met=None
            if availability is None or len(bcss) < needed
            else availability >= sla.availability_percent,
            unit="%",
            samples=len(bcss),
            needed=needed,
        )
    )
    return SlaReport(
        overall=overall,
        operations={name: Figures.of(group) for name, group in sorted(operations.items())},
        criteria=tuple(criteria),
        availability_percent=availability,
        source_availability_percent=source,
        scope=sla.scope,
        section=sla.section,
        extra=dict(extra or {}),
    )


def _response_time(samples: Sequence[Sample], percent: int, under_seconds: float) -> Criterion:
    times = sorted(s.client_s for s in samples if s.timed)
    needed = minimum_samples(percent)
    observed = percentile(times, percent) if times else None
    return Criterion(
        name=f"{percent}% < {under_seconds:g} s",
        threshold=float(under_seconds),
        observed=observed,
        met=None if observed is None or len(times) < needed else observed < under_seconds,
        unit="s",
        samples=len(times),
        needed=needed,
    )
