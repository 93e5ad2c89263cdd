"""``conformance certify verify DIR``: does a package prove what it says? The first check that
fails is named, each with its own exit code (docs/certification.md):

====  ===============================================================================
0     the package verifies
4     not a package (no manifest.json or manifest.json.p7s), or a --ca file unreadable
10    the signature: it does not sign manifest.json, is not by the certificate the
      manifest names, or (with --ca) that certificate is not issued by the CA
11    a file: its sha256 differs from the manifest's, it is missing, or it is not listed
12    the contract: its sha256 (or the TSS tables') differs from the files in use
13    the manifest: another schema version (says which harness reads it), or invalid
====  ===============================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from conformance.certify import manifest
from conformance.certify.credentials import colon_hex
from conformance.certify.manifest import ManifestError
from conformance.certify.signature import ManifestChanged, SignatureError, load_ca
from conformance.certify.signature import verify as verify_signature

OK, NOT_A_PACKAGE, SIGNATURE, FILES, CONTRACT, MANIFEST = 0, 4, 10, 11, 12, 13


@dataclass(frozen=True)
class Result:
    code: int
    message: str  # one line: what was checked, or what failed and where


def verify(
    package: Path,
    *,
    ca: Sequence[x509.Certificate] = (),
    contract: Any = None,
) -> Result:
    """Judge ``package``: the signature, the manifest's version and schema, every file's hash,
    then the contract against ``contract`` (default: the one this harness ships)."""
    missing = [n for n in (manifest.MANIFEST, manifest.SIGNATURE) if not (package / n).is_file()]
    if not package.is_dir() or missing:
        what = "not a folder" if not package.is_dir() else f"no {', '.join(missing)}"
        return Result(NOT_A_PACKAGE, f"{package}: not a certification package ({what})")
    # The signature first: it covers the manifest's bytes whatever they hold, and its form
    # (detached CMS over manifest.json) is the same in every schema version.
    raw = (package / manifest.MANIFEST).read_bytes()
    try:
        signer = verify_signature(raw, (package / manifest.SIGNATURE).read_bytes(), ca)
    except ManifestChanged as exc:
        return Result(SIGNATURE, f"{package / manifest.MANIFEST}: {exc}")
    except SignatureError as exc:
        return Result(SIGNATURE, f"{package / manifest.SIGNATURE}: {exc}")
    try:
        raw, data = manifest.read(package)
        manifest.validate(data)  # another version is named first, with the harness it needs
    except ManifestError as exc:
        return Result(MANIFEST, f"{package}: {exc}")
    named = data["client"]["certificate"]["sha256_fingerprint"]
    if colon_hex(signer.fingerprint(_sha256())) != named:
        return Result(
            SIGNATURE,
            f"{package / manifest.SIGNATURE}: signed by another certificate than the manifest's",
        )
    problem = _files(package, data["files"])
    if problem:
        return Result(FILES, problem)
    problem = _contract(data, contract)
    if problem:
        return Result(CONTRACT, f"{package / manifest.MANIFEST}: {problem}")
    return Result(
        OK,
        f"{package}: verified: {data['verdict']}, signed by {signer.subject.rfc4514_string()}, "
        f"{len(data['files'])} files, contract {', '.join(sorted(data['contract']))}",
    )


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _files(package: Path, listed: dict[str, str]) -> str:
    found = manifest.file_hashes(package)
    for name, digest in listed.items():
        if name not in found:
            return f"{package / name}: listed in the manifest, missing from the package"
        if found[name] != digest:
            return f"{package / name}: sha256 {found[name]} differs from the manifest's {digest}"
    extra = sorted(set(found) - set(listed))
    if extra:
        return f"{package / extra[0]}: not listed in the manifest"
    return ""


def _contract(data: dict[str, Any], contract: Any) -> str:
    if contract is None:
        from conformance.contract import load_contract

        contract = load_contract()
    in_use = manifest.contract_hashes(contract)
    for name, digest in data["contract"].items():
        if in_use.get(name) != digest:
            return f"contract file {name}: sha256 {digest} is not that of the file in use " + (
                f"({in_use[name]})" if name in in_use else "(no such file in use)"
            )
    if manifest.tables_hash() != data["tss"]["tables_sha256"]:
        return "the TSS tables (conformance/data/tables.yaml) differ from the ones in use"
    return ""


def read_ca(path: Path) -> list[x509.Certificate]:
    """The certificates of a --ca PEM file; ValueError/OSError when unreadable."""
    return load_ca(path.read_bytes())
