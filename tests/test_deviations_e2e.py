"""Issue 9, done when: an endpoint making choice 1, 2 or 3 (readings the TSS permits) gets a run
that exits 0 with the case reported as a deviation naming its decision id; the same endpoint
under ``decisions: enforce`` fails, and so does the same behaviour as a defect of the built-in
reference (the self-check kills it by rule id: ``conformance selfcheck --defect NAME``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import stubs

from conformance.reference.server import start_in_thread
from conformance.reports import outcomes_file

# defect of the reference that makes the choice -> (case, decision id)
CHOICES = {
    "no_groups_as_no_data": ("msg00004-both-groups-false", "both-groups-false"),
    "impossible_day_accepted": ("gen-impossible-date", "impossible-day"),
    "missing_soap_action_dispatched": ("msg00051-missing-soap-action", "missing-soapaction"),
}


def _run(folder: Path, url: str, case: str, extra: dict[str, Any] | None = None) -> Any:
    env_file = stubs.environment_file(folder, url, connect=2.0, read=5.0, extra=extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env["COLUMNS"] = "300"
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file),
         "--report-dir", str(folder / "out"), "--", "-k", case, "--allow-partial",
         "--hypothesis-profile=selfcheck"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("defect", sorted(CHOICES))
def test_a_choice_the_tss_permits_is_a_deviation_not_a_failure(tmp_path: Path, defect: str) -> None:
    case, decision = CHOICES[defect]
    service = start_in_thread(tls=False, defect=defect, audit_log=tmp_path / "audit.jsonl")
    try:
        deviated = _run(tmp_path / "report", service.url, case)
        enforced = _run(tmp_path / "enforce", service.url, case, {"decisions": [decision]})
    finally:
        service.stop()
    output = deviated.stdout + deviated.stderr
    assert deviated.returncode == 0, output[-4000:]
    assert f"{case}: decision {decision}: expected" in output, output[-4000:]
    (line,) = outcomes_file.read(tmp_path / "report" / "out")
    assert line["outcome"] == "deviation" and line["failures"] == []
    assert [d["authority"] for d in line["deviations"]] == [{"kind": "decision", "ref": decision}]
    junit = (tmp_path / "report" / "out" / "junit.xml").read_text(encoding="utf-8")
    assert 'name="deviation"' in junit and "<failure" not in junit
    output = enforced.stdout + enforced.stderr
    assert enforced.returncode == 1, output[-4000:]
    (line,) = outcomes_file.read(tmp_path / "enforce" / "out")
    assert line["outcome"] == "failed" and line["failures"][0]["rule"] == "status.code"
