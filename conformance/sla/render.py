"""``sla.json`` (data) and ``sla.md`` (for a person) from an :class:`SlaReport`."""

from __future__ import annotations

from typing import Any

from conformance import tables
from conformance.sla import history
from conformance.sla.compute import METHOD, MINIMUM_RULE, PERCENTILES, Figures, SlaReport

SERVICE_TIME_NOTE = (
    "service time is informationCBSS timestampReply - timestampReceive: the service's own "
    "processing, which still includes the authentic source (TSS 7 gives the source no SLA)"
)
CLIENT_TIME_NOTE = "client time is from the request being sent to the answer's last byte"


def to_json(report: SlaReport) -> dict[str, Any]:
    return {
        "verdict": report.verdict,
        "samples": report.overall.requests,
        "criteria": [
            {
                "name": c.name,
                "threshold": c.threshold,
                "unit": c.unit,
                "observed": c.observed,
                "met": c.met,
                "verdict": c.verdict,
                "samples": c.samples,
                "needed": c.needed,
            }
            for c in report.criteria
        ],
        "availability": {
            "bcss_percent": report.availability_percent,
            "source_percent": report.source_availability_percent,
        },
        "overall": _figures(report.overall),
        "operations": {name: _figures(f) for name, f in report.operations.items()},
        "method": METHOD,
        "minimum_samples": MINIMUM_RULE,
        "notes": [CLIENT_TIME_NOTE, SERVICE_TIME_NOTE],
        "scope": report.scope,
        "tss_section": report.section,
        **report.extra,
    }


def _figures(figures: Figures) -> dict[str, Any]:
    return {
        "requests": figures.requests,
        "results": figures.results,
        "client_s": {"count": figures.client.count, **figures.client.percentiles},
        "service_s": {"count": figures.service.count, **figures.service.percentiles},
    }


def summary_line(data: dict[str, Any]) -> str:
    """The one terminal line, from ``sla.json``'s data (:func:`to_json`)."""
    parts = [
        f"{c['name']}: {_value(c['observed'], c['unit'])} {c['verdict']}" for c in data["criteria"]
    ]
    head = f"SLA (TSS {data['tss_section']}): {data['verdict']} over {data['samples']} requests"
    return f"{head}; " + "; ".join(parts)


def markdown(report: SlaReport, runs: list[dict[str, Any]]) -> str:
    lines = [
        f"# SLA (TSS {report.section}): {report.verdict}",
        "",
        f"{report.overall.requests} requests. Scope: {report.scope}.",
        "",
        "| criterion | observed | samples (needed) | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for c in report.criteria:
        lines.append(
            f"| {c.name} | {_value(c.observed, c.unit)} | {c.samples} ({c.needed}) | {c.verdict} |"
        )
    lines += ["", _source_line(report), "", *_trend(runs), "", "## Per operation", ""]
    head = " | ".join(f"p{p}" for p in PERCENTILES)
    lines += [
        f"| operation | time | count | {head} | max |",
        "| --- | --- | --- |" + " --- |" * (len(PERCENTILES) + 1),
    ]
    for name, figures in [*report.operations.items(), ("all", report.overall)]:
        for label, dist in (("client", figures.client), ("service", figures.service)):
            cells = " | ".join(_value(dist.percentiles[f"p{p}"], "s") for p in PERCENTILES)
            maximum = _value(dist.percentiles["max"], "s")
            lines.append(f"| {name} | {label} | {dist.count} | {cells} | {maximum} |")
    lines += [
        "",
        "## Method",
        "",
        f"- Percentiles: {METHOD}.",
        f"- Too few samples: {MINIMUM_RULE}.",
    ]
    lines += [f"- {_sentence(CLIENT_TIME_NOTE)}", f"- {_sentence(SERVICE_TIME_NOTE)}"]
    for key, value in report.extra.items():
        lines.append(f"- {key.replace('_', ' ').capitalize()}: {_shown(value)}")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    """An extra's value on one line: a list joined, a mapping as ``key value`` pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_shown(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return "none" if value is None or value == "" else str(value)


def _source_line(report: SlaReport) -> str:
    source = _value(report.source_availability_percent, "%")
    return (
        f"Results: {', '.join(f'{k} {v}' for k, v in report.overall.results.items()) or 'none'}. "
        f"The authentic source (MSG00002 counted apart, outside the SLA): {source} available."
    )


def _trend(runs: list[dict[str, Any]]) -> list[str]:
    recent = runs[-history.TREND_RUNS :]
    pooled = history.pooled_availability(runs)
    if pooled is None:
        return ["Trend: no earlier run with requests in this report folder."]
    target = tables.sla().availability_percent
    verdict = "met" if pooled >= target else "violated"
    return [
        f"Trend: availability over the last {len(recent)} run(s) in this report folder: "
        f"{pooled:.2f}% against {target:g}%, {verdict} "
        f"(`{history.HISTORY_FILE}`, `sla-trend.png`)."
    ]


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}%" if unit == "%" else f"{value * 1000:.1f} ms"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
