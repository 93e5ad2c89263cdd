"""The wheel carries the contract, the case catalogue and the package data.

A non-editable install has no checkout beside it, so ``paths`` looks in
``conformance/_shipped/`` (pyproject's hatch ``force-include``). This builds a real wheel with
hatchling's builder API (the build backend pip itself would call) and reads its file list.
"""

from __future__ import annotations

import configparser
import shutil
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

# The checkout under test (not the installed package: CI tests a non-editable install).
REPO = Path(__file__).resolve().parents[1]
# What a checkout holds that is no part of the build (and would make the copy slow).
_NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.pyc", ".*_cache", ".hypothesis", ".tox", "reports", "dist"
)

pytestmark = pytest.mark.slow


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout: nothing to build")  # e.g. tests run from a wheel
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE)
    built = list(
        WheelBuilder(str(source)).build(directory=str(work / "dist"), versions=["standard"])
    )
    assert len(built) == 1 and built[0].endswith(".whl")
    return Path(built[0])


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.parametrize(
    "name",
    [
        "conformance/_shipped/xsd/ForeignerSituationV1.xsd",
        "conformance/_shipped/xsd/CommonV3.xsd",
        "conformance/_shipped/wsdl/ForeignerSituationV1.wsdl",
        "conformance/_shipped/cases/business_codes.yaml",
        "conformance/data/tables.yaml",
        "conformance/paths.py",
        "conformance/contract.py",
    ],
)
def test_wheel_contains(wheel_names: set[str], name: str) -> None:
    assert name in wheel_names


@pytest.mark.parametrize(
    ("checkout", "shipped"),
    [
        ("xsd", "conformance/_shipped/xsd"),
        ("wsdl", "conformance/_shipped/wsdl"),
        ("cases", "conformance/_shipped/cases"),
        ("conformance/data", "conformance/data"),
    ],
)
def test_wheel_mirrors_every_checkout_file(
    wheel_names: set[str], checkout: str, shipped: str
) -> None:
    folder = REPO / checkout
    expected = {f"{shipped}/{p.relative_to(folder).as_posix()}" for p in _files(folder)}
    assert expected <= wheel_names, sorted(expected - wheel_names)


def test_wheel_keeps_the_wsdl_import_layout(wheel_names: set[str]) -> None:
    # The WSDL imports ../xsd/ForeignerSituationV1.xsd: both must stay siblings under _shipped/.
    assert {
        "conformance/_shipped/wsdl/ForeignerSituationV1.wsdl",
        "conformance/_shipped/xsd/ForeignerSituationV1.xsd",
    } <= wheel_names


def test_wheel_declares_the_cli_and_the_pytest_plugin(wheel: Path, wheel_names: set[str]) -> None:
    (name,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    with zipfile.ZipFile(wheel) as archive:
        entry_points.read_string(archive.read(name).decode())
    assert entry_points["console_scripts"]["conformance"] == "conformance.cli:main"
    assert entry_points["pytest11"]["conformance"] == "conformance.plugin"
