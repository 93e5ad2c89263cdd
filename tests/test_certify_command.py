"""`conformance certify`: bad input is one line on stderr and exit 4, before anything runs;
`certify verify` on a folder that is not a package says so (issue 12 "Bad input")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from conformance import cli
from conformance import x509build as build

PERSONS = {
    "cards_and_permits": "85073003328",
    "special_infos_ssin": "17073003384",
    "unknown": "85073003409",
}


def _pem_pair(folder: Path, *, days: int = 30, other_key: bool = False) -> tuple[Path, Path]:
    """A self-signed partner certificate valid from 60 days ago for ``days`` more days; with
    ``other_key``, the key file holds another key than the certificate's."""
    key, name = build.new_key(), build.name("partner")
    now = dt.datetime.now(dt.UTC)
    validity = (now - dt.timedelta(days=60), now + dt.timedelta(days=days))
    cert = build.leaf(key, name, key, name, validity, usage=None)
    cert_path, key_path = folder / "partner.pem", folder / "partner.key"
    build.write_cert(cert_path, cert)
    build.write_key(key_path, build.new_key() if other_key else key)
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
