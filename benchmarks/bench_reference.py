"""Bounded load on the reference service: throughput, latency, memory, audit completeness.

    .venv/bin/python benchmarks/bench_reference.py [--rounds 3] [--requests 10000]
        [--workers 2] [--rss-requests 50000] [--no-tls]

Eight keep-alive clients (threads with ``http.client``, spread over two client processes so
they do not share one GIL nor the server's) send the same DATA_FOUND request. Each round
measures, in this order and on the same stack (``--workers`` processes sharing the port):

* floor: the server returning canned bytes (what the HTTP stack alone costs), plain and TLS;
* the reference service, plain HTTP and two-way TLS.

Printed: each round with the server CPU per request (all workers; steadier than req/s on a
shared machine), then the medians side by side with the floor (share = reference / floor),
then the service's RSS (all workers) over ``--rss-requests`` and audit entries vs requests sent.
Targets (issue 10): plain >= 3,000 req/s, TLS >= 2,500 req/s, p99 < 10 ms, share >= 0.6, flat
RSS. The machine is shared: figures are noisy, hence medians over rounds and the floor in the
same run. This prints them; it does not assert them.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.reference import samples
from conformance.reference.audit import AuditLog, read_entries
from conformance.reference.dataset import Dataset
from conformance.reference.server import RunningService, start_in_thread
from conformance.reference.workers import settle_for_serving

CLIENTS = 8
CLIENT_PROCESSES = 2
WARMUP = 1000


@dataclass(frozen=True)
class CannedApp:
    """The floor: the same workers answering canned bytes (picklable for spawned workers)."""

    body: bytes

    def __call__(self, spec: Any, audit: AuditLog) -> tuple[Callable[..., Iterable[bytes]], Any]:
        headers = [
            ("Content-Type", "text/xml; charset=utf-8"),
            ("Content-Length", str(len(self.body))),
        ]

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", headers)
            return [self.body]

        return app, lambda *args: None


def _client_worker(
    url: str,
    body: bytes,
    headers: dict[str, str],
    counts: list[int],
    tls: dict[str, str] | None,
    out: Any,
) -> None:
    """One client process: one thread per entry of ``counts``; sends back latencies."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def connect() -> http.client.HTTPConnection:
        if tls is None:
            return http.client.HTTPConnection(host, parts.port, timeout=30)
        context = ssl.create_default_context(cafile=tls["ca"])
        context.load_cert_chain(tls["cert"], tls["key"])
        return http.client.HTTPSConnection(host, parts.port, context=context, timeout=30)

    def run(n: int) -> None:
        conn = connect()
        mine = []
        failed = 0
        for _ in range(n):
            start = time.perf_counter()
            try:
                conn.request("POST", parts.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = connect()
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=run, args=(n,)) for n in counts]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.send((began, time.perf_counter(), latencies, errors[0]))


