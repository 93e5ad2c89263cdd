"""Writing one run's SLA files: ``sla.json``, ``sla.md``, ``sla.png``, the history and its plot.

``conformance run`` (the plugin's controller) and ``conformance load`` both call :func:`write`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.sla import history, plots, render
from conformance.sla.compute import SlaReport, compute
from conformance.sla.samples import Sample

SLA_JSON = "sla.json"
SLA_MD = "sla.md"
SLA_PNG = "sla.png"
TREND_PNG = "sla-trend.png"
FILES = (SLA_JSON, SLA_MD, SLA_PNG, TREND_PNG)
# The exit code of `conformance run` and `conformance load` when the SLA counts and is violated.
EXIT_SLA_VIOLATED = 7


def write(
    report_dir: Path,
    samples: Sequence[Sample],
    *,
    kind: str = "run",
    extra: dict[str, Any] | None = None,
) -> SlaReport:
    """Compute the SLA of ``samples`` and write every SLA file into ``report_dir``."""
    report = compute(samples, extra)
    report_dir.mkdir(parents=True, exist_ok=True)
    runs = history.append(report_dir, history.entry(report, kind=kind))
    (report_dir / SLA_JSON).write_text(
        json.dumps(render.to_json(report), indent=2) + "\n", encoding="utf-8"
    )
    (report_dir / SLA_MD).write_text(render.markdown(report, runs), encoding="utf-8")
    plots.latency_plot(samples, report_dir / SLA_PNG)
    plots.trend_plot(runs, report_dir / TREND_PNG)
    return report


def attachments(report_dir: Path) -> list[tuple[str, str, bytes]]:
    """The SLA files as Allure run attachments ``(name, mime type, content)``."""
    kinds = {SLA_JSON: "application/json", SLA_MD: "text/markdown", SLA_PNG: "image/png"}
    kinds[TREND_PNG] = "image/png"
    return [
        (name, mime, (report_dir / name).read_bytes())
        for name, mime in kinds.items()
        if (report_dir / name).is_file()
    ]
