"""Wall time of a whole ``conformance run`` against misbehaving endpoints, beside its bound.

Each behaviour is one of our own stubs (tests/stubs.py, on 127.0.0.1 port 0) given the
reference's roles and the timeouts below (default connect 3 s, read 5 s, as in issue 14). A
fresh ``conformance run`` process per behaviour, the whole catalogue. The bound is
3 x (connect + read): a dead endpoint must stop at the preflight (exit 6), a wrong one must fail
its cases quickly (exit 1); never an exit 0. Prints wall time, exit code, ratio to the bound and
the run's reason line; exits 1 when a run passed, missed its bound or gave another exit code.

Run:  .venv/bin/python benchmarks/bench_misbehaving.py [--connect 3] [--read 5] [--only a,b]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # a checkout's stubs
import stubs

DOWN, WRONG = 6, 1
_HTML = (("Content-Type", "text/html"),)
# behaviour -> (how the stub answers, None: nothing listens; the exit code a run must give)
BEHAVIOURS: dict[str, tuple[stubs.Behaviour | None, int]] = {
    "refused": (None, DOWN),
    "reset": (stubs.reset, DOWN),
    "blackhole": (stubs.blackhole, DOWN),
    "trickle-status-line": (stubs.trickle(b"HTTP/1.1 200 OK", every=0.5), DOWN),
    "trickle-headers": (stubs.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: 1\r\n" * 500), DOWN),
    "html": (stubs.answer(body=b"<html><h1>502 Bad Gateway</h1></html>", headers=_HTML), WRONG),
    "gzip": (stubs.gzipped(), WRONG),
    "bad-chunking": (stubs.bad_chunked(), WRONG),
    "gateway-503": (stubs.answer("503 Service Unavailable", b"", ()), WRONG),
    "truncated-body": (stubs.answer(length=100_000), WRONG),
}


def run_one(name: str, connect: float, read: float) -> tuple[float, int, str]:
    behaviour, _ = BEHAVIOURS[name]
    stub = stubs.Stub(behaviour) if behaviour else None
    url = stub.url() if stub else f"http://127.0.0.1:{stubs.free_port()}/x"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-misbehaving-") as tmp:
            env_file = stubs.environment_file(Path(tmp), url, connect=connect, read=read)
            command = [sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file),
                       "--report-dir", str(Path(tmp) / "out")]  # fmt: skip
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
            wall = time.perf_counter() - started
    finally:
        if stub:
            stub.close()
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    reason = next((line for line in lines if line.startswith("Exit: endpoint down")), "")
    reason = reason or next((line for line in reversed(lines) if " in " in line), "")
    return wall, result.returncode, reason.strip("= ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect", type=float, default=3.0, help="connect timeout, s")
    parser.add_argument("--read", type=float, default=5.0, help="read timeout, s")
    parser.add_argument("--only", default="", help="comma-separated behaviours (default: all)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(BEHAVIOURS)
    unknown = sorted(set(names) - set(BEHAVIOURS))
    if unknown:
        parser.error(f"unknown behaviour(s) {', '.join(unknown)} (known: {', '.join(BEHAVIOURS)})")
    bound = 3 * (args.connect + args.read)
    print(f"timeouts: connect {args.connect:g} s, read {args.read:g} s; bound {bound:g} s")
    bad = 0
    for name in names:
        wall, code, reason = run_one(name, args.connect, args.read)
        wanted = BEHAVIOURS[name][1]
        ok = code == wanted and wall < bound
        bad += not ok
        print(
            f"{name:20} {wall:6.2f} s  {wall / bound:4.2f}x bound  exit {code} "
            f"(want {wanted}) {'ok' if ok else 'MISSED'}  {reason[:110]}"
        )
    print(f"{len(names) - bad} of {len(names)} behaviours within the bound with the right exit")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
