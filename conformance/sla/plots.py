"""``sla.png`` (latency distributions per operation) and ``sla-trend.png`` (runs over time).

matplotlib with the Agg backend, set on a Figure of our own: no display, no global pyplot state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from conformance import tables
from conformance.sla.compute import minimum_samples, percentile
from conformance.sla.samples import Sample


def latency_plot(samples: Sequence[Sample], path: Path) -> Path:
    """One panel per operation: client times (cumulative share), the TSS limits, p90 and p95."""
    operations = sorted({s.operation for s in samples}) or ["(no request)"]
    figure = Figure(figsize=(8, 2.6 * len(operations)), layout="constrained")
    FigureCanvasAgg(figure)
    limits = tables.sla().response_times
    for index, operation in enumerate(operations, start=1):
        axes = figure.add_subplot(len(operations), 1, index)
        times = sorted(s.client_s for s in samples if s.operation == operation and s.timed)
        if times:
            shares = [100 * (i + 1) / len(times) for i in range(len(times))]
            axes.step(times, shares, where="post", label=f"client time ({len(times)} requests)")
            for p, marker in ((90, "o"), (95, "s")):
                if len(times) < minimum_samples(p):
                    continue  # as in sla.json: too few samples for this percentile
                value = percentile(times, p)
                axes.plot([value], [p], marker, label=f"p{p} = {value * 1000:.1f} ms")
        for limit in limits:
            axes.axvline(limit.under_seconds, color="red", linestyle="--", linewidth=1)
            axes.axhline(limit.percent, color="grey", linestyle=":", linewidth=1)
        # Log scale: a millisecond reference and the 1 s / 2 s limits on one axis.
        right = max([*times, *(limit.under_seconds for limit in limits)]) * 1.5
        left = max(min(times, default=1e-3) / 2, 1e-5)
        axes.set_xscale("log")
        axes.set_xlim(left, right)
        axes.set_ylim(0, 101)
        axes.set_title(operation)
        axes.set_xlabel("client time, seconds, log scale (red: the TSS 7 limits)")
        axes.set_ylabel("% of requests under")
        if times:  # a panel without a request has nothing to label (matplotlib would warn)
            axes.legend(loc="best", fontsize="small")  # never over the p90/p95 marks
    figure.savefig(path, dpi=80)
    return path


def trend_plot(runs: Sequence[dict[str, Any]], path: Path) -> Path:
    """p90, p95 and availability per run, oldest left."""
    figure = Figure(figsize=(8, 3.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    numbers = list(range(1, len(runs) + 1))
    for key, label in (("p90_s", "p90"), ("p95_s", "p95")):
        axes.plot(numbers, [_or_nan(run.get(key)) for run in runs], marker="o", label=label)
    for limit in tables.sla().response_times:
        axes.axhline(limit.under_seconds, color="red", linestyle="--", linewidth=1)
    axes.set_xlabel("run")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("client time (s)")
    share = axes.twinx()
    share.plot(
        numbers,
        [_or_nan(run.get("availability_percent")) for run in runs],
        color="green",
        marker="^",
        label="availability",
    )
    share.axhline(tables.sla().availability_percent, color="green", linestyle=":", linewidth=1)
    share.set_ylabel("availability (%)")
    share.set_ylim(0, 101)
    axes.legend(loc="upper left", fontsize="small")
    share.legend(loc="lower left", fontsize="small")
    axes.set_title("SLA per run (TSS 7)")
    figure.savefig(path, dpi=80)
    return path


def _or_nan(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
