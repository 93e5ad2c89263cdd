"""HTML rendering of the Allure results with Allure 3 (the npm package ``allure``).

The package is pinned to :data:`ALLURE_VERSION` and installed on demand with
``npm install --prefix`` into ``$BCSS_CONFORMANCE_CACHE`` (default
``~/.cache/bcss-conformance``)/``allure-<version>``. Once there, rendering needs no network.
Without Node.js/npm, :class:`AllureUnavailable` says how to get them.

History: Allure 3 keeps it in one JSON-lines file, not in the results folder. We point its
``historyPath`` at ``<report-dir>/history.jsonl``; each ``conformance report`` appends one entry,
so reusing a report folder across runs keeps the trend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conformance.reports import allure_files

ALLURE_VERSION = "3.18.0"  # exact pin: report layout and config keys change between 3.x releases
INSTALL_TIMEOUT_S = 600
GENERATE_TIMEOUT_S = 600
HISTORY_FILE = "history.jsonl"
MULTI_DIR = "allure-report"
SINGLE_DIR = "allure-report-single"

HOW_TO_GET_NODE = (
    "Rendering HTML needs Node.js 20 or later with npm. Install them (Debian/Ubuntu: "
    "'apt-get install nodejs npm'; others: https://nodejs.org/), then run 'conformance report' "
    f"again: it installs the npm package allure@{ALLURE_VERSION} once into {{cache}} and works "
    "offline afterwards. To install it by hand: 'npm install --prefix {cache} "
    f"allure@{ALLURE_VERSION}'."
)


class AllureUnavailable(Exception):
    """Node/npm or the allure package cannot be had. The message says how to get them."""


class AllureFailed(Exception):
    """Allure ran and failed. The message holds its output's tail."""


def cache_dir(version: str = ALLURE_VERSION) -> Path:
    root = os.environ.get("BCSS_CONFORMANCE_CACHE") or Path.home() / ".cache" / "bcss-conformance"
    return Path(root) / f"allure-{version}"


def _cli_js(prefix: Path) -> Path:
    return prefix / "node_modules" / "allure" / "cli.js"


def ensure_allure(*, install: bool = True) -> Path:
    """The allure CLI script of the pinned version, installing it on first use."""
    prefix = cache_dir()
    node = shutil.which("node")
    if node is None:
        raise AllureUnavailable("Node.js not found on PATH. " + _how_to(prefix))
    if _cli_js(prefix).is_file():
        return _cli_js(prefix)
    npm = shutil.which("npm")
    if npm is None or not install:
        raise AllureUnavailable(
            f"allure@{ALLURE_VERSION} is not installed and npm is not on PATH. " + _how_to(prefix)
        )
    # Install beside, then rename: a half-finished install never looks installed.
    partial = prefix.with_name(f"{prefix.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(partial),
        "--no-audit",
        "--no-fund",
        f"allure@{ALLURE_VERSION}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        raise AllureUnavailable(f"npm install timed out. {_how_to(prefix)}") from None
    if done.returncode != 0 or not _cli_js(partial).is_file():
        shutil.rmtree(partial, ignore_errors=True)
        raise AllureUnavailable(
            f"npm install allure@{ALLURE_VERSION} failed: {_tail(done.stderr)} {_how_to(prefix)}"
        )
    try:
        os.replace(partial, prefix)  # atomic; fails when another process installed first
    except OSError:
        if _cli_js(prefix).is_file():  # another process won the race: use its copy
            shutil.rmtree(partial, ignore_errors=True)
        else:  # a broken earlier install: move it aside, never delete one in use
            stale = prefix.with_name(f"{prefix.name}.stale-{os.getpid()}")
            os.replace(prefix, stale)
            shutil.rmtree(stale, ignore_errors=True)
            os.replace(partial, prefix)
    return _cli_js(prefix)


def _how_to(prefix: Path) -> str:
    return HOW_TO_GET_NODE.format(cache=prefix)


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def write_config(report_dir: Path, *, single_file: bool, name: str) -> Path:
    """An Allure 3 config (JSON) for this report folder: output, history, categories, plugin."""
    config = {
        "name": name,
        "output": str(report_dir / (SINGLE_DIR if single_file else MULTI_DIR)),
        "historyPath": str(report_dir / HISTORY_FILE),
        "categories": allure_files.categories_allure3(),
        "plugins": {"awesome": {"options": {"singleFile": single_file, "reportLanguage": "en"}}},
    }
    path = report_dir / "allurerc.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def render(
    report_dir: Path, results_dir: Path, *, single_file: bool, name: str = "BCSS conformance"
) -> Path:
    """Render ``results_dir`` to HTML in ``report_dir``; returns the ``index.html``."""
    cli = ensure_allure()
    report_dir, results_dir = report_dir.resolve(), results_dir.resolve()  # allure's cwd differs
    node = shutil.which("node") or "node"
    config = write_config(report_dir, single_file=single_file, name=name)
    output = report_dir / (SINGLE_DIR if single_file else MULTI_DIR)
    shutil.rmtree(output, ignore_errors=True)  # no stale files from an earlier layout
    command = [
        node,
        str(cli),
        "generate",
        str(results_dir),
        "--config",
        str(config),
        "--output",
        str(output),
    ]
    env = {**os.environ, "NO_COLOR": "1"}  # plain text in our error messages
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=report_dir,
            env=env,
            timeout=GENERATE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise AllureFailed(f"allure generate took over {GENERATE_TIMEOUT_S}s") from None
    index = output / "index.html"
    if done.returncode != 0 or not index.is_file():
        raise AllureFailed(
            f"allure generate failed (exit {done.returncode}): {_tail(done.stdout + done.stderr)}"
        )
    return index
