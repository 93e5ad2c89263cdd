"""Bounded load on the reference service: throughput, latency, memory and audit completeness.

    .venv/bin/python benchmarks/bench_reference.py [--requests 20000] [--rss-requests 50000]

Eight keep-alive clients (threads with ``http.client``) run in a separate process, so they do
not share the server's GIL, and send the same DATA_FOUND request. Printed, for each stack:

* floor: the same cheroot server returning canned bytes (what the HTTP stack alone costs);
* plain HTTP and two-way TLS: the reference service;
* server RSS after a warm-up and after ``--rss-requests`` requests, and audit entries vs sent.

Targets over plain HTTP: >= 1,000 req/s, p99 < 20 ms, no RSS growth, audit entries == sent.
Figures depend on the machine: this prints them, it does not assert them.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cheroot import wsgi

from conformance.reference import samples
from conformance.reference.audit import read_entries
from conformance.reference.dataset import Dataset
from conformance.reference.server import start_in_thread

CLIENTS = 8
WARMUP = 1000


def _client_worker(
    url: str, body: bytes, headers: dict[str, str], count: int, tls: dict[str, str] | None, out: Any
) -> None:
    """One client process: ``CLIENTS`` threads share ``count`` requests; sends back latencies."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = [count // CLIENTS + (1 if i < count % CLIENTS else 0) for i in range(CLIENTS)]

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

    threads = [threading.Thread(target=run, args=(n,)) for n in per_thread]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.send((time.perf_counter() - began, latencies, errors[0]))


def load(
    url: str, body: bytes, headers: dict[str, str], count: int, tls: dict[str, str] | None
) -> dict[str, float]:
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_client_worker, args=(url, body, headers, count, tls, sender))
    process.start()
    elapsed, latencies, errors = receiver.recv()
    process.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def _floor(canned: bytes) -> tuple[wsgi.Server, str]:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(canned)))],
        )
        return [canned]

    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=16)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    host, port = server.bind_addr[:2]
    return server, f"http://{host}:{port}/ForeignerSituationService/v1/consult"


def show(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:28} {figures['requests']:>7.0f} req  {figures['req_per_s']:>7.0f} req/s  "
        f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
        f"errors {figures['errors']:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=20_000, help="requests per stack (default 20000)"
    )
    parser.add_argument(
        "--rss-requests", type=int, default=50_000, help="requests for the RSS figure"
    )
    parser.add_argument("--no-tls", action="store_true", help="skip the two-way TLS run")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-reference-"))
    dataset = Dataset.load()
    sample = samples.for_roles(dataset, "consultEmploymentInfos", "concurrent_cards")
    print(
        f"{CLIENTS} keep-alive clients in a separate process; "
        f"DATA_FOUND request of {len(sample.body)} bytes"
    )

    plain = start_in_thread(dataset=dataset, tls=False, audit_log=work / "plain.jsonl")
    try:
        canned = http_post(plain.url, sample.body, sample.headers)
        floor_server, floor_url = _floor(canned)
        try:
            show(
                "floor (cheroot, canned)",
                load(floor_url, sample.body, sample.headers, args.requests, None),
            )
        finally:
            floor_server.stop()
        load(plain.url, sample.body, sample.headers, WARMUP, None)
        # Two halves: growth over the second half, once caches are warm, is what a leak shows.
        rss = [rss_kib()]
        sent = 1 + WARMUP
        for half in (args.rss_requests // 2, args.rss_requests - args.rss_requests // 2):
            figures = load(plain.url, sample.body, sample.headers, half, None)
            rss.append(rss_kib())
            sent += int(figures["requests"])
            show("reference, plain HTTP", figures)
        print(
            f"server RSS: {rss[0]} KiB after {WARMUP} warm-up requests, then {rss[1]} and "
            f"{rss[2]} KiB after each half of {args.rss_requests} "
            f"({rss[2] - rss[0]:+d} KiB in all, "
            f"{rss[2] - rss[1]:+d} KiB over the second half)"
        )
        print(f"audit entries: {len(read_entries(plain.audit_log))} for {sent:.0f} requests sent")
    finally:
        plain.stop()
    if not args.no_tls:
        secure = start_in_thread(
            dataset=dataset, tls=True, pki_dir=work / "pki", audit_log=work / "tls.jsonl"
        )
        try:
            assert secure.pki is not None
            creds = secure.pki.clients[dataset.client_roles()["onem"].certificate_org]
            tls = {"ca": str(secure.pki.ca_cert), "cert": str(creds.cert), "key": str(creds.key)}
            show(
                "reference, two-way TLS",
                load(secure.url, sample.body, sample.headers, args.requests, tls),
            )
        finally:
            secure.stop()
    return 0


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
