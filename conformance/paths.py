"""Where the shipped contract lives: the ``xsd/``, ``wsdl/`` and ``cases/`` folders.

From a source checkout they are the top-level folders beside the package. A wheel carries them
inside the package (``conformance/_shipped/``, see ``pyproject.toml``), so a non-editable
install finds them from any working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_SHIPPED = PACKAGE_DIR / "_shipped"
_CHECKOUT = PACKAGE_DIR.parent


def _shipped(name: str) -> Path:
    inside = _SHIPPED / name
    return inside if inside.is_dir() else _CHECKOUT / name


def xsd_dir() -> Path:
    """The folder holding our XSDs and their example messages."""
    return _shipped("xsd")


def wsdl_dir() -> Path:
    """The folder holding ``ForeignerSituationV1.wsdl``."""
    return _shipped("wsdl")


def cases_dir() -> Path:
    """The folder holding the YAML case catalogue and example environments."""
    return _shipped("cases")


def data_dir() -> Path:
    """Package data: the TSS tables, the reference dataset, the case JSON Schema."""
    return PACKAGE_DIR / "data"


DEFAULT_WSDL = "ForeignerSituationV1.wsdl"
# Where every command and the plugin write reports unless told otherwise (the working directory's).
DEFAULT_REPORT_DIR = "reports"


def default_wsdl() -> Path:
    return wsdl_dir() / DEFAULT_WSDL
