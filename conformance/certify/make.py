"""``conformance certify``: check the inputs, run the profile, write and sign the package.

Every bad input is refused before anything runs (:func:`check_inputs`, one line, exit 4). The
profile runs through ``conformance run`` itself (its runner, plugin and reports, NISS masking on)
into a private report folder; the package is built beside the output folder and moved into place
only when complete, signed and audited for NISS-like numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from conformance import __version__
from conformance.certify import credentials, evidence, manifest, outcomes, page, profile
from conformance.certify.credentials import CredentialError, Credentials
from conformance.certify.signature import sign
from conformance.harness.environment import (
    BUILTIN,
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    check_environment,
    load_environment,
)
from conformance.reports.masking import Masker
from conformance.reports.session import RESULTS_DIR

HARNESS_NAME = "bcss-foreigner-conformance"
SLA_FILE = "sla.json"
# Nothing is started or sent to while the inputs are checked: the built-in reference then gives
# its clients and dev PKI for this address, which is never contacted.
_UNUSED_ENDPOINT = "https://127.0.0.1:9/"


class BadInput(Exception):
    """One line naming the file and the key; exit 4."""


@dataclass(frozen=True)
class Inputs:
    environment: Environment
    client: ClientProfile
    credentials: Credentials
    cases: list[profile.ProfileCase]
    out: Path


def check_inputs(env: str, role: str, out: Path, defect: str | None) -> Inputs:
    """Everything a package needs, checked before anything runs; :class:`BadInput` otherwise."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInput(f"--out {out}: not an empty folder (a package is never written over)")
    try:
        check_environment(env, defect=defect)
        placeholder = _UNUSED_ENDPOINT if env in BUILTIN else None
        with load_environment(env, placeholder) as handle:
            environment = handle.environment
        client = environment.client(role)
    except EnvironmentConfigError as exc:
        raise BadInput(str(exc)) from None
    where = f"{environment.source or env}: clients.{role}"
    try:
        creds = credentials.load(client)
    except CredentialError as exc:
        raise BadInput(f"{where}: {exc}") from None
    if not environment.endpoint.startswith("https://"):
        raise BadInput(f"{environment.source or env}: endpoint: certification needs https")
    cases = profile.profile_cases(
        clients=frozenset(environment.clients), persons=frozenset(environment.persons)
    )
    for item in cases:
        if item.mandatory and item.case.unmapped:
            raise BadInput(
                f"{environment.source or env}: mandatory case {item.case.id!r} needs "
                f"{', '.join(item.case.unmapped)} (persons:)"
            )
    return Inputs(environment, client, creds, cases, out)


def run_profile(inputs: Inputs, env: str, defect: str | None, work: Path) -> tuple[int, Path]:
    """Run the profile with ``conformance run`` into ``work/report``; (exit code, folder)."""
    from conformance.commands import run

    profile.write_profile_cases(work, inputs.cases, inputs.client.role)
    report_dir = work / "report"
    args = argparse.Namespace(
        env=env,
        endpoint=None,
        report_dir=str(report_dir),
        mask_ssin=True,  # always: a package never holds a NISS
        defect=defect,
        cases=str(work / "cases"),
        pytest_args=["--allow-partial"],  # the profile covers some codes by design
    )
    return run.run(args), report_dir


def build(inputs: Inputs, report_dir: Path, started: str, finished: str) -> tuple[Path, str]:
    """Write the package next to ``inputs.out``, then move it there; (folder, verdict)."""
    env = inputs.environment
    known = {p.ssin for p in env.persons.values()}
    known |= {p.replaced_by for p in env.persons.values() if p.replaced_by}
    masker = Masker(known)
    variables = {c.p12_password_env for c in env.clients.values() if c.p12_password_env}
    hidden = [os.environ.get(name, "") for name in sorted(variables)]
    out = inputs.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        found = evidence.copy_evidence(report_dir, partial, masker, hidden)
        cert_pem = inputs.credentials.certificate.public_bytes(serialization.Encoding.PEM)
        (partial / manifest.CERTIFICATE).write_bytes(cert_pem)
        data = _manifest(inputs, report_dir, found, started, finished)
        (partial / "report.html").write_text(masker.mask_text(page.render(data)), "utf-8")
        data["files"] = manifest.file_hashes(partial)
        signed = manifest.encode(data, masker)
        (partial / manifest.MANIFEST).write_bytes(signed)
        creds = inputs.credentials
        (partial / manifest.SIGNATURE).write_bytes(sign(signed, creds.certificate, creds.key))
        leaks = evidence.audit(partial)
        if leaks:
            raise RuntimeError(f"NISS-like numbers left in the package: {', '.join(leaks[:5])}")
        if out.exists():
            out.rmdir()  # checked empty before the run
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out, str(data["verdict"])


