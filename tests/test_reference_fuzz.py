"""A fuzz run of our own, bounded, seeded and fast: every answer keeps the service's promises.

Byte, structure, XML-attack and HTTP-framing mutations of a valid request (``hostile.py``), sent
one per connection while a slowloris crowd holds connections open; then the service must still
answer a normal client, hold one audit line per answer, and its memory must have come back. The
seed is printed on failure: ``FUZZ_SEED=<seed> pytest tests/test_reference_fuzz.py`` replays it.
``benchmarks/fuzz_reference.py`` is the long run.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from pathlib import Path

from rawhttp import connect, exchange, read_all

from conformance.contract import load_contract
from conformance.reference import hostile, samples
from conformance.reference.connection import HttpLimits
from conformance.reference.dataset import Dataset
from conformance.reference.server import start_in_thread

DATASET = Dataset.load()
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
PATH = "/ForeignerSituationService/v1/consult"
CASES = 200
SLOW_CLIENTS = 20
LIMITS = HttpLimits(idle_s=5.0, head_s=2.0, body_s=2.0, linger_s=0.3)


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _slowloris(base_url: str, stop: threading.Event, refused: list[int]) -> None:
    """Dribble a request head one byte at a time until refused or told to stop (bounded)."""
    data = hostile.post(PATH, GOOD.body, GOOD.headers)
    with connect(base_url) as sock:
        for byte in data[:400]:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    break  # answered (408): read it below
            except BlockingIOError:
                pass
            except OSError:
                break
            time.sleep(0.1)
        received = read_all(sock, 3)
        refused.extend(a.status for a in received.answers)


def test_fuzz_keeps_every_promise(tmp_path: Path) -> None:
    seed = int(os.environ.get("FUZZ_SEED", "1010"))
    rng = random.Random(seed)
    contract = load_contract()
    audit = tmp_path / "audit.jsonl"
    stop = threading.Event()
    refused: list[int] = []
    with start_in_thread(tls=False, audit_log=audit, limits=LIMITS) as service:
        crowd = [
            threading.Thread(target=_slowloris, args=(service.base_url, stop, refused))
            for _ in range(SLOW_CLIENTS)
        ]
        for thread in crowd:
            thread.start()
        exchange(service.base_url, hostile.post(PATH, GOOD.body, GOOD.headers))  # warm-up
        start_rss = _rss_mib()
        answered = 1
        failures = []
        stream = hostile.cases(rng, PATH, GOOD.body, GOOD.headers)
        for number in range(CASES):
            case = next(stream)
            received = exchange(service.base_url, case.data, timeout=10)
            answers = [(a.status, a.headers, a.body) for a in received.answers]
            answered += len(answers)
            broken = hostile.broken_promises(answers, received.rest, contract)
            if broken:
                failures.append(f"case {number} ({case.family}/{case.name}): {broken}")
        [normal] = exchange(service.base_url, hostile.post(PATH, GOOD.body, GOOD.headers)).answers
        answered += 1
        grown = _rss_mib() - start_rss
        stop.set()
        for thread in crowd:
            thread.join(10)
    assert not failures, f"seed {seed}:\n" + "\n".join(failures[:20])
    assert normal.status == 200 and b"MSG00000" in normal.body
    lines = audit.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["ticket_cbss"] for line in lines)  # whole lines only
    # One line per answer, and one per slowloris connection: its 408, or the 400 of a head
    # cut when the crowd was told to stop.
    assert len(lines) == answered + SLOW_CLIENTS, (seed, len(lines), answered)
    assert set(refused) <= {408}
    assert grown < 50, f"seed {seed}: RSS grew by {grown:.0f} MiB"


def _promises_of(defect: str, data: bytes, tmp_path: Path) -> list[str]:
    with start_in_thread(tls=False, audit_log=tmp_path / f"{defect}.jsonl", defect=defect) as bad:
        received = exchange(bad.base_url, data)
    answers = [(a.status, a.headers, a.body) for a in received.answers]
    return hostile.broken_promises(answers, received.rest, load_contract())


def test_the_promises_can_fail(tmp_path: Path) -> None:
    # Against broken services: an invalid business answer, MSG00003 for the client's error.
    good = hostile.post(PATH, GOOD.body, GOOD.headers)
    assert any("invalid 200" in p for p in _promises_of("unknown_element", good, tmp_path))
    garbage = hostile.post(PATH, b"<not-soap/>", GOOD.headers)
    broken = _promises_of("invalid_request_as_internal", garbage, tmp_path)
    assert any("MSG00003" in p for p in broken)
    # And doctored answers: status, Allow, what follows a closing answer, an exception name.
    contract = load_contract()
    close = {"connection": "close"}
    assert hostile.broken_promises([], b"", contract) == ["no answer"]
    assert "undocumented status 418" in hostile.broken_promises([(418, close, b"")], b"", contract)
    assert "405 without Allow: POST" in hostile.broken_promises([(405, {}, b"")], b"", contract)
    after = hostile.broken_promises([(400, close, b""), (200, {}, b"")], b"", contract)
    assert "something was answered or sent after a closing answer" in after
    assert hostile.broken_promises([(408, {}, b"")], b"", contract) == [
        "refusal 408 without Connection: close"
    ]
    named = hostile.broken_promises([(400, close, b"bad: ValueError")], b"", contract)
    assert named == ["an exception name in a 400 answer"]
