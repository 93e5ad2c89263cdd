"""The parent of a load run: the embedded reference, the Locust processes, and a bound on time.

It stays out of gevent: the reference serves from a real thread here, and the Locust processes
(``conformance.load.node``) are children. A child that dies is reported at once; the run ends
within its run time plus fixed margins, whatever the children do.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time

from conformance.harness.environment import EnvironmentHandle, load_environment
from conformance.load.options import LoadOptions

START_MARGIN_S = 90.0  # environment, workers connecting (node.WORKER_WAIT_S is 60)
STOP_MARGIN_S = 30.0  # users stopping, last reports, the report files
REQUESTS_BOUND_S = 3600.0  # --requests: no run lasts longer than this
_POLL_S = 0.2


def run(options: LoadOptions) -> int:
    handle: EnvironmentHandle | None = None
    try:
        if options.against_reference and options.role != "master":
            handle = load_environment(options.env)
            env = handle.start()
            audit = getattr(handle.service, "audit_log", None)
            options = dataclasses.replace(
                options,
                endpoint=env.endpoint,
                confirmed=True,  # the embedded reference, behind the endpoint we pass on
                reference_audit=str(audit) if audit else None,
            )
            print(f"load: the embedded reference serves at {env.endpoint}", flush=True)
        return _supervise(_commands(options), _bound(options))
    finally:
        if handle is not None:
            handle.close()


def _commands(options: LoadOptions) -> list[tuple[str, list[str]]]:
    if options.workers == 0:
        return [(options.role, _node(options))]
    port = _free_port()
    master = dataclasses.replace(
        options,
        role="master",
        master_bind_host="127.0.0.1",
        master_port=port,
        expect_workers=options.workers,
    )
    worker = dataclasses.replace(options, role="worker", master_host="127.0.0.1", master_port=port)
    commands = [("master", _node(master))]
    commands += [(f"worker {n}", _node(worker)) for n in range(1, options.workers + 1)]
    return commands


def _node(options: LoadOptions) -> list[str]:
    return [sys.executable, "-m", "conformance.load.node", options.to_json()]


def _bound(options: LoadOptions) -> float:
    if options.run_time_s is not None:
        return options.run_time_s + START_MARGIN_S + STOP_MARGIN_S
    return REQUESTS_BOUND_S


def _supervise(commands: list[tuple[str, list[str]]], bound_s: float) -> int:
    """Run the processes; the first (local or master) decides the exit code."""
    processes = [(name, subprocess.Popen(argv)) for name, argv in commands]
    main_name, main = processes[0]
    deadline = time.monotonic() + bound_s
    reported: set[str] = set()
    try:
        while main.poll() is None:
            for name, process in processes[1:]:
                code = process.poll()
                if code not in (None, 0) and name not in reported:
                    reported.add(name)
                    print(f"conformance load: {name} exited with code {code}", file=sys.stderr)
            if time.monotonic() > deadline:
                print(
                    f"conformance load: the {main_name} did not finish within {bound_s:g} s; "
                    "stopped",
                    file=sys.stderr,
                )
                return 1
            time.sleep(_POLL_S)
        code = main.returncode or (1 if reported else 0)  # a dead worker fails the run
        for name, process in processes[1:]:
            try:
                process.wait(timeout=STOP_MARGIN_S)
            except subprocess.TimeoutExpired:
                print(f"conformance load: {name} did not stop; killed", file=sys.stderr)
            if process.returncode not in (None, 0) and name not in reported:
                print(
                    f"conformance load: {name} exited with code {process.returncode}",
                    file=sys.stderr,
                )
                code = code or 1
        return code
    finally:
        for _name, process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
