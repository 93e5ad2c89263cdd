"""End to end: `conformance run` writes reports that keep NISS values and secrets where they
belong (issue 5 item 6), bundles each failed case at once, and survives Ctrl-C."""

from __future__ import annotations

import base64
import http.server
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import throwaway_client
import yaml
from niss_oracle import readable_niss

from conformance import paths
from conformance.reports import outcomes_file
from conformance.reports.session import BUNDLES_DIR

DATASET = paths.data_dir() / "datasets" / "reference.yaml"
CANNED = (
    paths.xsd_dir() / "examples" / "valid" / "response_employment_cards_only.xml"
).read_bytes()

pytestmark = pytest.mark.slow


def _dataset_ssins() -> set[str]:
    """Every 11-digit value of the reference dataset (ssin, replaced_by, ...)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, str) and re.fullmatch(r"\d{11}", node):
            found.add(node)

    walk(yaml.safe_load(DATASET.read_text()))
    assert len(found) > 5  # the dataset really holds NISS values
    return found


# Allure 3's single-file report embeds each data file base64-encoded: d("data/x.json","eyJ...")
_EMBEDDED = re.compile(rb'd\("([^"]+)","([A-Za-z0-9+/=]+)"\)')


def _artefacts(report_dir: Path) -> dict[str, bytes]:
    """Every file under ``report_dir``, and the data files a single-file HTML embeds, decoded."""
    found = {
        str(p.relative_to(report_dir)): p.read_bytes() for p in report_dir.rglob("*") if p.is_file()
    }
    for name, data in list(found.items()):
        if name.endswith(".html"):
            for inner, encoded in _EMBEDDED.findall(data):
                found[f"{name}!{inner.decode()}"] = base64.b64decode(encoded)
    return found


def _leaks(report_dir: Path, ssins: set[str]) -> list[tuple[str, str]]:
    return [
        (name, s)
        for name, data in _artefacts(report_dir).items()
        for s in ssins
        if s.encode() in data
    ]


def _command(report_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir), *args]


def _run(report_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(report_dir, *args), capture_output=True, text=True, timeout=600)


def _no_secrets(report_dir: Path) -> None:
    for name, data in _artefacts(report_dir).items():
        if _throwaway_key(name):
            continue
        assert b"PRIVATE KEY" not in data, name


def _throwaway_key(name: str) -> bool:
    """The key of a certificate the run made for a TLS case (docs/client-certificates.md):
    kept unless masking is on, so the reproduction works; no one trusts its certificate."""
    parts = Path(name).parts
    return len(parts) == 3 and parts[0] == "client-certificates" and parts[2] == "client.key"


def test_reference_run_niss_only_without_mask(tmp_path: Path) -> None:
    ssins = _dataset_ssins()
    plain, masked = tmp_path / "plain", tmp_path / "masked"
    assert _run(plain).returncode == 0
    assert _run(masked, "--mask-ssin").returncode == 0
    assert _leaks(plain, ssins), "the plain run should show the dataset's NISS values"
    assert _leaks(masked, ssins) == []
    masks = b"".join(_artefacts(masked).values())
    assert re.search(rb"\d\d#[0-9a-f]{8}", masks)  # masked, not dropped: still readable
    # No hole: nothing whose check digits match either century, whatever its date (issue 12).
    holes = {n: readable_niss(d) for n, d in _artefacts(masked).items() if readable_niss(d)}
    assert holes == {}
    # The TLS cases' throwaway certificates stay for the reproduction; their keys only unmasked.
    assert list(plain.glob("client-certificates/*/client.pem"))
    assert list(plain.glob("client-certificates/*/client.key"))
    assert list(masked.glob("client-certificates/*/client.pem"))
    assert not list(masked.glob("client-certificates/*/client.key"))
    for folder in (plain, masked):
        _no_secrets(folder)
        for name in (
            "junit.xml",
            "coverage.json",
            "coverage.md",
            "allure-results/environment.properties",
            "allure-results/categories.json",
            "allure-results/bcss-coverage-globals.json",
        ):
            assert (folder / name).is_file(), name
    properties = (plain / "allure-results" / "environment.properties").read_text()
    for key in ("environment=", "endpoint=", "harness.version=", "client.organisation=", "xsd."):
        assert key in properties, key
    _every_case_is_labelled_with_evidence(plain / "allure-results")


def _every_case_is_labelled_with_evidence(results: Path) -> None:
    """Issue 5 item 1 on a real run: labels, TSS link, request/response, reproduction, seed."""
    found = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(found) > 40
    seeds = 0
    for result in found:
        labels = {label["name"]: label["value"] for label in result["labels"]}
        assert labels["epic"] == "ForeignerSituationService v1", result["name"]
        assert labels["feature"] in ("consultEmploymentInfos", "consultSpecialInfos", "raw")
        assert labels["story"] and labels["severity"] and "tag" in labels, result["name"]
        assert [link["type"] for link in result["links"]] == ["tss"], result["name"]
        attached = {a["name"]: (results / a["source"]).read_text() for a in result["attachments"]}
        assert "request" in attached and any(
            n.startswith(("response", "no response")) for n in attached
        )
        assert "curl " in attached["reproduce"], result["name"]
        if "hypothesis seed" in attached:
            seeds += 1
            seed = attached["hypothesis seed"].split("--hypothesis-seed=")[1].split()[0]
            assert f"--hypothesis-seed={seed}" in attached["reproduce"]
    assert seeds > 0  # the generated cases


class _Canned(http.server.BaseHTTPRequestHandler):
    """A wrong service: the same DATA_FOUND answer to everything. ``gate`` can hold requests."""

    hits = 0
    body = CANNED
    hold_after: int | None = None
    gate = threading.Event()
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            type(self).hits += 1
            hold = self.hold_after is not None and self.hits > self.hold_after
        if hold:
            self.gate.wait(timeout=60)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        except OSError:  # the interrupted client went away
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _wrong_service(
    hold_after: int | None = None, body: bytes = CANNED
) -> Iterator[tuple[str, type[_Canned]]]:
    handler = type(
        "Handler",
        (_Canned,),
        {
            "hits": 0,
            "body": body,
            "hold_after": hold_after,
            "gate": threading.Event(),
            "lock": threading.Lock(),
        },
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_address[1]}/ForeignerSituationService/v1/consult",
            handler,
        )
    finally:
        handler.gate.set()
        server.shutdown()
        server.server_close()


def test_failing_run_bundles_every_failed_case_masked(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _wrong_service() as (url, _handler):
        # Every case but the generated ones (Hypothesis shrinks each failure: slow), save one
        # whose NISS is generated, so masking must work beyond the dataset's values.
        only = "not gen- or gen-unknown-niss"
        done = _run(report_dir, "--endpoint", url, "--mask-ssin", "--", "-k", only)
    assert done.returncode == 1
    bundles = sorted((report_dir / BUNDLES_DIR).iterdir())
    failed = [
        line["case_id"] for line in outcomes_file.read(report_dir) if line["outcome"] == "failed"
    ]
    assert failed and len(bundles) == len(failed)
    for bundle in bundles:
        names = {p.name for p in bundle.iterdir()}
        assert {"README.txt", "request.xml", "response.xml"} <= names, bundle.name
        assert "3f2b8c1e-7a4d-4e9b-9c2a-5d1e8f0a6b37" in (bundle / "README.txt").read_text()
    assert _leaks(report_dir, _dataset_ssins()) == []
    generated = (report_dir / BUNDLES_DIR / "gen-unknown-niss" / "request.xml").read_text()
    assert re.search(r"<ssin>\d\d#[0-9a-f]{8}</ssin>", generated)
    _no_secrets(report_dir)
    assert "❌ failed" in (report_dir / "coverage.md").read_text()


def test_a_reused_report_folder_shows_this_run_only(tmp_path: Path) -> None:
    """A case that failed in the previous run and passes now leaves no bundle, and the Allure
    results hold this run's result only (not the earlier one as a retry)."""
    only = ["--", "-k", "msg00007-canceled", "--allow-partial"]
    assert _run(tmp_path, "--defect", "canceled_as_unknown", *only).returncode == 1
    assert (tmp_path / BUNDLES_DIR / "msg00007-canceled" / "README.txt").is_file()
    assert _run(tmp_path, *only).returncode == 0
    assert list((tmp_path / BUNDLES_DIR).iterdir()) == []
    results = [
        json.loads(p.read_text()) for p in (tmp_path / "allure-results").glob("*-result.json")
    ]
    assert [r["status"] for r in results] == ["passed"]


