"""``manifest.json``: what a package proves, in the shipped, versioned JSON Schema.

The schema is ``conformance/data/certification-manifest.schema.json``; :data:`SCHEMA_VERSION` is
the one this harness writes and reads. A manifest of another version is refused by
:func:`check_version` with the version it needs, before anything else is judged. Digests are
colon-separated hex (:func:`~conformance.certify.credentials.colon_hex`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from conformance import paths
from conformance.certify.credentials import colon_hex
from conformance.reports.allure_files import contract_digests
from conformance.reports.masking import Masker

SCHEMA_VERSION = 1
SCHEMA_FILE = "certification-manifest.schema.json"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
CERTIFICATE = "client-certificate.pem"
CERTIFIED, NOT_CERTIFIED = "CERTIFIED", "NOT CERTIFIED"


class ManifestError(Exception):
    """A manifest this harness cannot judge. The message says why (and which version)."""


@functools.cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((paths.data_dir() / SCHEMA_FILE).read_text("utf-8"))
    return data


def digest_of(data: bytes) -> str:
    return colon_hex(hashlib.sha256(data).digest())


def contract_hashes(contract: Any) -> dict[str, str]:
    """The contract files in use (WSDL, every XSD beside the payload XSD) -> digest."""
    return {
        name: colon_hex(bytes.fromhex(hexa)) for name, hexa in contract_digests(contract).items()
    }


def tables_hash() -> str:
    """The TSS tables as this harness holds them (``conformance/data/tables.yaml``)."""
    from conformance import tables

    return digest_of(tables.tables_path().read_bytes())


def file_hashes(package: Path) -> dict[str, str]:
    """Every file of the package but the manifest and its signature -> digest (POSIX paths)."""
    skip = {MANIFEST, SIGNATURE}
    return {
        path.relative_to(package).as_posix(): digest_of(path.read_bytes())
        for path in sorted(p for p in package.rglob("*") if p.is_file())
        if path.relative_to(package).as_posix() not in skip
    }


def _masked(value: Any, masker: Masker) -> Any:
    """Every string of ``value`` masked (JSON stays valid: only string contents change)."""
    if isinstance(value, str):
        return masker.mask_text(value)
    if isinstance(value, Mapping):
        return {key: _masked(item, masker) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, masker) for item in value]
    return value


def encode(manifest: Mapping[str, Any], masker: Masker) -> bytes:
    """The manifest's bytes as written and signed: masked, validated, ASCII JSON."""
    data = _masked(manifest, masker)
    validate(data)
    return (json.dumps(data, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def check_version(data: Any) -> None:
    """Refuse a manifest of another schema version, saying which harness it needs."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version == SCHEMA_VERSION:
        return
    made_by = data.get("harness", {}).get("version", "?") if isinstance(data, dict) else "?"
    if not isinstance(version, int):
        raise ManifestError(f"{MANIFEST}: no schema_version: not a certification manifest")
    newer = "a newer" if version > SCHEMA_VERSION else "an older"
    raise ManifestError(
        f"{MANIFEST}: schema version {version} (made by harness {made_by}); this harness reads "
        f"version {SCHEMA_VERSION}: verify it with {newer} harness that reads version {version}"
    )


def validate(data: Any) -> None:
    """Check ``data`` against the shipped schema; :class:`ManifestError` names the first error."""
    check_version(data)
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "<top>"
        raise ManifestError(f"{MANIFEST}: {error.message} (at {where})")


def read(package: Path) -> tuple[bytes, dict[str, Any]]:
    """The manifest's bytes and data (only parsed: :func:`validate` judges it)."""
    raw = (package / MANIFEST).read_bytes()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{MANIFEST}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{MANIFEST}: not a JSON object")
    return raw, data
