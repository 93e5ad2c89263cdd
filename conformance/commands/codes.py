"""``conformance codes``: print the TSS return-code tables (6.1 Business, 6.2 Technique)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from conformance import tables

HELP = "Print the TSS return-code tables (business and technical)."

_HEADERS = ("kind", "value / faultcode", "code", "description")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: aligned text)",
    )


def _rows() -> list[tuple[str, str, str, str]]:
    rows = [("business", r.value, r.code, r.description) for r in tables.business_codes().values()]
    rows += [
        ("technical", r.faultcode, r.code, r.description) for r in tables.technical_codes().values()
    ]
    return rows


def render_text(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(_HEADERS, *rows, strict=False)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (_HEADERS, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[tuple[str, ...]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(_HEADERS), line(["---"] * len(_HEADERS)), *(line(r) for r in rows)])


def render_json() -> str:
    data = {
        "business": [vars(r) for r in tables.business_codes().values()],
        "technical": [
            {**vars(r), "fault_kind": r.fault_kind} for r in tables.technical_codes().values()
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(render_json())
    elif args.format == "markdown":
        print(render_markdown(_rows()))
    else:
        print(render_text(_rows()))
    return 0