@contextmanager
def _children_hear_ctrl_c() -> Iterator[None]:
    """A shell starts a background job with SIGINT ignored (POSIX), and an ignored signal stays
    ignored across exec: a suite started that way would start a child deaf to Ctrl-C. A handled
    signal is reset to its default by exec, so this process handles it while the child starts."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignores_sigint(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():  # not Linux: nothing to tell
        return False
    ignored = next(line for line in status.read_text().splitlines() if line.startswith("SigIgn"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_keeps_matrix_and_bundles_so_far(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _wrong_service(hold_after=3) as (url, handler):
        command = _command(report_dir, "--endpoint", url)
        with _children_hear_ctrl_c():
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert not _ignores_sigint(process.pid), "the run started with SIGINT ignored"
        for _ in range(600):  # bounded: until the run is stuck on the held request
            if handler.hits > 3 or process.poll() is not None:
                break
            time.sleep(0.1)
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signal.SIGINT)
        handler.gate.set()
        output, _ = process.communicate(timeout=120)
    assert process.returncode != 0, output
    matrix = (report_dir / "coverage.md").read_text()
    assert "interrupted" in matrix and "not run" in matrix, output.decode(errors="replace")[-4000:]
    assert len(list((report_dir / BUNDLES_DIR).glob("*/README.txt"))) >= 1


def test_report_mask_ssin_masks_an_unmasked_run_its_history_and_html(tmp_path: Path) -> None:
    """A failing run rendered unmasked (single file and multi-file, so history.jsonl holds the
    failure messages), then rendered again with --mask-ssin: no NISS left anywhere, including
    the history and the data the single-file HTML embeds."""
    from conformance.reports import html

    try:
        html.ensure_allure()
    except html.AllureUnavailable as exc:
        pytest.skip(f"Allure 3 cannot be had here: {exc}")
    ssins = _dataset_ssins()
    assert _run(tmp_path, "--defect", "canceled_as_unknown").returncode == 1
    report = [sys.executable, "-m", "conformance.cli", "report", "--report-dir", str(tmp_path)]
    single = subprocess.run([*report, "--single-file"], capture_output=True, timeout=600)
    assert single.returncode == 0, single.stderr
    assert _leaks(tmp_path / html.SINGLE_DIR, ssins), "the unmasked HTML should show them"
    assert subprocess.run(report, capture_output=True, timeout=600).returncode == 0
    assert _leaks(tmp_path / html.MULTI_DIR, ssins)
    history = (tmp_path / html.HISTORY_FILE).read_bytes()
    assert any(s.encode() in history for s in ssins), "the history keeps failure messages"
    masked = subprocess.run([*report, "--single-file", "--mask-ssin"], capture_output=True)
    assert masked.returncode == 0, masked.stderr
    assert _leaks(tmp_path, ssins) == []
    assert (tmp_path / html.SINGLE_DIR / "index.html").is_file()


P12_PASSWORD = "p12-Pa$$word-e2e"
P12_VAR = "BCSS_E2E_P12_PASSWORD"


def _p12(path: Path) -> None:
    """A self-signed client certificate and key as PKCS#12, protected by P12_PASSWORD."""
    path.write_bytes(throwaway_client.client_files(P12_PASSWORD.encode(), "e2e client")["p12"])


