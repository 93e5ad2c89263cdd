"""paths.py: every folder it names exists and holds what the other modules expect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import paths
from conformance.contract import DEFAULT_PAYLOAD_XSD


@pytest.mark.parametrize(
    "folder",
    [paths.xsd_dir, paths.wsdl_dir, paths.cases_dir, paths.data_dir],
    ids=["xsd", "wsdl", "cases", "data"],
)
def test_folder_exists(folder: Callable[[], Path]) -> None:
    assert folder().is_dir(), folder()
    assert folder().is_absolute()


@pytest.mark.parametrize(
    ("folder", "name"),
    [(paths.xsd_dir, "xsd"), (paths.wsdl_dir, "wsdl"), (paths.cases_dir, "cases")],
    ids=["xsd", "wsdl", "cases"],
)
def test_shipped_folder_is_the_wheel_copy_or_the_checkout(
    folder: Callable[[], Path], name: str
) -> None:
    # Wheel: conformance/_shipped/<name>; source checkout: <name> beside the package.
    assert folder() in (paths.PACKAGE_DIR / "_shipped" / name, paths.PACKAGE_DIR.parent / name)


def test_contract_files_are_where_the_contract_loader_looks() -> None:
    assert (paths.xsd_dir() / DEFAULT_PAYLOAD_XSD).is_file()
    assert (paths.xsd_dir() / "CommonV3.xsd").is_file()
    assert paths.default_wsdl().is_file()
    assert paths.default_wsdl().parent == paths.wsdl_dir()


def test_wsdl_relative_import_reaches_the_xsd_folder() -> None:
    # The WSDL imports ../xsd/ForeignerSituationV1.xsd, in the checkout and in the wheel alike.
    assert (paths.wsdl_dir().parent / "xsd").resolve() == paths.xsd_dir().resolve()


def test_data_dir_is_package_data() -> None:
    assert paths.data_dir().parent == paths.PACKAGE_DIR
    assert (paths.data_dir() / "tables.yaml").is_file()


def test_examples_live_in_the_xsd_folder() -> None:
    assert (paths.xsd_dir() / "examples" / "valid").is_dir()
    assert (paths.xsd_dir() / "examples" / "invalid").is_dir()
