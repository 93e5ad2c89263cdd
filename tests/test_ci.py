""".ci/run and .pre-commit-config.yaml: the same lint and type gates, then the README's tests.

The gates themselves are proven able to fail by running each on a file holding one finding;
they pass on the repository as it stands (that is what .ci/run enforces).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CI = REPO / ".ci" / "run"
PRE_COMMIT = REPO / ".pre-commit-config.yaml"
GATES = ["ruff check .", "ruff format --check .", "mypy --strict conformance"]
BIN = Path(sys.executable).parent


def _ci_gates() -> list[str]:
    return re.findall(r"^gate (.+)$", CI.read_text(encoding="utf-8"), flags=re.M)


def test_ci_runs_every_gate_before_the_readme_test_command() -> None:
    text = CI.read_text(encoding="utf-8")
    assert _ci_gates() == GATES
    assert text.index("rm -rf .venv") < text.index("pip install -q '.[test]'")
    assert text.rstrip().endswith(".venv/bin/pytest -n 2")
    assert "set -euo pipefail" in text  # a failing gate fails the run


def test_pre_commit_runs_the_same_gates() -> None:
    config = yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["entry"] for hook in hooks] == GATES
    assert all(hook["language"] == "system" and not hook["pass_filenames"] for hook in hooks)


def test_mypy_is_strict_on_the_package() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    mypy = text.split("[tool.mypy]", 1)[1].split("\n[", 1)[0]
    assert "strict = true" in mypy and "ignore_missing_imports" not in mypy


def _tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed (pip install -e '.[test]')")
    return str(found)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(
    ("tool", "args", "finding"),
    [
        ("ruff", ["check", "."], "import os\n"),  # F401, an unused import
        ("ruff", ["format", "--check", "."], "x = {  'a':1}\n"),
        ("mypy", ["--strict", "pkg"], "def f(x):\n    return x\n"),  # not annotated
    ],
)
def test_each_gate_fails_on_a_finding_and_passes_without(
    tool: str, args: list[str], finding: str, tmp_path: Path
) -> None:
    # The project's own settings, on a one-module package.
    settings = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(settings.replace('"conformance"', '"pkg"'))
    module = tmp_path / "pkg" / "__init__.py"
    module.parent.mkdir()
    module.write_text(finding)
    failed = _run(_tool(tool), *args, cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    module.write_text('"""Clean."""\n\nX: int = 1\n')
    clean = _run(_tool(tool), *args, cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