def test_p12_password_of_the_environment_never_reaches_an_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint that echoes the client's PKCS#12 password (and a private key) in its answer:
    neither may reach junit, allure results and attachments, bundles or the matrix."""
    monkeypatch.setenv(P12_VAR, P12_PASSWORD)
    _p12(tmp_path / "client.p12")
    leaky = CANNED.replace(
        b"<soapenv:Header/>",
        f"<soapenv:Header><debug>{P12_PASSWORD}\n-----BEGIN PRIVATE KEY-----\nAAAA\n"
        "-----END PRIVATE KEY-----</debug></soapenv:Header>".encode(),
        1,
    )
    assert leaky != CANNED
    report_dir = tmp_path / "reports"
    with _wrong_service(body=leaky) as (url, _handler):
        environment = {
            "name": "e2e",
            "endpoint": url,
            "clients": {
                "onem": {
                    "customer_identification": {"cbeNumber": "0206737484"},
                    "legal_context": "NEO:UNEMPLOYMENT",
                    "p12": "client.p12",
                    "p12_password_env": P12_VAR,
                }
            },
            "persons": {"canceled": "79071525335"},
        }
        env_file = tmp_path / "e2e.yaml"
        env_file.write_text(yaml.safe_dump(environment), encoding="utf-8")
        done = _run(report_dir, "--env", str(env_file), "--", "-k", "msg00007-canceled")
        # Without the controller's final pass (as when a run is killed outright), the
        # attachments written inside the test are already scrubbed.
        raw = tmp_path / "no-final-pass"
        args = ["--env", str(env_file), "--", "-k", "msg00007-canceled"]
        _run(raw, *args, "-p", "no:conformance-controller")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    attachments = list((raw / "allure-results").glob("*-attachment*"))
    assert attachments
    assert not [p for p in attachments if P12_PASSWORD.encode() in p.read_bytes()]
    assert (report_dir / BUNDLES_DIR / "msg00007-canceled" / "response.xml").is_file()
    artefacts = _artefacts(report_dir)
    assert any(name.startswith("allure-results/") for name in artefacts)
    assert (
        b"[secret removed]"
        in (report_dir / BUNDLES_DIR / "msg00007-canceled" / "response.xml").read_bytes()
    )
    leaks = [name for name, data in artefacts.items() if P12_PASSWORD.encode() in data]
    assert leaks == []
    _no_secrets(report_dir)
