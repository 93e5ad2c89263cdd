"""The long fuzz run of the reference service (nightly): hostile traffic beside a slowloris crowd.

    .venv/bin/python benchmarks/fuzz_reference.py [--cases 100000] [--seed 1010]
        [--workers 2] [--slow 20] [--max-seconds 3600]

Sends ``--cases`` seeded mutations (``conformance/reference/hostile.py``: bytes, structure, XML
attacks, HTTP framing), one per connection, from one client, while ``--slow`` connections
dribble request heads one byte a second (each refused at the head deadline and replaced).
A normal client is timed every 500 cases. Prints every broken promise (with its case number:
the same seed replays it), the normal client's worst latency, the service's RSS (all workers)
at the start and end, and audit lines vs answers. Exit code 1 if a promise broke. Bounded by
``--cases`` and ``--max-seconds``; loopback only.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rawhttp import connect, exchange, read_all

from conformance.contract import load_contract
from conformance.reference import hostile, samples
from conformance.reference.dataset import Dataset
from conformance.reference.server import start_in_thread

PATH = "/ForeignerSituationService/v1/consult"


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def slowloris(base_url: str, data: bytes, stop: threading.Event, refusals: list[int]) -> None:
    """One slow client after another, until ``stop``: one byte a second, refused at 10 s."""
    while not stop.is_set():
        try:
            with connect(base_url, timeout=30) as sock:
                for byte in data:
                    if stop.wait(1.0):
                        return
                    sock.sendall(bytes([byte]))
                refusals.extend(a.status for a in read_all(sock, 5).answers)
        except OSError:  # refused at the head deadline: the server closed on us
            refusals.append(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1010)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slow", type=int, default=20, help="slowloris connections (default 20)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args(argv)
    dataset = Dataset.load()
    good = samples.for_roles(dataset, "consultEmploymentInfos", "concurrent_cards")
    normal = hostile.post(PATH, good.body, good.headers)
    contract = load_contract()
    rng = random.Random(args.seed)
    audit = Path(tempfile.mkdtemp(prefix="fuzz-reference-")) / "audit.jsonl"
    stop = threading.Event()
    refusals: list[int] = []
    broken_total = 0
    answered = 0
    worst_normal = 0.0
    began = time.monotonic()
    with start_in_thread(tls=False, audit_log=audit, workers=args.workers) as service:
        pids = service.worker_pids()
        crowd = [
            threading.Thread(target=slowloris, args=(service.base_url, normal, stop, refusals))
            for _ in range(args.slow)
        ]
        for thread in crowd:
            thread.start()
        exchange(service.base_url, normal)
        answered += 1
        start_rss = rss_kib(pids)
        stream = hostile.cases(rng, PATH, good.body, good.headers)
        done = 0
        for done in range(1, args.cases + 1):
            case = next(stream)
            received = exchange(service.base_url, case.data, timeout=15)
            answers = [(a.status, a.headers, a.body) for a in received.answers]
            answered += len(answers)
            broken = hostile.broken_promises(answers, received.rest, contract)
            if broken:
                broken_total += 1
                print(f"case {done} ({case.family}/{case.name}): {broken}", flush=True)
            if done % 500 == 0:
                started = time.monotonic()
                exchange(service.base_url, normal)
                answered += 1
                worst_normal = max(worst_normal, time.monotonic() - started)
                print(f"{done} cases, RSS {rss_kib(pids)} KiB", flush=True)
            if time.monotonic() - began > args.max_seconds:
                break
        end_rss = rss_kib(pids)
        stop.set()
        for thread in crowd:
            thread.join(15)
    lines = audit.read_text(encoding="utf-8").splitlines()
    timed_out = sum('"outcome": "HTTP 408"' in line for line in lines)
    print(
        f"seed {args.seed}: {done} cases in {time.monotonic() - began:.0f} s, "
        f"{broken_total} with a broken promise; normal client worst {worst_normal * 1000:.0f} ms "
        f"beside {args.slow} slowloris connections ({timed_out} refused 408 at the head deadline)"
    )
    print(f"RSS (all {len(pids)} workers): {start_rss} KiB at the start, {end_rss} KiB at the end")
    print(f"audit lines: {len(lines)} for {answered} answers and {timed_out} slowloris 408s")
    return 1 if broken_total else 0


if __name__ == "__main__":
    sys.exit(main())
