"""`conformance certify`: bad input is one line on stderr and exit 4, before anything runs;
`certify verify` on a folder that is not a package says so (issue 12 "Bad input")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance import cli

PERSONS = {
    "cards_and_permits": "85073003328",
    "special_infos_ssin": "17073003384",
    "unknown": "85073003409",
}


def _pem_pair(folder: Path, *, days: int = 30, other_key: bool = False) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    now = dt.datetime.now(dt.UTC)
    start, end = (now - dt.timedelta(days=60), now + dt.timedelta(days=days))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    if other_key:
        key = ec.generate_private_key(ec.SECP256R1())
    cert_path, key_path = folder / "partner.pem", folder / "partner.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _environment(
    folder: Path,
    *,
    endpoint: str = "https://partner.invalid/fss",
    days: int = 30,
    other_key: bool = False,
) -> Path:
    cert, key = _pem_pair(folder, days=days, other_key=other_key)
    env = {
        "name": "partner-acpt",
        "endpoint": endpoint,
        "clients": {
            "partner": {
                "customer_identification": {"cbeNumber": "0206737484"},
                "legal_context": "NEO:UNEMPLOYMENT",
                "cert": cert.name,
                "key": key.name,
            }
        },
        "persons": PERSONS,
    }
    path = folder / "partner.yaml"
    path.write_text(yaml.safe_dump(env), encoding="utf-8")
    return path


def _certify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["certify", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _refused(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> str:
    code, stdout, stderr = _certify(capsys, "--out", str(out), *args)
    assert code == 4
    assert stdout == ""  # nothing ran
    assert len(stderr.strip().splitlines()) == 1, stderr
    return stderr


def test_an_expired_certificate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path, days=-1)
    err = _refused(capsys, tmp_path / "out", "--env", str(env), "--client", "partner")
    assert "clients.partner" in err and "expired" in err and "partner.pem" in err
    assert not (tmp_path / "out").exists()


def test_a_certificate_that_does_not_match_its_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path, other_key=True)
    err = _refused(capsys, tmp_path / "out", "--env", str(env), "--client", "partner")
    assert "does not match its private key" in err


def test_a_client_role_missing_from_the_environment_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path)
    err = _refused(capsys, tmp_path / "out", "--env", str(env), "--client", "onem")
    assert "no client profile for role 'onem'" in err and "partner" in err


def test_a_non_empty_output_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("x")
    err = _refused(capsys, out, "--env", str(env), "--client", "partner")
    assert f"--out {out}: not an empty folder" in err
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_a_mandatory_case_without_its_test_person_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path)
    data = yaml.safe_load(env.read_text())
    del data["persons"]["unknown"]
    env.write_text(yaml.safe_dump(data))
    err = _refused(capsys, tmp_path / "out", "--env", str(env), "--client", "partner")
    assert "mandatory case 'msg00005-unknown-person' needs person role 'unknown'" in err


def test_plain_http_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = _environment(tmp_path, endpoint="http://partner.invalid/fss")
    err = _refused(capsys, tmp_path / "out", "--env", str(env), "--client", "partner")
    assert "endpoint: certification needs https" in err


def test_env_and_client_are_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, tmp_path / "out", "--env", "reference")
    assert "--env and --client are required" in err


def test_verify_on_a_folder_that_is_not_a_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = _certify(capsys, "verify", str(tmp_path))
    assert code == 4
    assert "not a certification package (no manifest.json, manifest.json.p7s)" in err
    code, _, err = _certify(capsys, "verify", str(tmp_path / "missing"))
    assert code == 4 and "not a folder" in err


def test_verify_with_an_unreadable_ca_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    code, _, err = _certify(capsys, "verify", str(tmp_path), "--ca", str(tmp_path / "ca.pem"))
    assert code == 4 and len(err.strip().splitlines()) == 1
