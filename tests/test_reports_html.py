"""Allure 3 on demand: pinned, installed once into the cache, offline afterwards."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from conformance.reports import html

FAKE_NPM = """#!/bin/sh
# Records its arguments, then lays out what `npm install --prefix DIR allure@V` would.
PATH=/usr/bin:/bin
echo "$@" > "{log}"
prefix="$3"
mkdir -p "$prefix/node_modules/allure" && echo "// cli" > "$prefix/node_modules/allure/cli.js"
"""


def _bin(tmp_path: Path, *, npm: bool) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "node").write_text("#!/bin/sh\nexit 0\n")
    if npm:
        (folder / "npm").write_text(FAKE_NPM.format(log=tmp_path / "npm-args"))
    for tool in folder.iterdir():
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BCSS_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / f"allure-{html.ALLURE_VERSION}"


def test_installs_the_pinned_version_once(tmp_path: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(_bin(tmp_path, npm=True)))
    cli = html.ensure_allure()
    assert cli == cache / "node_modules" / "allure" / "cli.js" and cli.is_file()
    args = (tmp_path / "npm-args").read_text().split()
    assert args[:2] == ["install", "--prefix"] and f"allure@{html.ALLURE_VERSION}" in args
    assert not list(cache.parent.glob("*.partial-*"))  # installed beside, then renamed
    (tmp_path / "npm-args").unlink()
    assert html.ensure_allure() == cli
    assert not (tmp_path / "npm-args").exists()  # second time: no npm, no network


def test_installed_copy_works_without_npm(tmp_path: Path, cache: Path, monkeypatch) -> None:
    (cache / "node_modules" / "allure").mkdir(parents=True)
    (cache / "node_modules" / "allure" / "cli.js").write_text("// cli")
    monkeypatch.setenv("PATH", str(_bin(tmp_path, npm=False)))
    assert html.ensure_allure().is_file()


def test_without_npm_and_nothing_cached_it_says_how(
    tmp_path: Path, cache: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(_bin(tmp_path, npm=False)))
    with pytest.raises(html.AllureUnavailable, match="npm is not on PATH") as info:
        html.ensure_allure()
    assert f"npm install --prefix {cache} allure@{html.ALLURE_VERSION}" in str(info.value)


def test_config_keeps_history_beside_the_results(tmp_path: Path) -> None:
    config = json.loads(html.write_config(tmp_path, single_file=True, name="n").read_text())
    assert config["historyPath"] == str(tmp_path / html.HISTORY_FILE)
    assert config["plugins"]["awesome"]["options"]["singleFile"] is True
    assert config["output"] == str(tmp_path / html.SINGLE_DIR)
    assert config["categories"][0]["name"] == "Wrong return code"


def test_a_broken_earlier_install_is_replaced(tmp_path: Path, cache: Path, monkeypatch) -> None:
    (cache / "node_modules").mkdir(parents=True)  # an interrupted manual install, no cli.js
    monkeypatch.setenv("PATH", str(_bin(tmp_path, npm=True)))
    assert html.ensure_allure().is_file()
    assert not list(cache.parent.glob("*.stale-*"))
