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
