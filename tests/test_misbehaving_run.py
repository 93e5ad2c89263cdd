"""Whole runs (``conformance run``) against misbehaving endpoints of our own (tests/stubs.py):
every behaviour of issue 14's list ends quickly with the right exit code (6: down, stopped at the
preflight; 1: wrong, its cases fail), a reason that names the problem, and no case passed.

Small timeouts (connect 0.5 s, read 1 s) and a few cases per run (a plain case, a fault case, a
generated case, a TLS case), with ``--allow-partial`` so that exit 1 means a case failed, not
a coverage gap, and the ``selfcheck`` Hypothesis profile (no shrinking). The transport-level
details are in test_transport_misbehaving.py.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stubs
from lxml import etree

from conformance import soap
from conformance.contract import EMPLOYMENT_INFOS
from conformance.reference import samples
from conformance.reference.dataset import Dataset
from conformance.reference.server import start_in_thread

pytestmark = pytest.mark.slow

CONNECT, READ = 0.5, 1.0
CASES = "msg00000-employment-infos or msg00004-malformed-xml or gen-unknown-niss or tls-no-client"
DOWN, WRONG = 6, 1
XML = (("Content-Type", "text/xml; charset=utf-8"),)
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


@dataclass(frozen=True)
class Endpoint:
    url: str
    ca: Path | None = None


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, stubs.Pem]:
    folder = tmp_path_factory.mktemp("stub-pki")
    ca_pem, ca_key, ca_cert = stubs.make_ca(folder, "stub-ca")
    other = stubs.make_ca(folder, "other-ca")[0]
    return {
        "ca": ca_pem,
        "other-ca": other,
        "server": stubs.issue(folder, "server", (ca_key, ca_cert)),
        "wrong-name": stubs.issue(folder, "wrong", (ca_key, ca_cert), san_ip=None, san_dns="x.be"),
        "expired": stubs.issue(folder, "expired", (ca_key, ca_cert), expired=True),
    }


@pytest.fixture(scope="module")
def cached_answer(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One real DATA_FOUND answer of the reference: what a caching gateway replays forever."""
    service = start_in_thread(tls=False, audit_log=tmp_path_factory.mktemp("a") / "audit.jsonl")
    try:
        sample = samples.for_roles(Dataset.load(None), EMPLOYMENT_INFOS, "concurrent_cards")
        host, _, rest = service.url.removeprefix("http://").partition("/")
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.request("POST", "/" + rest, sample.body, dict(sample.headers))
        body = conn.getresponse().read()
        conn.close()
    finally:
        service.stop()
    assert b"DATA_FOUND" in body
    return body


def _fault(code: str, *, detail: bool) -> bytes:
    if not detail:
        return soap.fault_envelope("soapenv:Client", "Client error", None)
    block = etree.fromstring(
        f"<detail><severity>FATAL</severity><reasonCode>{code}</reasonCode>"
        "<diagnostic>x</diagnostic><authorCode>x</authorCode></detail>"
    )
    return soap.fault_envelope("soapenv:Client", "Client error", block)


_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %c "&%c;&%c;&%c;&%c;">' % (c, c - 1, c - 1, c - 1, c - 1) for c in b"bcdefg"
    )
    + b"]><l>&g;</l>"
)
_XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
_SOAP12 = stubs.SOAP.replace(b"http://schemas.xmlsoap.org/soap/envelope/", NS_SOAP12.encode())

Make = Callable[[bytes], stubs.Behaviour]  # from the cached reference answer


@dataclass(frozen=True)
class Row:
    make: Make | None  # None: nothing listens
    exit_code: int
    reason: str  # a fragment the run's output must hold
    scheme: str = "http"
    server: str = ""  # TLS: the server certificate, "@CA" for the run's CA bundle, "+client-ca"


def _canned(body: bytes | None = None, status: str = "200 OK", content_type: str = "") -> Make:
    headers = (("Content-Type", content_type),) if content_type else ()
    return lambda answer: stubs.answer(status, answer if body is None else body, headers)


