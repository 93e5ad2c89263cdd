"""``conformance serve``: run the embedded reference service until SIGINT or SIGTERM.

Exit codes (docs/reference-service.md): 0 stopped cleanly, 1 could not start or failed while
serving, 4 bad input (an unknown defect, a dataset that cannot be loaded); one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from conformance.commands import EXIT_BAD_INPUT
from conformance.paths import DEFAULT_REPORT_DIR

if TYPE_CHECKING:  # the server (asyncio, lxml) is imported only when serving
    from conformance.reference.server import RunningService

HELP = "Serve the reference ForeignerSituationService (two-way TLS by default)."

# The wait loop wakes up this often to notice a dead server thread; a signal ends it at once.
_WAKE_S = 1.0


def _default_pki_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "conformance" / "reference-pki"


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def _workers(text: str) -> int:
    count = int(text) if text.isdigit() else 0
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (1 to 64)")
    return count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=4520, help="port (default 4520, 0 = any)")
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
        default=Path(DEFAULT_REPORT_DIR) / "reference-audit.jsonl",
        help="append-only JSON lines audit log "
        f"(default {DEFAULT_REPORT_DIR}/reference-audit.jsonl)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=_default_workers(),
        help=f"worker processes sharing the port (default {_default_workers()}: the cores)",
    )
    parser.add_argument("--defect", help="inject one named deliberate defect (see --list-defects)")
    parser.add_argument(
        "--list-defects", action="store_true", help="list the deliberate defects and exit"
    )


def run(args: argparse.Namespace) -> int:
    from conformance.reference import defects
    from conformance.reference.dataset import DatasetError
    from conformance.reference.server import ServiceError, start_in_thread
    from conformance.reference.workers import settle_for_serving

    if args.list_defects:
        for defect in defects.DEFECTS.values():
            print(f"{defect.name:32} {defect.description}")
        return 0
    if args.defect and args.defect not in defects.DEFECTS:
        print(
            f"conformance serve: unknown defect {args.defect!r}; see --list-defects",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        service = start_in_thread(
            dataset=args.dataset,
            tls=args.tls,
            host=args.host,
            port=args.port,
            pki_dir=(args.pki_dir or _default_pki_dir()) if args.tls else None,
            audit_log=args.audit_log,
            defect=args.defect,
            workers=args.workers,
        )
    except DatasetError as exc:
        print(f"conformance serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OSError, RuntimeError) as exc:
        print(f"cannot start the reference service: {exc}", file=sys.stderr)
        return 1
    settle_for_serving()
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"reference service: {service.url}", flush=True)
    if service.pki is not None:
        print(f"dev PKI (CA, client certificates, README.txt): {service.pki.directory}")
    print(f"audit log: {service.audit_log}")
    print(f"workers: {service.workers} (processes sharing the port)")
    if args.defect:
        print(f"DEFECT injected: {args.defect}")
    print("stop with Ctrl-C or SIGTERM", flush=True)
    try:
        while not stop.wait(_WAKE_S):
            service.check()
    except ServiceError:
        pass  # stop() raises it again
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        failure = _stop(service)
    if failure is not None:
        print(failure, file=sys.stderr)
        return 1
    print("reference service stopped")
    return 0


def _stop(service: RunningService) -> Exception | None:
    from conformance.reference.server import ServiceError

    try:
        service.stop()
    except ServiceError as exc:  # the server thread died: one line, not a traceback
        return exc
    return None
