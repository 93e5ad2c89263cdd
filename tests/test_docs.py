"""The docs: the README is a short front door, the site builds strictly, every command example runs.

A command example is a line of a fenced ``sh`` or ``console`` block in README.md or docs/*.md
(``text`` blocks are synopses, ``yaml`` blocks are files). Each line runs here, in a scratch
folder holding the checkout's ``cases/`` and ``benchmarks/``, with this interpreter's scripts
first on PATH. A comment at the end of a line changes what is expected of it:

- ``# needs acceptance``: not run (it needs a real BCSS acceptance environment);
- ``# needs Node.js``: run only when Allure 3 is already installed (else it would use npm);
- ``# exits N`` or ``# exits N or M``: the exit codes it may end with (default 0). A benchmark
  that misses its target exits 1: its line accepts both, as no test asserts a time.

``conformance serve`` lines (but ``--list-defects``) serve until stopped: the test waits for the
URL they print, then stops them with SIGINT. The few lines that other tests run already, in the
same words, are listed in ``RUN_ELSEWHERE`` and checked to be there.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.reports import html

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"
README_LIMIT = 8 * 1024
RUNNABLE = {"sh", "console"}
COMMAND_TIMEOUT = 300  # seconds; a bound for one line, not a measured figure

# line -> (the file that runs it, a fragment of that file proving it does)
RUN_ELSEWHERE = {
    # .ci/run runs the lint and type gates between the install and pytest (tests/test_ci.py).
    "python3 -m venv .venv && .venv/bin/pip install -q '.[test]' && .venv/bin/pytest -n 2": (
        ".ci/run",
        "python3 -m venv .venv && .venv/bin/pip install -q '.[test]'\n",
    ),
    "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/conformance run": (
        "tests/test_scratch_project.py",
        "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/conformance run",
    ),
    "conformance selfcheck --report-dir reports": (
        "tests/test_selfcheck.py",
        '"selfcheck", "--report-dir"',
    ),
}


@dataclass(frozen=True)
class Command:
    where: str  # file:line
    line: str  # the command, its comment removed
    comment: str

    @property
    def expected_codes(self) -> set[int]:
        found = re.search(r"\bexits (\d+)(?: or (\d+))?", self.comment)
        if not found:
            return {0}
        return {int(code) for code in found.groups() if code is not None}


def _doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _blocks(path: Path, root: Path = REPO) -> list[list[Command]]:
    blocks: list[list[Command]] = []
    current: list[Command] | None = None  # the runnable block being read
    in_fence = False
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```\s*([\w-]*)", text)
        if fence:
            if in_fence and current:
                blocks.append(current)
            in_fence = not in_fence
            current = [] if in_fence and fence.group(1) in RUNNABLE else None
        elif current is not None and text.strip() and not text.lstrip().startswith("#"):
            line, _, comment = text.partition("  # ")
            where = f"{path.relative_to(root)}:{number}"
            current.append(Command(where, line.strip(), comment.strip()))
    return blocks


def _all_blocks() -> list[list[Command]]:
    return [block for path in _doc_files() for block in _blocks(path)]


def test_readme_is_a_short_front_door_linking_every_guide() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < README_LIMIT
    for guide in sorted(DOCS.glob("*.md")):
        assert f"](docs/{guide.name})" in text, f"README.md links no {guide.name}"
    assert "## Quickstart" in text


def test_every_guide_is_in_the_site_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for guide in sorted(DOCS.glob("*.md")):
        assert f": {guide.name}" in nav, f"mkdocs.yml nav lacks {guide.name}"


def test_no_doc_cites_a_file_outside_the_repository() -> None:
    for path in _doc_files():
        text = path.read_text(encoding="utf-8")
        assert "NOTES" not in text and "shared/spec" not in text, path


def test_no_code_or_data_cites_a_file_outside_the_repository() -> None:
    # The team's notes and TSS copy live beside the clone, not in it: cite a decision id, a
    # guide or the TSS section instead.
    shipped = [
        REPO / "conformance",
        REPO / "cases",
        REPO / "benchmarks",
        REPO / "xsd",
        REPO / "wsdl",
    ]
    suffixes = {".py", ".yaml", ".yml", ".json", ".xsd", ".wsdl", ".md"}
    files = [p for root in shipped for p in root.rglob("*") if p.suffix in suffixes]
    assert len(files) > 50
    citing = [
        str(p.relative_to(REPO))
        for p in files
        if re.search(r"NOTES|shared/spec", p.read_text(encoding="utf-8"))
    ]
    assert not citing, citing


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs / mkdocs-material not installed (pip install '.[test]')",
)
def test_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "running" / "index.html").is_file()


def test_command_extraction_reads_fences_comments_and_exit_codes(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```text\nconformance run [--env NAME]\n```\n"
        "```sh\n# a comment line\nconformance codes\n"
        "conformance run --env a.yaml   # needs acceptance\n"
        "conformance run --env b.yaml   # exits 4: refused\n"
        "python bench.py   # exits 0 or 1: 1 over its target\n```\n"
        "```yaml\nkey: value\n```\n",
        encoding="utf-8",
    )
    blocks = _blocks(doc, root=tmp_path)
    assert [[c.line for c in b] for b in blocks] == [
        [
            "conformance codes",
            "conformance run --env a.yaml",
            "conformance run --env b.yaml",
            "python bench.py",
        ]
    ]
    assert [c.expected_codes for c in blocks[0]] == [{0}, {0}, {4}, {0, 1}]
    assert blocks[0][1].comment == "needs acceptance"


def test_lines_run_elsewhere_are_run_there() -> None:
    documented = {c.line for block in _all_blocks() for c in block}
    for line, (path, fragment) in RUN_ELSEWHERE.items():
        assert line in documented, f"RUN_ELSEWHERE names a line no doc has: {line}"
        assert fragment in (REPO / path).read_text(encoding="utf-8"), (path, fragment)


def _scratch(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for name in ("cases", "benchmarks"):
        (work / name).symlink_to(REPO / name, target_is_directory=True)
    return work


def _env() -> dict[str, str]:
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
    env.pop("HYPOTHESIS_PROFILE", None)
    return env


def _serve(command: Command, work: Path) -> None:
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command.line}"],
        cwd=work,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for text in proc.stdout:  # ends when the server exits
            seen.append(text)
            if "://127.0.0.1:" in text:
                break
        assert any("://127.0.0.1:" in t for t in seen), f"{command.where}: {''.join(seen)}"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, command.where
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _is_server(line: str) -> bool:
    return line.startswith("conformance serve") and "--list-defects" not in line


def _run(command: Command, work: Path) -> None:
    if _is_server(command.line):
        _serve(command, work)
        return
    done = subprocess.run(
        ["bash", "-c", command.line],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode in command.expected_codes, (
        f"{command.where}: {command.line}\nexit {done.returncode}\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )


def _allure_installed() -> bool:
    try:
        html.ensure_allure(install=False)
    except html.AllureUnavailable:
        return False
    return True


BLOCKS = _all_blocks()


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[block[0].where for block in BLOCKS])
def test_command_examples_run(block: list[Command], tmp_path: Path) -> None:
    work = _scratch(tmp_path)
    skipped = []
    for command in block:
        if command.line in RUN_ELSEWHERE or "needs acceptance" in command.comment:
            skipped.append(command)
            continue
        if "needs Node.js" in command.comment and not _allure_installed():
            skipped.append(command)
            continue
        shlex.split(command.line)  # a typo in quoting fails here, not in bash
        _run(command, work)
    if skipped and len(skipped) == len(block):
        pytest.skip("; ".join(f"{c.where} {c.comment or 'run elsewhere'}" for c in skipped))
