"""Wall time of the full default run (``conformance run``) against the embedded reference.

Each repetition is a fresh process, as a user would start it: interpreter start-up, imports,
the embedded service and its TLS handshakes, collection, every case and the reports. Prints each
run's wall time and the median. Target: under 30 s on the project's 2-core machine.

Run:  .venv/bin/python benchmarks/bench_run.py [--repeat 3] [-- extra pytest args, e.g. -n 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="how many runs (default 3)")
    parser.add_argument("pytest_args", nargs="*", help="passed after -- to conformance run")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    walls = []
    for index in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="bench-run-") as report_dir:
            command = [sys.executable, "-m", "conformance.cli", "run", "--report-dir", report_dir]
            if args.pytest_args:
                command += ["--", *args.pytest_args]
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
        walls.append(wall)
        summary = next(
            (line for line in reversed(result.stdout.splitlines()) if " in " in line), ""
        )
        print(f"run {index}: {wall:6.2f} s wall, exit {result.returncode}  {summary.strip('= ')}")
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
            return 1
    print(
        f"median wall time of the full default run: {statistics.median(walls):.2f} s "
        f"(target < 30 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
