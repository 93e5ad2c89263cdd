"""End to end: ``conformance load`` on Locust, on loopback.

Distributed: a master and 2 worker processes against the embedded reference for a few seconds.
Every request the workers sent is in the merged SLA samples, and the reference's audit log has
exactly as many lines; no check failed; the SLA report, its plots and Locust's files are written.
Against a reference with a deliberate defect, wrong answers are Locust failures named by the
check that caught them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference.server import start_in_thread

pytestmark = pytest.mark.slow


def _load(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", "--report-dir", "out", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_master_and_two_workers_against_the_reference(tmp_path: Path) -> None:
    result = _load(
        tmp_path, "--workers", "2", "--users", "4", "--spawn-rate", "4", "--run-time", "3s"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path / "out"
    sla = json.loads((out / "sla.json").read_text())
    load = sla["load"]
    assert load["workers"] == 2 and load["missing_workers"] == [] and load["check_failures"] == {}
    assert sla["samples"] > 0
    assert sla["samples"] == load["reference_answers"], "every answer merged, none twice"
    assert set(sla["operations"]) == {"consultEmploymentInfos", "consultSpecialInfos"}
    for name in ("sla.md", "sla.png", "sla-trend.png", "locust_stats.csv", "locust.html"):
        assert (out / name).stat().st_size > 0, name
    assert any(line.startswith("SLA (TSS 7): ") for line in result.stdout.splitlines())
    assert "requests" in result.stdout  # the live progress lines


@pytest.fixture
def defect_endpoint(tmp_path: Path) -> Iterator[str]:
    service = start_in_thread(
        tls=False, defect="status_description_mismatch", audit_log=tmp_path / "audit.jsonl"
    )
    yield service.url
    service.stop()


def test_wrong_answers_are_failures_named_by_their_check(
    tmp_path: Path, defect_endpoint: str
) -> None:
    result = _load(
        tmp_path, "--endpoint", defect_endpoint, "--max-rps", "40",
        "--i-know-this-is-not-the-reference", "--users", "2", "--requests", "40",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    failures = json.loads((tmp_path / "out" / "sla.json").read_text())["load"]["check_failures"]
    # One row per operation and broken rule, e.g. "consultEmploymentInfos: status.description:
    # Status description of MSG00000": status/description against the TSS table.
    assert failures and all("status.description: " in name for name in failures), failures
    assert "  failure: " in result.stdout
    stats = (tmp_path / "out" / "locust_failures.csv").read_text()
    assert "status.description: " in stats


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append((int(stat.parent.name), cmdline))
    return found


def test_a_worker_killed_mid_run_is_reported_and_the_run_ends(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    argv = [sys.executable, "-m", "conformance.cli", "load", "--report-dir", "out"]
    argv += ["--workers", "2", "--users", "2", "--run-time", "15s"]
    process = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the live progress: the workers are sending
            if line.startswith("[") and " requests 0 " not in line:
                break
        workers = [pid for pid, cmd in _children(process.pid) if '"role": "worker"' in cmd]
        assert len(workers) == 2
        os.kill(workers[0], 9)  # one of the processes this test started
        out, err = process.communicate(timeout=200)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, out[-2000:] + err[-2000:]
    assert "exited with code -9" in err
    assert (tmp_path / "out" / "sla.json").is_file()  # the other worker's samples are reported
