"""The Hypothesis profiles: ``ci`` (fast, the default), ``nightly`` (10,000+), ``selfcheck``.

``register()`` (this project's own tests) loads one globally; ``for_cases()`` (the generated
cases of a conformance run) never touches the global settings. Each check runs in a fresh
interpreter: loading a profile is global state of this worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import hypothesis_profiles

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


def test_case_settings_ignore_and_keep_the_global_default() -> None:
    code = (
        "from hypothesis import settings; from conformance import hypothesis_profiles as p\n"
        "settings.register_profile('dev', max_examples=7, deadline=1234)\n"
        "settings.load_profile('dev')\n"
        "ci, nightly = p.for_cases(None), p.for_cases('nightly')\n"
        "p.register_missing()\n"
        "print(ci.max_examples, ci.deadline, nightly.max_examples, settings.default.max_examples)"
    )
    done = _python(code, "dev")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["50", "None", "10000", "7"]


def test_register_missing_replaces_no_one_s_profile() -> None:
    code = (
        "from hypothesis import settings; from conformance import hypothesis_profiles as p\n"
        "settings.register_profile('ci', max_examples=3)\n"
        "p.register_missing()\n"
        "get = settings.get_profile\n"
        "print(get('ci').max_examples, get('nightly').max_examples)"
    )
    done = _python(code, None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "10000"]


def test_an_unknown_case_profile_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="no such Hypothesis profile"):
        hypothesis_profiles.for_cases("nightlyx")


def _pytest(
    tmp_path: Path, *args: str, profile: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    if profile is not None:
        env["HYPOTHESIS_PROFILE"] = profile
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path), *args]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_conformance_run_takes_our_profile_from_the_option_or_the_variable(
    tmp_path: Path,
) -> None:
    rep = str(tmp_path / "rep")
    # Hypothesis's own option finds our profile's name in a conformance run.
    by_option = _pytest(
        tmp_path, "--conformance", "--report-dir", rep, "--hypothesis-profile=nightly"
    )
    assert by_option.returncode == 5, by_option.stdout[-2000:] + by_option.stderr[-2000:]
    assert "generated cases use the Hypothesis profile nightly" in by_option.stdout
    by_variable = _pytest(tmp_path, "--conformance", "--report-dir", rep, profile="selfcheck")
    assert "generated cases use the Hypothesis profile selfcheck" in by_variable.stdout
    # Another project's profile name is none of our business: our cases use ci.
    other = _pytest(tmp_path, "--conformance", "--report-dir", rep, profile="dev")
    assert other.returncode == 5, other.stdout[-2000:] + other.stderr[-2000:]
    assert "generated cases use the Hypothesis profile ci" in other.stdout
