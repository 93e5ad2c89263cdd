"""``conformance selfcheck``: prove the verdicts. The catalogue runs against the clean embedded
reference, then against each deliberate defect; prints and writes the kill matrix.

Exit codes:

- 0: the clean reference passed every case and every defect was caught by a case whose
  failure names what the defect breaks;
- 1: a defect survived, was caught only by unrelated failures, or its run broke; or the clean
  reference failed a case;
- 4: usage error (unknown defect name, report folder that cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.commands import EXIT_BAD_INPUT
from conformance.harness import collect
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.selfcheck import DEFAULT_TIMEOUT_S, SUBDIR, run_selfcheck
from conformance.selfcheck import matrix as km

HELP = "Run the catalogue against the clean reference and each deliberate defect (kill matrix)."
_USAGE_ERROR = EXIT_BAD_INPUT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"clean run's reports, killmatrix.md/.json, and {SUBDIR}/<defect>/ "
        f"(default: {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument(
        "--defect",
        action="append",
        metavar="NAME",
        help="check only this defect (repeatable; default: every defect)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="runs at a time (default: 2)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"per-run limit; a run over it is a broken run (default: {DEFAULT_TIMEOUT_S:.0f})",
    )
    parser.add_argument(
        "--cases", metavar="DIR", default=None, help="case folder (default: the shipped catalogue)"
    )
    parser.add_argument(
        "--list", action="store_true", help="list the defects and their signatures, then exit"
    )


def run(args: argparse.Namespace) -> int:
    from conformance.reference.defects import DEFECTS

    if args.list:
        for defect in DEFECTS.values():
            print(f"{defect.name:30} {defect.description}")
            print(f"{'':30} signature: {' + '.join(defect.failure_signature)}")
        return 0
    unknown = [name for name in args.defect or () if name not in DEFECTS]
    if unknown:
        print(
            f"conformance selfcheck: unknown defect(s) {', '.join(unknown)}; see --list",
            file=sys.stderr,
        )
        return _USAGE_ERROR
    if args.jobs < 1 or args.timeout <= 0:
        print("conformance selfcheck: --jobs must be >= 1 and --timeout > 0", file=sys.stderr)
        return _USAGE_ERROR
    if args.cases and (problem := collect.case_folder_problem(Path(args.cases))):
        print(f"conformance selfcheck: --cases {args.cases}: {problem}", file=sys.stderr)
        return _USAGE_ERROR
    report_dir = Path(args.report_dir)
    try:
        (report_dir / SUBDIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"conformance selfcheck: cannot write {report_dir}: {exc}", file=sys.stderr)
        return _USAGE_ERROR
    names = list(dict.fromkeys(args.defect)) if args.defect else None
    count = len(names) if names else len(DEFECTS)
    print(f"selfcheck: clean reference + {count} defect(s), {args.jobs} at a time")
    matrix = run_selfcheck(
        report_dir,
        names,
        jobs=args.jobs,
        timeout_s=args.timeout,
        cases=Path(args.cases) if args.cases else None,
        progress=lambda line: print(line, flush=True),
    )
    print()
    for line in km.terminal_lines(matrix):
        print(line)
    print(f"reports: {report_dir.resolve() / km.MD_FILE}")
    sys.stdout.flush()
    return km.exit_code(matrix)
