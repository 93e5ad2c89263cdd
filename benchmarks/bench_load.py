"""Checked requests per second one Locust process drives: the reference vs a canned-bytes server.

    .venv/bin/python benchmarks/bench_load.py [--rounds 3] [--seconds 8] [--users 8]

Each round runs ``conformance load`` (local mode: one Locust process, users as greenlets, every
answer through the run's checks) twice, two-way TLS both times:

* against the embedded reference, which ``conformance load`` starts in its own process;
* against a canned-bytes server on the same serving stack (``bench_reference.CannedApp``,
  started here), answering one real DATA_FOUND answer to everything. The checks still run on
  each answer (and mostly fail: its tickets and persons are not the request's), so this is
  what the harness side costs when the server costs almost nothing.

Printed: each round, then the medians side by side (checked requests/s, p50 and p90 client time
from ``sla.json``) and the ratio reference / canned. The machine is shared: figures are noisy,
hence medians over rounds. This prints them; it does not assert them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_reference import CannedApp, http_post

from conformance.harness.environment.reference import shared_pki_dir
from conformance.reference import samples
from conformance.reference.dataset import Dataset
from conformance.reference.server import start_in_thread


def load_run(work: Path, seconds: float, users: int, endpoint: str | None) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(dir=work, prefix="load-"))
    argv = [sys.executable, "-m", "conformance.cli", "load", "--report-dir", str(out)]
    argv += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds:g}s"]
    if endpoint:  # the cap is far above what one process drives: it does not pace
        argv += ["--endpoint", endpoint, "--max-rps", "1000000"]
        argv += ["--i-know-this-is-not-the-reference"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 240)
    data = json.loads((out / "sla.json").read_text(encoding="utf-8"))
    client = data["overall"]["client_s"]
    return {
        "rps": data["load"]["requests_per_s"],
        "p50_ms": client["p50"] * 1000,
        "p90_ms": client["p90"] * 1000,
        "failed": sum(data["load"]["check_failures"].values()),
        "samples": data["samples"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    dataset = Dataset.load()
    sample = samples.for_roles(dataset, "consultEmploymentInfos", "concurrent_cards")
    plain = start_in_thread(tls=False, dataset=dataset, audit_log=work / "plain.jsonl")
    try:
        canned = http_post(plain.url, sample.body, sample.headers)
    finally:
        plain.stop()
    floor = start_in_thread(
        tls=True,
        dataset=dataset,
        pki_dir=shared_pki_dir(),  # the PKI the reference environment's clients use
        audit_log=work / "floor.jsonl",
        app_factory=CannedApp(canned),
    )
    print(
        f"one Locust process, {args.users} users, {args.seconds:g} s per run, "
        f"{args.rounds} rounds, two-way TLS; load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, list[dict[str, Any]]] = {"reference": [], "canned bytes": []}
    try:
        for round_no in range(1, args.rounds + 1):
            for name, endpoint in (("reference", None), ("canned bytes", floor.url)):
                figures = load_run(work, args.seconds, args.users, endpoint)
                results[name].append(figures)
                print(
                    f"round {round_no} {name:12} {figures['rps']:8.1f} checked req/s  "
                    f"p50 {figures['p50_ms']:6.2f} ms  p90 {figures['p90_ms']:6.2f} ms  "
                    f"({figures['samples']} requests, {figures['failed']} failed checks)"
                )
    finally:
        floor.stop()
    medians = {
        name: {k: statistics.median(r[k] for r in rows) for k in ("rps", "p50_ms", "p90_ms")}
        for name, rows in results.items()
    }
    print("\nmedians            checked req/s   p50 ms   p90 ms")
    for name, m in medians.items():
        print(f"  {name:14} {m['rps']:14.1f} {m['p50_ms']:8.2f} {m['p90_ms']:8.2f}")
    ratio = medians["reference"]["rps"] / medians["canned bytes"]["rps"]
    print(f"reference / canned bytes: {ratio:.2f} of the requests per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
