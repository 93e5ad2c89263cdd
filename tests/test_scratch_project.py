"""A fresh virtual environment with the package installed, as the Quickstart makes it.

The module builds it once, by running the Quickstart's first line word for word in a copy of the
checkout (``pip install .`` builds the wheel, then ``conformance run`` runs the catalogue).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Top-level folders that are no part of the source (a nested ``conformance/reports`` is).
_NOT_SOURCE = {".venv", ".git", ".tox", ".hypothesis", "reports", "site", "dist", "build"}
# README.md and docs/index.md, "Quickstart" (tests/test_docs.py keeps them the same).
QUICKSTART = "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/conformance run"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    checkout: Path
    venv: Path
    quickstart: subprocess.CompletedProcess[str]


def _top_level_and_caches(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__" or n.endswith(("_cache", ".pyc"))}
    if Path(folder) == REPO:
        skip |= _NOT_SOURCE & set(names)
    return skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout: nothing to install")
    checkout = tmp_path_factory.mktemp("quickstart") / "checkout"
    shutil.copytree(REPO, checkout, ignore=_top_level_and_caches)
    done = subprocess.run(
        ["bash", "-c", QUICKSTART],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return Installed(checkout, checkout / ".venv", done)


def test_quickstart_installs_and_runs_the_catalogue(installed: Installed) -> None:
    done = installed.quickstart
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "coverage: complete" in done.stdout.lower(), done.stdout[-2000:]
    assert (installed.checkout / "reports" / "coverage.json").is_file()


# ---- another project in the same environment ---------------------------------------------------
# Its own Hypothesis profile, its own `cases/fixture.yaml` and its own tests: with our package
# installed, its run must be exactly what it is without it.

SCRATCH_CONFTEST = """\
import os
from hypothesis import settings
settings.register_profile("dev", max_examples=7, deadline=1234)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
"""
SCRATCH_TESTS = """\
import os
from datetime import timedelta
from pathlib import Path
from hypothesis import given, settings, strategies as st

def test_its_own_hypothesis_settings():
    if os.environ.get("HYPOTHESIS_PROFILE") == "dev":
        assert settings.default.max_examples == 7
        assert settings.default.deadline == timedelta(milliseconds=1234)
    else:  # Hypothesis's own defaults
        assert settings.default.max_examples == 100
        assert settings.default.deadline == timedelta(milliseconds=200)

@given(st.integers())
def test_a_property(n):
    assert isinstance(n, int)

def test_its_cases_folder_is_its_data():
    assert "fixture" in (Path(__file__).parents[1] / "cases" / "fixture.yaml").read_text()
"""
# A file that looks like one of our cases, so collecting it would show.
SCRATCH_FIXTURE = """\
cases:
  - id: fixture
    title: a fixture of the other project
    tss: "6.1 MSG00005"
    operation: consultSpecialInfos
    client: onem
    request: {person: unknown}
    expect:
      status: {value: NO_RESULT, code: MSG00005}
"""


def _scratch_project(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "cases").mkdir()
    (root / "conftest.py").write_text(SCRATCH_CONFTEST)
    (root / "tests" / "test_own.py").write_text(SCRATCH_TESTS)
    (root / "cases" / "fixture.yaml").write_text(SCRATCH_FIXTURE)
    return root


@pytest.fixture(scope="module")
def without_our_package(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the same pytest and Hypothesis, and nothing of ours."""
    versions = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "from importlib.metadata import version as v; print(v('pytest'), v('hypothesis'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    venv = tmp_path_factory.mktemp("baseline") / ".venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=300)
    pins = [f"pytest=={versions[0]}", f"hypothesis=={versions[1]}"]
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", *pins],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return venv


@dataclass(frozen=True)
class ScratchRun:
    code: int
    collected: list[str]
    outcomes: list[str]
    files: set[str]
    cache_written: bool
    output: str


def _run_scratch(venv: Path, root: Path, profile: str | None) -> ScratchRun:
    project = _scratch_project(root)
    cache = root.parent / f"{root.name}-cache"  # where a started reference would put its PKI
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(root.parent),
        "XDG_CACHE_HOME": str(cache),
        "BCSS_CONFORMANCE_CACHE": str(cache / "bcss"),
    }
    if profile is not None:
        env["HYPOTHESIS_PROFILE"] = profile
    pytest_bin = str(venv / "bin" / "pytest")
    collect = subprocess.run(
        [pytest_bin, "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    done = subprocess.run(
        [pytest_bin, "-rA", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    files = {
        str(p.relative_to(project))
        for p in project.rglob("*")
        if "__pycache__" not in p.parts and ".hypothesis" not in p.parts
    }
    return ScratchRun(
        code=done.returncode,
        collected=[line for line in collect.stdout.splitlines() if "::" in line],
        outcomes=sorted(
            line
            for line in done.stdout.splitlines()
            if line.startswith(("PASSED ", "FAILED ", "ERROR ", "SKIPPED "))
        ),
        files=files,
        cache_written=cache.exists(),
        output=collect.stdout + collect.stderr + done.stdout + done.stderr,
    )


@pytest.mark.parametrize("profile", ["dev", None], ids=["HYPOTHESIS_PROFILE=dev", "no-profile"])
def test_another_project_runs_exactly_as_without_our_package(
    installed: Installed, without_our_package: Path, tmp_path: Path, profile: str | None
) -> None:
    ours = _run_scratch(installed.venv, tmp_path / "with", profile)
    baseline = _run_scratch(without_our_package, tmp_path / "without", profile)
    assert baseline.code == 0 and len(baseline.outcomes) == 3, baseline.output
    assert ours.code == baseline.code, ours.output
    assert ours.collected == baseline.collected, ours.output
    assert ours.outcomes == baseline.outcomes, ours.output
    assert ours.files == baseline.files  # no reports/ folder, nothing else written
    assert "reports" not in ours.files
    assert not ours.cache_written  # no dev PKI: no embedded service started
    # Our plugin was there all the same (the comparison would prove nothing otherwise).
    plugins = subprocess.run(
        [str(installed.venv / "bin" / "pytest"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "--conformance" in plugins
