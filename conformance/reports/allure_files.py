"""Run-level files in the Allure results folder.

* ``environment.properties``: environment, endpoint, harness version, client organisation and
  the sha256 of the WSDL and of every XSD in the folder of the payload XSD in use, so a report
  says exactly which contract judged the run.
* ``categories.json``: failure categories (Allure 2 format, which Allure 3 also reads as
  "compatibility keys"); :func:`categories` is the one list, reused by ``conformance report``.
* ``bcss-*-globals.json``: run-level attachments (Allure 3): the coverage matrix and its JSON,
  and after ``conformance selfcheck`` the kill matrix and its JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from conformance import __version__

# One rule per failure category of the checks (conformance.harness.checks: WRONG_CODE, SCHEMA,
# ECHO, TRANSPORT) plus codes an environment declares not triggerable. The one formatter
# (harness/failures.py) ends its first line with the head failure's category in brackets, so a
# first-line match is exact. ``[^\n]``/``[\s\S]`` rather than inline flags: Allure 2 (Java,
# whole-message match) and Allure 3 (JavaScript, search) both read them the same way.
_CATEGORY_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Wrong return code", "wrong return code", ("failed",)),
    ("Schema violation", "schema violation", ("failed",)),
    ("Echo mismatch", "echo mismatch", ("failed",)),
    ("Transport/TLS failure", "transport/TLS failure", ("failed", "broken")),
)
NOT_TRIGGERABLE = ("Not triggerable", "not-triggerable", ("skipped",))
# A deviation is a passed test (only our decisions broken): Allure 3 matches it by its label;
# Allure 2 has no message to match on a passed test, so it shows the ``deviation`` label only.
DEVIATION = ("Deviation from our decisions", "deviation", ("passed",))
_NOT_TRIGGERABLE_MESSAGE = r"[\s\S]*not[- ]triggerable[\s\S]*"


def _first_line(label: str) -> str:
    return rf"^[^\n]*\[{re.escape(label)}\][\s\S]*"


def categories() -> list[dict[str, Any]]:
    """The categories in Allure 2's ``categories.json`` format (message and status only)."""
    rules = [
        {"name": name, "matchedStatuses": list(statuses), "messageRegex": _first_line(label)}
        for name, label, statuses in _CATEGORY_RULES
    ]
    name, _label, statuses = NOT_TRIGGERABLE
    rules.append(
        {"name": name, "matchedStatuses": list(statuses), "messageRegex": _NOT_TRIGGERABLE_MESSAGE}
    )
    return rules


def categories_allure3() -> list[dict[str, Any]]:
    """The same categories for an Allure 3 config: the ``failure_category`` label that
    :func:`conformance.reports.live.attach_outcome` sets, or else the message."""
    rules: list[dict[str, Any]] = []
    for name, label, statuses, message in [
        *((n, lb, s, _first_line(lb)) for n, lb, s in _CATEGORY_RULES),
        (*NOT_TRIGGERABLE, _NOT_TRIGGERABLE_MESSAGE),
    ]:
        label_matcher = {"failure_category": f"^{re.escape(label)}$"}
        matchers = [
            {"statuses": list(statuses), "labels": label_matcher},
            {"statuses": list(statuses), "message": message},
        ]
        rules.append({"name": name, "matchers": matchers})
    name, label, statuses = DEVIATION
    matcher = {"statuses": list(statuses), "labels": {"failure_category": f"^{label}$"}}
    rules.append({"name": name, "matchers": [matcher]})
    return rules


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contract_digests(contract: Any = None) -> dict[str, str]:
    """``{"wsdl.<name>": sha256, "xsd.<name>": sha256, ...}`` for the contract in use."""
    if contract is None:
        from conformance.contract import load_contract

        contract = load_contract()
    digests = {f"wsdl.{contract.wsdl_path.name}": sha256_of(contract.wsdl_path)}
    for xsd in sorted(Path(contract.xsd_path).parent.glob("*.xsd")):
        digests[f"xsd.{xsd.name}"] = sha256_of(xsd)
    return digests


def environment_properties(
    *, environment_name: str, endpoint: str, client_organisation: str, contract: Any = None
) -> dict[str, str]:
    props = {
        "environment": environment_name,
        "endpoint": endpoint,
        "harness.version": __version__,
        "client.organisation": client_organisation,
    }
    props.update(contract_digests(contract))
    return props


def _escape_property(text: str) -> str:
    # java.util.Properties escaping: backslash first, then the separators and line breaks.
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return out.replace("=", "\\=").replace(":", "\\:")


def write_environment(results_dir: Path, props: dict[str, str]) -> Path:
    path = results_dir / "environment.properties"
    body = "".join(f"{_escape_property(k)}={_escape_property(v)}\n" for k, v in props.items())
    path.write_text(body, encoding="utf-8")
    return path


def write_categories(results_dir: Path) -> Path:
    path = results_dir / "categories.json"
    path.write_text(json.dumps(categories(), indent=2), encoding="utf-8")
    return path


COVERAGE_GLOBALS = "bcss-coverage-globals.json"
SELFCHECK_GLOBALS = "bcss-selfcheck-globals.json"
SLA_GLOBALS = "bcss-sla-globals.json"
_EXTENSIONS = {"text/markdown": "md", "application/json": "json", "image/png": "png"}


def write_globals(
    results_dir: Path,
    attachments: list[tuple[str, str, bytes]],
    file_name: str = COVERAGE_GLOBALS,
) -> Path:
    """Run-level attachments ``(name, mime type, content)`` as one Allure 3 globals file.

    A fixed name per run folder and purpose: re-running ``finish`` (or the self-check)
    replaces, not duplicates, the matrix.
    """
    now = int(time.time() * 1000)
    entries = []
    for name, mime, content in attachments:
        ext = {"text/markdown": "md", "application/json": "json", "image/png": "png"}.get(
            mime, "txt"
        )
        source = f"{uuid.uuid5(uuid.NAMESPACE_URL, 'bcss-conformance/' + name)}-attachment.{ext}"
        (results_dir / source).write_bytes(content)
        entries.append({"name": name, "source": source, "type": mime, "timestamp": now})
    path = results_dir / file_name
    path.write_text(json.dumps({"attachments": entries, "errors": []}, indent=2), encoding="utf-8")
    return path
