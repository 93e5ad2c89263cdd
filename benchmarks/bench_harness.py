"""Per-exchange overhead of the harness against a raw replay, on the embedded reference service.

Harness path: ``RequestFactory.build`` + ``Transport.send`` + ``run_checks`` (schema validation,
C14N echo compares, table look-ups...). Raw path: the same recorded request bytes replayed over one
keep-alive two-way TLS connection with ``http.client``, response read, nothing checked. Both run
interleaved against the same service, so machine noise hits them alike. Clients, schemas and the
zeep client are built once, as in a real session. Target: median ratio <= 2.0.

Run:  .venv/bin/python benchmarks/bench_harness.py [--n 300]
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import statistics
import time
from urllib.parse import urlsplit

from conformance.harness.checks import run_checks
from conformance.harness.client import RequestFactory
from conformance.harness.environment import load_environment
from conformance.harness.expectation import Expectation
from conformance.harness.transport import Transport

GROUPS = {"employmentCards": True, "workPermits": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="exchanges per path (default 300)")
    parser.add_argument("--person", default="concurrent_cards", help="person role to consult")
    args = parser.parse_args()

    with load_environment("reference") as handle:
        env = handle.environment
        contract = env.contract()
        factory = RequestFactory(env, contract)
        client, person = env.client("onem"), env.person(args.person)
        expectation = Expectation(
            "consultEmploymentInfos",
            status=("DATA_FOUND", "MSG00000"),
            data_groups=GROUPS,
            requested_ssin=person.ssin,
            final_ssin=person.final_ssin,
        )
        with Transport(env) as transport:
            recorded = factory.build("consultEmploymentInfos", client, person.ssin, GROUPS)
            raw = _raw_connection(
                env.endpoint, str(env.ca_bundle), str(client.cert), str(client.key)
            )
            path = urlsplit(env.endpoint).path

            def harness_once() -> float:
                t0 = time.perf_counter()
                request = factory.build("consultEmploymentInfos", client, person.ssin, GROUPS)
                exchange = transport.send(request, client)
                report = run_checks(exchange, expectation, contract)
                elapsed = time.perf_counter() - t0
                if not report.passed:  # a benchmark of a failing exchange measures nothing
                    raise SystemExit(f"harness check failed: {report.failures[0]}")
                return elapsed

            def raw_once() -> float:
                t0 = time.perf_counter()
                raw.request("POST", path, body=recorded.body, headers=recorded.headers)
                response = raw.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - t0
                if response.status != 200 or not body:
                    raise SystemExit(f"raw replay failed: HTTP {response.status}")
                return elapsed

            for _ in range(20):  # warm-up: TLS handshakes, zeep and schema caches
                harness_once()
                raw_once()
            harness_times, raw_times = [], []
            for _ in range(args.n):
                harness_times.append(harness_once())
                raw_times.append(raw_once())
            raw.close()

    h, r = statistics.median(harness_times), statistics.median(raw_times)
    print(f"exchanges per path      : {args.n} (interleaved, person {args.person})")
    print(f"raw replay   median     : {r * 1000:.2f} ms   p90 {_p90(raw_times) * 1000:.2f} ms")
    print(f"harness      median     : {h * 1000:.2f} ms   p90 {_p90(harness_times) * 1000:.2f} ms")
    print(f"harness overhead median : {(h - r) * 1000:.2f} ms per exchange")
    print(f"ratio harness / raw     : {h / r:.2f} (target <= 2.0)")
    return 0 if h / r <= 2.0 else 1


def _raw_connection(url: str, ca: str, cert: str, key: str) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    parts = urlsplit(url)
    return http.client.HTTPSConnection(
        parts.hostname or "", parts.port, context=context, timeout=30
    )


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    raise SystemExit(main())
