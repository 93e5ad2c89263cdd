"""``conformance load``: load on Locust, judged by the run's checks, reported against TSS 7.

Exit codes: 0 the load ran and every answer passed its checks; 1 a check failed, a worker died
or went missing, or the run overran its bound; 4 bad input (one line, before anything starts,
also when Locust is not installed); 7 every answer passed, but the SLA was violated and
``--sla`` (or ``sla: enforce``) asked for it to count.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

from conformance.commands import EXIT_BAD_INPUT
from conformance.harness.environment import EnvironmentConfigError, load_environment
from conformance.paths import DEFAULT_REPORT_DIR

HELP = "Run load on Locust (local or distributed), checked, with the TSS 7 SLA report."
USAGE_ERROR = EXIT_BAD_INPUT
INSTALL_HINT = (
    "conformance load needs Locust: pip install 'bcss-foreigner-conformance[load]' "
    "(or pip install locust)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="reference", metavar="NAME|PATH", help="as for run")
    parser.add_argument("--endpoint", metavar="URL", help="override the environment's endpoint")
    parser.add_argument(
        "--report-dir", default=DEFAULT_REPORT_DIR, metavar="DIR", help="SLA and Locust reports"
    )
    parser.add_argument("--users", type=int, default=10, help="concurrent users (default 10)")
    parser.add_argument(
        "--spawn-rate", type=float, default=10.0, metavar="N", help="users started per second"
    )
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--run-time", metavar="DURATION", help="e.g. 30s, 2m, 1h30m")
    stop.add_argument("--requests", type=int, metavar="N", help="stop after about N requests")
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N", help="N local Locust worker processes"
    )
    parser.add_argument("--master", action="store_true", help="be the master of a distributed run")
    parser.add_argument(
        "--expect-workers", type=int, default=1, metavar="N", help="workers the master waits for"
    )
    parser.add_argument("--master-bind-host", default="*", metavar="HOST", help="with --master")
    parser.add_argument("--worker", action="store_true", help="be a worker of a distributed run")
    parser.add_argument("--master-host", metavar="HOST", help="the master a --worker joins")
    parser.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    parser.add_argument(
        "--max-rps", type=float, metavar="N", help="rate cap, requests/s (else max_rps)"
    )
    parser.add_argument(
        "--i-know-this-is-not-the-reference",
        dest="confirmed",
        action="store_true",
        help="confirm a load run against a real endpoint (it also needs a rate cap)",
    )
    parser.add_argument("--sla", action="store_true", help="exit 7 when the SLA is violated")


def run(args: argparse.Namespace) -> int:
    from conformance.harness import preflight
    from conformance.load.options import LoadOptionsError, build

    try:
        handle = load_environment(args.env, args.endpoint, start=False)
        env = handle.environment
        raw = dict(vars(args), report_dir=str(Path(args.report_dir).resolve()))
        options = build(
            raw, environment_max_rps=env.max_rps, environment_sla_enforce=env.sla_enforce
        )
    except (EnvironmentConfigError, LoadOptionsError) as exc:
        print(f"conformance load: {exc}", file=sys.stderr)
        return USAGE_ERROR
    unusable = preflight.unusable_credentials(args.env, args.endpoint)
    if unusable is not None:
        print(f"conformance load: {unusable}", file=sys.stderr)
        return USAGE_ERROR
    if importlib.util.find_spec("locust") is None:
        print(f"conformance load: {INSTALL_HINT}", file=sys.stderr)
        return USAGE_ERROR
    problem = _unwritable(Path(options.report_dir))
    if problem:
        print(f"conformance load: {problem}", file=sys.stderr)
        return USAGE_ERROR
    from conformance.load import supervisor

    return supervisor.run(options)


def _unwritable(folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            return None
    except OSError as exc:
        return f"report folder {folder} cannot be written: {exc.strerror or exc}"
