"""One run's reports: the run-level side the pytest plugin drives.

Layout of ``report_dir`` (issue 5)::

    allure-results/          allure-pytest's results + environment.properties, categories.json,
                             bcss-coverage-globals.json (coverage matrix as run attachments)
    junit.xml                pytest's --junitxml (masked here when asked)
    coverage.json            the harness's per-code rows
    sla.json, sla.md,        the TSS 7 SLA of the run (conformance/sla/); sla-history.jsonl
    sla.png, sla-trend.png   keeps one line per run and is never cleared
    coverage.md              the same, as a table a person reads
    outcomes.jsonl           one JSON line per case: outcome, failures, deviations, warnings
                             with their rule ids and authorities (reports/outcomes_file.py)
    bundles/<case-id>/       one service-desk bundle per failed case (TSS §8)

The plugin calls :meth:`ReportSession.check_writable` and :meth:`clear_bundles` before
anything runs,
:meth:`case_finished` after each case (bundles are written at once, so Ctrl-C keeps them), and
:meth:`finish` from ``pytest_unconfigure``: after pytest's junitxml has written its file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.harness.outcome import FAILED, CaseOutcome
from conformance.reports import allure_files, matrix
from conformance.reports.bundle import README, README_HEAD, bundle_dir_name, write_bundle
from conformance.reports.html import HISTORY_FILE, MULTI_DIR, SINGLE_DIR
from conformance.reports.masking import Masker, clean_bytes
from conformance.reports.outcomes_file import OUTCOMES_FILE
from conformance.sla import files as sla_files

RESULTS_DIR = "allure-results"
BUNDLES_DIR = "bundles"
JUNIT_FILE = "junit.xml"
COVERAGE_JSON = "coverage.json"
COVERAGE_MD = "coverage.md"


class ReportDirError(Exception):
    """The report folder cannot be used. The message names the folder and the reason."""


class ReportSession:
    """Reports of one run. Cheap to build; safe to build in each xdist worker too (bundles go
    to one folder per case, run files are written once, by :meth:`finish`)."""

    def __init__(
        self,
        report_dir: Path,
        *,
        mask_ssin: bool,
        environment_name: str,
        endpoint: str,
        client_organisation: str,
        contract: Any = None,
        known_ssins: Iterable[str] = (),
        secrets: Sequence[str] = (),
        secret_env_vars: Iterable[str] = (),
        junit_path: Path | None = None,
        results_dir: Path | None = None,
    ) -> None:
        self.report_dir = Path(report_dir)
        self.mask_ssin = mask_ssin
        self.environment_name = environment_name
        self.endpoint = endpoint
        self.client_organisation = client_organisation
        self.contract = contract
        # Passwords given directly, and those held by the environment variables an environment
        # names (e.g. a client's p12_password_env): never in any artefact.
        from_env = (os.environ.get(name, "") for name in secret_env_vars)
        self.secrets = tuple(s for s in (*secrets, *from_env) if s)
        self.masker = Masker(known_ssins) if mask_ssin else None
        self.junit_path = Path(junit_path) if junit_path else self.report_dir / JUNIT_FILE
        self.results_dir = Path(results_dir) if results_dir else self.report_dir / RESULTS_DIR
        self.bundles_dir = self.report_dir / BUNDLES_DIR

    @classmethod
    def folder_only(cls, report_dir: Path, *, mask_ssin: bool = False) -> ReportSession:
        """A session that knows its folder only: to check it, clear old bundles or re-render
        a finished run (no environment is loaded yet, or any more)."""
        return cls(
            report_dir,
            mask_ssin=mask_ssin,
            environment_name="",
            endpoint="",
            client_organisation="",
        )

    def check_writable(self) -> None:
        """Create the folders and prove a file can be written; raise :class:`ReportDirError`
        naming the folder and the reason otherwise. Call it before anything runs."""
        for folder in (self.report_dir, self.results_dir, self.bundles_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
                    pass
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise ReportDirError(
                    f"report folder {folder} cannot be written: {reason}. "
                    "Pass another --report-dir or fix the folder's permissions."
                ) from None

    def clear_bundles(self) -> list[Path]:
        """Remove the bundles an earlier run left in this folder, before this run starts: a
        case that passes now must not keep an old bundle. Only bundle folders (their README
        begins with :data:`README_HEAD`) are removed; returns them."""
        removed: list[Path] = []
        if not self.bundles_dir.is_dir():
            return removed
        for folder in sorted(self.bundles_dir.iterdir()):
            readme = folder / README
            if readme.is_file() and readme.read_bytes().startswith(README_HEAD.encode()):
                shutil.rmtree(folder)
                removed.append(folder)
        return removed

    def case_finished(self, outcome: CaseOutcome) -> Path | None:
        """Write the service-desk bundle of a failed case now; returns its folder."""
        if outcome.outcome != FAILED:
            return None
        return write_bundle(
            self.bundles_dir,
            outcome,
            environment_name=self.environment_name,
            endpoint=self.endpoint,
            client_organisation=self.client_organisation,
            masker=self.masker,
            secrets=self.secrets,
        )

    def finish(self, coverage_rows: list[dict[str, Any]], interrupted: bool = False) -> Path:
        """Write coverage.md and the Allure run files, then clean every artefact (masking when
        asked, secrets always). Returns the path of coverage.md."""
        rows = _complete(coverage_rows)
        self.report_dir.mkdir(parents=True, exist_ok=True)
        coverage_json = self.report_dir / COVERAGE_JSON
        if not coverage_json.exists():  # the harness writes it; an early stop may not have
            coverage_json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
        md_path, text = self.write_matrix(rows, interrupted=interrupted)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        props = allure_files.environment_properties(
            environment_name=self.environment_name,
            endpoint=self.endpoint,
            client_organisation=self.client_organisation,
            contract=self.contract,
        )
        allure_files.write_environment(self.results_dir, props)
        allure_files.write_categories(self.results_dir)
        allure_files.write_globals(
            self.results_dir,
            [
                ("coverage.md", "text/markdown", text.encode("utf-8")),
                ("coverage.json", "application/json", coverage_json.read_bytes()),
            ],
        )
        sla = sla_files.attachments(self.report_dir)
        if sla:
            allure_files.write_globals(self.results_dir, sla, allure_files.SLA_GLOBALS)
        self.clean_artefacts()
        return md_path

    def write_matrix(
        self, rows: list[dict[str, Any]], *, interrupted: bool = False
    ) -> tuple[Path, str]:
        """Write coverage.md from coverage rows (completed with the tables' codes)."""
        rows = _complete(rows)
        text = matrix.render(rows, interrupted=interrupted, bundles=self.bundle_links(rows))
        path = self.report_dir / COVERAGE_MD
        path.write_text(text, encoding="utf-8")
        return path, text

    def bundle_links(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
        links = {}
        for row in rows:
            for case_id in row.get("cases", []):
                name = bundle_dir_name(str(case_id))
                if (self.bundles_dir / name / README).is_file():
                    links[str(case_id)] = f"{BUNDLES_DIR}/{name}/{README}"
        return links

    def artefacts(self) -> list[Path]:
        """Every file this run's reports consist of (what masking and the secret scan cover).
        Limited to the known artefacts: ``--report-dir .`` must never rewrite other files."""
        files = [self.junit_path, self.report_dir / COVERAGE_JSON, self.report_dir / COVERAGE_MD]
        files.append(self.report_dir / OUTCOMES_FILE)
        # Allure 3's history keeps earlier runs' failure messages (responses, NISS included).
        files.append(self.report_dir / HISTORY_FILE)
        for folder in (self.results_dir, self.bundles_dir):
            if folder.is_dir():
                files += sorted(p for p in folder.rglob("*") if p.is_file())
        return [p for p in files if p.is_file()]

    def clean_artefacts(self) -> list[Path]:
        """Mask (when asked) and scrub secrets in place; returns the files changed.

        When masking, HTML reports rendered earlier are removed: they may hold NISS values in
        a form that cannot be masked in place (the single-file report embeds its data in
        base64); ``conformance report`` renders them again from the masked results."""
        changed = []
        if self.masker is not None:
            for name in (MULTI_DIR, SINGLE_DIR):
                if (self.report_dir / name).is_dir():
                    shutil.rmtree(self.report_dir / name)
                    changed.append(self.report_dir / name)
        for path in self.artefacts():
            data = path.read_bytes()
            if b"\0" in data[:8192]:  # binary (a screenshot): no text to clean
                continue
            cleaned = clean_bytes(data, self.masker, self.secrets)
            if cleaned != data:
                _replace(path, cleaned)
                changed.append(path)
        return changed


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        codes = matrix.table_codes()
    except ImportError:  # conformance.tables missing: show the rows as the harness gave them
        return [dict(r) for r in rows]
    return matrix.complete_rows(rows, codes)


def _replace(path: Path, data: bytes) -> None:
    # Write beside, then rename: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".mask-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
