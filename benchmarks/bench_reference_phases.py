"""Where one DATA_FOUND request's time goes inside the reference application, phase by phase.

    .venv/bin/python benchmarks/bench_reference_phases.py [--n 5000] [--rounds 5]
        [--warmup 200] [--phase NAME]

One process, no HTTP: each phase is the application's own function, called ``--n`` times on
the same parsed request, timed with ``time.process_time`` (CPU, steadier than wall time on a
shared machine); medians over ``--rounds``. Then the whole WSGI call of the application, beside
its floor, the same call answering canned bytes. What the whole costs beyond the phases is
the application's glue (the gateway checks, the exchange record, the WSGI call).
The figures explain ``bench_reference.py``'s share of the floor (issue 10); they assert nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance import soap
from conformance.reference import responses, samples
from conformance.reference.app import ReferenceApp
from conformance.reference.audit import AuditEntry, AuditLog, decode
from conformance.reference.chain import Call, identification_of, process
from conformance.reference.dataset import Dataset
from conformance.reference.http11 import parse_head
from conformance.reference.workers import settle_for_serving
from conformance.reference.wsgi_bridge import WsgiApp, call, environ_of
from conformance.xmlsafe import REQUEST_LIMITS, parse_untrusted

PHASES = (
    *("parse", "envelope", "request-xsd", "identify", "chain"),
    *("answer", "answer-xsd", "wrap", "audit"),
)


def per_call_us(fn: Callable[[], object], n: int, rounds: int, warmup: int) -> float:
    for _ in range(warmup):  # caches, the first allocations
        fn()
    figures = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            fn()
        figures.append((time.process_time() - start) / n * 1e6)
    return statistics.median(figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="calls per phase and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds for the medians")
    parser.add_argument("--warmup", type=int, default=200, help="calls before timing")
    parser.add_argument(
        "--phase", choices=[*PHASES, "whole", "floor"], help="time this phase alone"
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-phases-"))
    dataset = Dataset.load()
    sample = samples.for_roles(dataset, "consultEmploymentInfos", "concurrent_cards")
    app = ReferenceApp(dataset, AuditLog(work / "audit.jsonl"), tls=False)
    contract, policy = app.contract, app.policy
    operation = contract.operations["consultEmploymentInfos"]
    root = parse_untrusted(sample.body, limits=REQUEST_LIMITS)
    payload = soap.read(root).payload
    assert payload is not None
    client = dataset.organisation_identified_by(identification_of(payload))
    assert client is not None
    verdict = process(Call(operation.name, payload, client, None), dataset, policy)
    results = responses.ResultCache()

    def answer() -> bytes:
        ticket, received = responses.new_ticket(), responses.now()
        return responses.business_answer(
            contract, operation, payload, verdict, ticket, received, results=results
        )

    written = answer()
    body = soap.wrap_serialised(written)
    entry = AuditEntry(
        responses.new_ticket(),
        "t",
        "now",
        "POST",
        app.path,
        operation.name,
        client.id,
        200,
        verdict.code,
        decode(sample.body),
        decode(body),
    )
    phases: dict[str, tuple[str, Callable[[], object]]] = {
        "parse": (
            "parse with limits (xmlsafe)",
            lambda: parse_untrusted(sample.body, limits=REQUEST_LIMITS),
        ),
        "envelope": ("read the envelope (soap.read)", lambda: soap.read(root)),
        "request-xsd": ("request XSD validation", lambda: contract.validate(payload)),
        "identify": (
            "identify the organisation",
            lambda: dataset.organisation_identified_by(identification_of(payload)),
        ),
        "chain": (
            "business chain (chain.process)",
            lambda: process(Call(operation.name, payload, client, None), dataset, policy),
        ),
        "answer": ("write the answer (ticket, bytes)", answer),
        "answer-xsd": ("parse and validate the answer", lambda: contract.parse_valid(written)),
        "wrap": ("wrap in the envelope", lambda: soap.wrap_serialised(written)),
        "audit": ("audit line (JSON, locked write)", lambda: app.audit.write(entry)),
    }
    # The environ as the server builds it from the request's head, for each call.
    head = parse_head(_head(app.path, sample.body, sample.headers))
    floor = _canned(body)
    whole = {
        "whole": lambda: call(app, environ_of(head, sample.body, scheme="http", peer_org=None)),
        "floor": lambda: call(floor, environ_of(head, sample.body, scheme="http", peer_org=None)),
    }
    settle_for_serving()  # as a worker does: start-up objects leave the collector's sight
    if args.phase:  # one phase alone, e.g. under valgrind (docs/benchmarks.md)
        fn = phases[args.phase][1] if args.phase in phases else whole[args.phase]
        cost = per_call_us(fn, args.n, args.rounds, args.warmup)
        print(f"{args.phase}: {cost:.1f} us per call (median of {args.rounds} rounds)")
        return 0
    print(
        f"DATA_FOUND request of {len(sample.body)} bytes, answer of {len(body)} bytes; "
        f"{args.rounds} rounds of {args.n} calls; CPU us per call (median)"
    )
    total = 0.0
    for label, fn in phases.values():
        cost = per_call_us(fn, args.n, args.rounds, args.warmup)
        total += cost
        print(f"  {label:36s} {cost:7.1f}")
    figures = {k: per_call_us(fn, args.n, args.rounds, args.warmup) for k, fn in whole.items()}
    print(f"  {'sum of the phases':36s} {total:7.1f}")
    # Beyond the phases: the gateway's checks, the exchange record, the WSGI call, and the
    # phases sharing caches with each other instead of running alone on warm data.
    rest = figures["whole"] - total - figures["floor"]
    print(f"  {'the rest of the whole call':36s} {rest:7.1f}")
    print(
        f"whole application call: {figures['whole']:.1f} us; its floor, the same call "
        f"answering canned bytes: {figures['floor']:.1f} us"
    )
    app.audit.close()
    return 0


def _head(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _canned(body: bytes) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return app


if __name__ == "__main__":
    raise SystemExit(main())