_TEXT_XML = "text/xml; charset=utf-8"
BEHAVIOURS: dict[str, Row] = {
    "refused": Row(None, DOWN, "connection refused"),
    "reset": Row(lambda a: stubs.reset, DOWN, "connection reset"),
    "never-answers": Row(lambda a: stubs.blackhole, DOWN, "no response from"),
    "trickled-status-line": Row(
        lambda a: stubs.trickle(b"HTTP/1.1 200 OK", every=0.2), DOWN, "stuck in the status line"
    ),
    "trickled-headers": Row(
        lambda a: stubs.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: 1\r\n" * 100, every=0.05),
        DOWN,
        "stuck in the headers",
    ),
    "tls-port-speaks-http": Row(lambda a: stubs.http_at_once, DOWN, "does not speak TLS", "https"),
    "tls-unknown-ca": Row(_canned(), DOWN, "(unknown CA)", "https", "server@other-ca"),
    "tls-hostname": Row(_canned(), DOWN, "hostname mismatch", "https", "wrong-name"),
    "tls-expired": Row(_canned(), DOWN, "has expired", "https", "expired"),
    "tls-demands-a-certificate": Row(
        _canned(), DOWN, "demands a client certificate", "https", "server+client-ca"
    ),
    "tls-never-answers": Row(lambda a: stubs.blackhole, DOWN, "no TLS handshake", "https"),
    "html": Row(
        _canned(b"<html><h1>502</h1></html>", content_type="text/html"), WRONG, "text/html"
    ),
    "not-xml": Row(_canned(b"hello", content_type=_TEXT_XML), WRONG, "not well-formed"),
    "truncated-xml": Row(
        lambda a: stubs.answer(body=a[: len(a) // 2], headers=XML), WRONG, "not well-formed"
    ),
    "entity-bomb": Row(_canned(_BOMB, content_type=_TEXT_XML), WRONG, "DTD"),
    "xxe": Row(_canned(_XXE, content_type=_TEXT_XML), WRONG, "DTD"),
    "100-MB-body": Row(lambda a: stubs.endless(100 * 1024 * 1024), WRONG, "oversized response"),
    "wrong-content-type": Row(_canned(content_type="text/plain"), WRONG, "Content-Type"),
    "soap-1.2": Row(_canned(_SOAP12, content_type="application/soap+xml"), WRONG, "SOAP 1.2"),
    "fault-without-detail": Row(
        _canned(_fault("", detail=False), "500 Internal Server Error", _TEXT_XML), WRONG, "detail"
    ),
    "unknown-code": Row(
        _canned(_fault("MSG99999", detail=True), "500 Internal Server Error", _TEXT_XML),
        WRONG,
        "MSG99999",
    ),
    "redirect": Row(
        lambda a: stubs.answer("302 Found", b"", (("Location", "http://elsewhere/"),)), WRONG, "302"
    ),
    "gateway-401": Row(_canned(b"no", "401 Unauthorized"), WRONG, "401"),
    "gateway-403": Row(_canned(b"no", "403 Forbidden"), WRONG, "403"),
    "gateway-503": Row(_canned(b"", "503 Service Unavailable"), WRONG, "503"),
    "gzip": Row(lambda a: stubs.gzipped(), WRONG, "Content-Encoding: gzip"),
    "bad-chunking": Row(lambda a: stubs.bad_chunked(), WRONG, "chunked framing error"),
    "truncated-body": Row(lambda a: stubs.answer(length=10_000), WRONG, "Content-Length"),
    "caching-gateway": Row(_canned(content_type=_TEXT_XML), WRONG, "Echo of"),
}


@pytest.fixture
def endpoint(
    request: pytest.FixtureRequest, pki: dict[str, stubs.Pem], cached_answer: bytes
) -> Iterator[Endpoint]:
    row = BEHAVIOURS[request.param]
    make, scheme, server = row.make, row.scheme, row.server
    if make is None:
        yield Endpoint(f"http://127.0.0.1:{stubs.free_port()}/ForeignerSituationService/v1/consult")
        return
    context, ca_name = None, ""
    if scheme == "https":
        name, _, ca_name = server.partition("@")
        name = name.removesuffix("+client-ca") or "server"
        client_ca = pki["ca"].cert if server.endswith("+client-ca") else None
        context = stubs.server_context(pki[name], client_ca=client_ca)
    stub = stubs.Stub(make(cached_answer), tls=None if "speaks-http" in request.param else context)
    if "never-answers" in request.param:
        stub.tls = None  # accepts TCP and says nothing, not even a TLS byte
    try:
        ca = pki[ca_name or "ca"].cert if scheme == "https" else None
        yield Endpoint(stub.url(scheme), ca)
    finally:
        stub.close()


def _run(folder: Path, target: Endpoint) -> subprocess.CompletedProcess[str]:
    env_file = stubs.environment_file(
        folder, target.url, connect=CONNECT, read=READ, ca_bundle=target.ca
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env["COLUMNS"] = "400"
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file),
         "--report-dir", str(folder / "out"), "--", "-k", CASES, "--allow-partial",
         "--hypothesis-profile=selfcheck"],  # no shrinking: a failure of every example is enough
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("endpoint", list(BEHAVIOURS), indirect=True)
def test_a_misbehaving_endpoint_ends_quickly_with_a_reason_and_no_pass(
    tmp_path: Path, endpoint: Endpoint, request: pytest.FixtureRequest
) -> None:
    name = request.node.callspec.params["endpoint"]
    exit_code, reason = BEHAVIOURS[name].exit_code, BEHAVIOURS[name].reason
    result = _run(tmp_path, endpoint)
    output = result.stdout + result.stderr
    assert result.returncode == exit_code, output[-4000:]
    assert reason in output, output[-4000:]
    assert "Traceback" not in output
    summary = re.search(r"=+ [^=]* in [\d.]+s[^=]* =+", result.stdout)
    if exit_code == DOWN:
        assert summary is None and output.count("endpoint down (preflight") >= 1
    else:
        assert summary and "failed" in summary[0] and "passed" not in summary[0], summary


def test_every_record_listed_twice_fails_the_cases_that_list_them(tmp_path: Path) -> None:
    """The gateway merge bug of issue 14: every card and permit twice passed 52 of 53 cases."""
    service = start_in_thread(
        tls=False, defect="duplicate_records", audit_log=tmp_path / "audit.jsonl"
    )
    try:
        result = _run(tmp_path, Endpoint(service.url))
    finally:
        service.stop()
    output = result.stdout + result.stderr
    assert result.returncode == WRONG, output[-4000:]
    line = "each document once [other] (decision duplicate-records; rule records.duplicate)"
    assert line in output


def test_a_run_killed_from_outside_has_already_printed_why(tmp_path: Path) -> None:
    """Each failure's line is printed, flushed, as the case fails: a run killed mid-way (here
    while its later cases wait for their read timeouts) still shows why."""
    answered = []

    def html_then_silence(conn: socket.socket, stop: threading.Event) -> None:
        answered.append(1)
        if len(answered) <= 2:  # the preflight, then the first case
            body = b"<html><h1>502</h1></html>"
            stubs.answer(body=body, headers=(("Content-Type", "text/html"),))(conn, stop)
        else:
            stubs.blackhole(conn, stop)  # every later case waits for its read timeout

    stub = stubs.Stub(html_then_silence)
    env_file = stubs.environment_file(tmp_path, stub.url(), connect=CONNECT, read=READ)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file),
         "--report-dir", str(tmp_path / "out")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("conformance: ") and " failed: " in line:
                break
        assert proc.poll() is None, "the run ended before it was killed"
    finally:
        proc.kill()
        proc.wait(10)
        stub.close()
    assert "an HTML page" in seen[-1], "".join(seen)
