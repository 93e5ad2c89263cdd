"""``conformance report``: the coverage matrix and the HTML report of a finished run.

Exit codes:

* 0: coverage.md and the HTML report written;
* 1: allure ran and failed (its output is shown);
* 4: bad input: the report folder cannot be written, or holds no run (no coverage.json and no
  allure-results);
* 3: Node.js/npm or the allure package cannot be had; coverage.md is still written and the
  service-desk bundles of the run are listed, and the message says how to get Node.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.commands import EXIT_BAD_INPUT
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.reports import html, matrix
from conformance.reports.session import (
    BUNDLES_DIR,
    COVERAGE_JSON,
    COVERAGE_MD,
    RESULTS_DIR,
    ReportDirError,
    ReportSession,
)

HELP = "Render a run's reports: coverage.md and the Allure 3 HTML report (optionally one file)."

EXIT_OK, EXIT_ALLURE_FAILED, EXIT_NO_NODE = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path(DEFAULT_REPORT_DIR),
        help=f"the folder `conformance run --report-dir` wrote (default: {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument(
        "--single-file",
        action="store_true",
        help="write one self-contained HTML file (allure-report-single/index.html)",
    )
    parser.add_argument(
        "--mask-ssin",
        action="store_true",
        help="mask NISS values in every artefact before rendering",
    )


def run(args: argparse.Namespace) -> int:
    report_dir: Path = args.report_dir
    session = ReportSession.folder_only(report_dir, mask_ssin=args.mask_ssin)
    try:
        session.check_writable()
    except ReportDirError as exc:
        print(f"conformance report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    coverage = report_dir / COVERAGE_JSON
    results = report_dir / RESULTS_DIR
    has_results = any(results.glob("*-result.json"))
    if not coverage.is_file() and not has_results:
        print(
            f"conformance report: {report_dir} holds no run (no {COVERAGE_JSON}, no "
            f"{RESULTS_DIR}/); run `conformance run --report-dir {report_dir}` first.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if coverage.is_file():
        try:
            rows = matrix.load_rows(coverage)
        except ValueError as exc:
            print(f"conformance report: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        session.write_matrix(rows)
        print(f"coverage matrix: {report_dir / COVERAGE_MD}")
    if args.mask_ssin:  # before rendering: the HTML and its history are built from these
        session.clean_artefacts()
    _list_bundles(report_dir / BUNDLES_DIR)
    if not has_results:
        print(f"no Allure results in {results}: no HTML report.", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        index = html.render(report_dir, results, single_file=args.single_file)
    except html.AllureUnavailable as exc:
        print(f"HTML report not written: {exc}", file=sys.stderr)
        return EXIT_NO_NODE
    except html.AllureFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ALLURE_FAILED
    print(f"HTML report: {index}")
    return EXIT_OK


def _list_bundles(bundles: Path) -> None:
    found = sorted(p.parent for p in bundles.glob("*/README.txt"))
    if found:
        print(f"service-desk bundles ({len(found)} failed cases): {bundles}")
