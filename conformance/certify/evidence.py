"""The package's evidence: each case's request and response, each failed case's bundle.

Requests and responses come from the run's Allure attachments (every case has them, passed or
not); service-desk bundles (TSS §8) from ``bundles/``. Every file goes through the masker and
the secret scrubber on its way in, whatever the run did, and :func:`audit` proves afterwards that
no file of the package holds a number whose check digits match either century.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from conformance.reports.bundle import bundle_dir_name
from conformance.reports.masking import Masker, clean_bytes, niss_like_tokens
from conformance.reports.session import BUNDLES_DIR, RESULTS_DIR

EVIDENCE_DIR = "evidence"
# Attachment names of reports/live.py: "request", "#2 response (HTTP 200)", "no response".
_MESSAGE = re.compile(r"^(?:#(\d+) )?(request|response|no response)\b")


def _attachments(results: Path) -> dict[str, list[tuple[str, Path]]]:
    """Case id -> [(file name in the package, attachment file)], messages only (no
    reproduction: it holds local paths, and a package is for someone else's machine)."""
    found: dict[str, list[tuple[str, Path]]] = {}
    for path in sorted(results.glob("*-result.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        if "case_id" not in labels:
            continue
        for attachment in data.get("attachments", []):
            match = _MESSAGE.match(str(attachment.get("name", "")))
            source = results / str(attachment.get("source", ""))
            if match is None or not source.is_file():
                continue
            number, kind = match.groups()
            suffix = ".xml" if "xml" in str(attachment.get("type", "")) else ".txt"
            name = f"{int(number):02d}-" if number else ""
            name += kind.replace(" ", "-") + suffix
            found.setdefault(labels["case_id"], []).append((name, source))
    return found


def copy_evidence(
    report_dir: Path, package: Path, masker: Masker, secrets: Sequence[str] = ()
) -> dict[str, dict[str, object]]:
    """Copy each case's messages and each failed case's bundle into ``package``, cleaned.
    Returns case id -> ``{"evidence": [paths], "bundle": path or None}`` (package-relative)."""
    found: dict[str, dict[str, object]] = {}
    for case_id, files in _attachments(report_dir / RESULTS_DIR).items():
        folder = Path(EVIDENCE_DIR) / bundle_dir_name(case_id)
        written = []
        for name, source in files:
            _write(package / folder / name, source.read_bytes(), masker, secrets)
            written.append((folder / name).as_posix())
        found[case_id] = {"evidence": written, "bundle": None}
    bundles = report_dir / BUNDLES_DIR
    for case_id in list(found):
        source = bundles / bundle_dir_name(case_id)
        if not source.is_dir():
            continue
        target = Path(BUNDLES_DIR) / source.name
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            relative = target / path.relative_to(source)
            _write(package / relative, path.read_bytes(), masker, secrets)
        found[case_id]["bundle"] = target.as_posix()
    return found


def _write(path: Path, data: bytes, masker: Masker, secrets: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(clean_bytes(data, masker, secrets))


def audit(package: Path) -> list[str]:
    """``file: token`` for each NISS-like number left readable in the package (none, or the
    package must not be sent)."""
    return [
        f"{path.relative_to(package)}: {token}"
        for path in sorted(p for p in package.rglob("*") if p.is_file())
        for token in niss_like_tokens(path.read_bytes())
    ]
