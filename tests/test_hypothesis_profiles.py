"""The two Hypothesis profiles of issue 2: ``ci`` (fast, the default) and ``nightly`` (10,000+).

Each check runs in a fresh interpreter: loading a profile is global state of this worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_SHOW = "from hypothesis import settings; print(settings.default.max_examples)"


def _python(code: str, profile: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    if profile is not None:
        env["HYPOTHESIS_PROFILE"] = profile
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("profile", "examples"), [(None, 50), ("ci", 50), ("nightly", 10_000)])
def test_environment_variable_selects_the_profile(profile: str | None, examples: int) -> None:
    done = _python(
        f"from conformance import hypothesis_profiles as p; p.register(); {_SHOW}", profile
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == examples


def test_nightly_has_at_least_10000_examples_and_no_deadline() -> None:
    code = (
        "from conformance import hypothesis_profiles as p; from hypothesis import settings; "
        "p.register(); n = settings.get_profile(p.NIGHTLY); c = settings.get_profile(p.CI); "
        "print(n.max_examples, n.deadline, c.max_examples, c.deadline)"
    )
    done = _python(code, None)
    nightly, nightly_deadline, ci, ci_deadline = done.stdout.split()
    assert int(nightly) >= 10_000 and nightly_deadline == "None"
    assert int(ci) < int(nightly) and ci_deadline == "None"  # no timed checks on a shared machine


def test_unknown_profile_is_one_clear_error() -> None:
    done = _python("from conformance import hypothesis_profiles as p; p.register()", "nightlyx")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "ValueError: HYPOTHESIS_PROFILE='nightlyx': no such Hypothesis profile "
        "(ours: ci, nightly, selfcheck)"
    )


def test_pytest_option_selects_nightly(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "from hypothesis import settings\n"
        "def test_probe():\n"
        "    assert settings.default.max_examples == 10_000\n"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    done = subprocess.run(
        [*command, "--hypothesis-profile=nightly"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
