"""``conformance serve``: run the embedded reference service until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

HELP = "Serve the reference ForeignerSituationService (two-way TLS by default)."

_MAX_WAIT_S = 3600.0  # the wait loop wakes up at least this often; a signal ends it at once


def _default_pki_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "conformance" / "reference-pki"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4520, help="port (default 4520, 0 = any)")
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="two-way TLS with the dev PKI (default); --no-tls serves plain HTTP",
    )
    parser.add_argument("--dataset", type=Path, help="dataset YAML (default: the shipped one)")
    parser.add_argument(
        "--pki-dir",
        type=Path,
        default=None,
        help=f"dev PKI folder, reused when valid (default {_default_pki_dir()})",
    )
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=Path("reports") / "reference-audit.jsonl",
        help="append-only JSON lines audit log (default reports/reference-audit.jsonl)",
    )
    parser.add_argument("--defect", help="inject one named deliberate defect (see --list-defects)")
    parser.add_argument(
        "--list-defects", action="store_true", help="list the deliberate defects and exit"
    )


def run(args: argparse.Namespace) -> int:
    from conformance.reference import defects
    from conformance.reference.dataset import DatasetError
    from conformance.reference.server import start_in_thread

    if args.list_defects:
        for defect in defects.DEFECTS.values():
            print(f"{defect.name:32} {defect.description}")
        return 0
    if args.defect and args.defect not in defects.DEFECTS:
        print(f"unknown defect {args.defect!r}; see --list-defects", file=sys.stderr)
        return 2
    try:
        service = start_in_thread(
            dataset=args.dataset,
            tls=args.tls,
            host=args.host,
            port=args.port,
            pki_dir=(args.pki_dir or _default_pki_dir()) if args.tls else None,
            audit_log=args.audit_log,
            defect=args.defect,
        )
    except (DatasetError, OSError) as exc:
        print(f"cannot start the reference service: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"reference service: {service.url}", flush=True)
    if service.pki is not None:
        print(f"dev PKI (CA, client certificates, README.txt): {service.pki.directory}")
    print(f"audit log: {service.audit_log}")
    if args.defect:
        print(f"DEFECT injected: {args.defect}")
    print("stop with Ctrl-C or SIGTERM", flush=True)
    try:
        while not stop.wait(_MAX_WAIT_S):
            service.check()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service.stop()
    print("reference service stopped")
    return 0