def load(
    url: str, body: bytes, headers: dict[str, str], count: int, tls: dict[str, str] | None
) -> dict[str, float]:
    context = mp.get_context("spawn")
    per_client = [count // CLIENTS + (1 if i < count % CLIENTS else 0) for i in range(CLIENTS)]
    share = CLIENTS // CLIENT_PROCESSES
    runs = []
    for index in range(CLIENT_PROCESSES):
        receiver, sender = context.Pipe(duplex=False)
        counts = per_client[index * share : (index + 1) * share]
        args = (url, body, headers, counts, tls, sender)
        process = context.Process(target=_client_worker, args=args)
        process.start()
        runs.append((process, receiver))
    results = [receiver.recv() for _, receiver in runs]
    for process, _ in runs:
        process.join()
    began = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    latencies = sorted(lat for r in results for lat in r[2])
    return {
        "requests": len(latencies),
        "errors": sum(r[3] for r in results),
        "req_per_s": len(latencies) / (ended - began),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` so far (the service's workers, this process included)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (proc(5), after the name)
    return ticks / os.sysconf("SC_CLK_TCK")


def show(label: str, figures: dict[str, float], floor: dict[str, float] | None = None) -> None:
    share = f"  {figures['req_per_s'] / floor['req_per_s']:4.2f}x floor" if floor else ""
    cpu = f"  server CPU {figures['cpu_us']:4.0f} us/req" if "cpu_us" in figures else ""
    print(
        f"  {label:26} {figures['req_per_s']:>7.0f} req/s  p50 {figures['p50_ms']:6.2f} ms  "
        f"p99 {figures['p99_ms']:6.2f} ms  errors {figures['errors']:.0f}{cpu}{share}",
        flush=True,
    )


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def _tls_of(service: RunningService, dataset: Dataset) -> dict[str, str]:
    assert service.pki is not None
    creds = service.pki.clients[dataset.client_roles()["onem"].certificate_org]
    return {"ca": str(service.pki.ca_cert), "cert": str(creds.cert), "key": str(creds.key)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds for the medians (default 3)")
    parser.add_argument("--requests", type=int, default=10_000, help="requests per stack and round")
    parser.add_argument(
        "--workers", type=int, default=2, help="server worker processes (default 2)"
    )
    parser.add_argument(
        "--rss-requests", type=int, default=50_000, help="requests for the RSS figure"
    )
    parser.add_argument("--no-tls", action="store_true", help="skip the two-way TLS runs")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-reference-"))
    dataset = Dataset.load()
    sample = samples.for_roles(dataset, "consultEmploymentInfos", "concurrent_cards")
    body, headers = sample.body, sample.headers
    print(
        f"{CLIENTS} keep-alive clients in {CLIENT_PROCESSES} processes; {args.workers} server "
        f"workers; DATA_FOUND request of {len(body)} bytes; {args.rounds} rounds of "
        f"{args.requests} requests per stack"
    )
    services: dict[str, RunningService] = {}
    try:
        common = {"dataset": dataset, "pki_dir": work / "pki", "workers": args.workers}
        services["plain"] = start_in_thread(tls=False, audit_log=work / "plain.jsonl", **common)
        canned = http_post(services["plain"].url, body, headers)
        floor_app = CannedApp(canned)
        services["floor plain"] = start_in_thread(
            tls=False, audit_log=work / "floor.jsonl", app_factory=floor_app, **common
        )
        stacks = ["floor plain", "plain"]
        if not args.no_tls:
            services["tls"] = start_in_thread(tls=True, audit_log=work / "tls.jsonl", **common)
            services["floor tls"] = start_in_thread(
                tls=True, audit_log=work / "floor-tls.jsonl", app_factory=floor_app, **common
            )
            stacks += ["floor tls", "tls"]
        settle_for_serving()  # as `conformance serve` does: this process now only serves
        tls = _tls_of(services["tls"], dataset) if not args.no_tls else None
        tls_for = {name: tls if "tls" in name else None for name in stacks}
        warmup = min(WARMUP, args.requests)
        for name in stacks:  # warm-up: caches, TLS sessions, the workers' first requests
            load(services[name].url, body, headers, warmup, tls_for[name])
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in stacks}
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            for name in stacks:
                pids = services[name].worker_pids()
                before = cpu_seconds(pids)
                figures = load(services[name].url, body, headers, args.requests, tls_for[name])
                # CPU, unlike req/s, does not depend on what else the machine runs at the time.
                figures["cpu_us"] = (cpu_seconds(pids) - before) / figures["requests"] * 1e6
                rounds[name].append(figures)
                show(name, figures)
        print(f"medians over {args.rounds} rounds (the floor is the same stack, canned bytes):")
        medians = {name: median_of(rounds[name]) for name in stacks}
        show("floor, plain HTTP", medians["floor plain"])
        show("reference, plain HTTP", medians["plain"], medians["floor plain"])
        if not args.no_tls:
            show("floor, two-way TLS", medians["floor tls"])
            show("reference, two-way TLS", medians["tls"], medians["floor tls"])
        for stack in (name for name in stacks if not name.startswith("floor ")):
            app_us = medians[stack]["cpu_us"] - medians[f"floor {stack}"]["cpu_us"]
            print(f"  the application's own server CPU, {stack}: {app_us:.0f} us per request")
        _rss_run(services["plain"], body, headers, args.rss_requests)
        sent = warmup + args.rounds * args.requests + args.rss_requests + 1
        print(
            f"audit entries, plain: {len(read_entries(services['plain'].audit_log))} "
            f"for {sent} requests sent"
        )
    finally:
        for service in services.values():
            service.stop()
    return 0


def _rss_run(service: RunningService, body: bytes, headers: dict[str, str], count: int) -> None:
    pids = service.worker_pids()
    rss = [rss_kib(pids)]
    for half in (count // 2, count - count // 2):
        figures = load(service.url, body, headers, half, None)
        rss.append(rss_kib(pids))
        show(f"plain, {half} for RSS", figures)
    print(
        f"server RSS (all {len(pids)} workers): {rss[0]} KiB before, then {rss[1]} and {rss[2]} "
        f"KiB after each half of {count} ({rss[2] - rss[0]:+d} KiB in all, "
        f"{rss[2] - rss[1]:+d} KiB over the second half)"
    )


def http_post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("POST", parts.path, body=body, headers=headers)
        return conn.getresponse().read()
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