def _manifest(
    inputs: Inputs,
    report_dir: Path,
    found: dict[str, dict[str, Any]],
    started: str,
    finished: str,
) -> dict[str, Any]:
    verdicts = outcomes.case_verdicts(report_dir)
    cases = []
    for item in inputs.cases:
        case, verdict = item.case, verdicts.get(item.case.id)
        cases.append(
            {
                "id": case.id,
                "title": case.title,
                "operation": case.operation,
                "code": case.code,
                "tss": case.tss,
                "certification": case.certification,
                "outcome": verdict.outcome if verdict else "not-run",
                "failures": verdict.failures if verdict else [],
                "deviations": verdict.deviations if verdict else [],
                "reason": (verdict.reason if verdict else "the run did not reach it"),
                "evidence": found.get(case.id, {}).get("evidence", []),
                "bundle": found.get(case.id, {}).get("bundle"),
            }
        )
    passing = ("passed", "deviation")
    certified = all(
        c["outcome"] in passing
        if c["certification"] == profile.MANDATORY
        else c["outcome"] != "failed"
        for c in cases
    )
    covered = sorted({c["code"] for c in cases if c["code"] and c["outcome"] in passing})
    failed = sorted({c["code"] for c in cases if c["code"] and c["outcome"] == "failed"})
    expected = {c["code"] for c in cases if c["code"]}
    not_run = {
        code: "no case of the profile expecting it ran"
        for code in sorted(expected - set(covered) - set(failed))
    }
    env, client, cert = inputs.environment, inputs.client, inputs.credentials.certificate
    sla, sla_note = _sla(report_dir)
    data: dict[str, Any] = {
        "schema_version": manifest.SCHEMA_VERSION,
        "harness": {"name": HARNESS_NAME, "version": __version__},
        "run": {"id": run_id(started), "started_at": started, "finished_at": finished},
        "verdict": manifest.CERTIFIED if certified else manifest.NOT_CERTIFIED,
        "tss": {**_tss(), "tables_sha256": manifest.tables_hash()},
        "contract": manifest.contract_hashes(env.contract()),
        "environment": {"name": env.name, "endpoint": _endpoint(report_dir, env.endpoint)},
        "client": {
            "role": client.role,
            "customer_identification": dict(client.customer_identification),
            "legal_context": client.legal_context,
            "certificate": {"file": manifest.CERTIFICATE, **credentials.describe(cert)},
        },
        "cases": cases,
        "codes": {
            "covered": covered,
            "failed": failed,
            "not_run": not_run,
            "not_applicable": profile.uncovered_codes(inputs.cases),
        },
        "sla": sla,
        "files": {},
    }
    if sla is None:
        data["sla_note"] = sla_note
    return data


def _tss() -> dict[str, str]:
    tss = profile.profile_data()["tss"]
    return {"title": str(tss["title"]), "service": str(tss["service"])}


def _sla(report_dir: Path) -> tuple[dict[str, Any] | None, str]:
    path = report_dir / SLA_FILE
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data, ""
    return None, "this harness version writes no sla.json for a run: no SLA figures recorded"


def _endpoint(report_dir: Path, fallback: str) -> str:
    """The endpoint the run used (the embedded reference listens on a port of its own)."""
    props = report_dir / RESULTS_DIR / "environment.properties"
    if props.is_file():
        for line in props.read_text("utf-8").splitlines():
            if line.startswith("endpoint="):  # a Java properties value: \: for ":"
                return re.sub(r"\\(.)", r"\1", line.removeprefix("endpoint=").strip())
    return fallback


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_id(started: str) -> str:
    """``20261202T161500Z-1a2b3c4d``: no run of 11 digits, so it never reads as a NISS."""
    return f"{started.replace('-', '').replace(':', '')}-{secrets.token_hex(4)}"
