"""End to end: `conformance certify` against the embedded reference (issue 12 "Done when")."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from niss_oracle import readable_niss

from conformance.certify import manifest, verify

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"


def _certify(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "conformance.cli", "certify", "--out", str(out), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certify") / "package"
    done = _certify(out, "--env", "reference", "--client", "onem")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "CERTIFIED: package" in done.stdout
    return out


@pytest.fixture(scope="module")
def failed_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certify-defect") / "package"
    done = _certify(
        out, "--env", "reference", "--client", "onem", "--defect", "wrong_path_accepted"
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "NOT CERTIFIED: package" in done.stdout
    return out


def test_a_package_made_against_the_reference_verifies(package: Path) -> None:
    result = verify.verify(package)
    assert result.code == verify.OK, result.message
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "certify", "verify", str(package)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "verified: CERTIFIED" in done.stdout
    data = json.loads((package / manifest.MANIFEST).read_text())
    assert data["verdict"] == "CERTIFIED"
    assert {c["outcome"] for c in data["cases"]} == {"passed"}
    assert set(data["files"]) == {
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.name not in (manifest.MANIFEST, manifest.SIGNATURE)
    }
    for case in data["cases"]:  # each case's request and answer (or why none) is evidence
        assert any("request" in name for name in case["evidence"]), case["id"]
        assert any("response" in name for name in case["evidence"]), case["id"]
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in package.rglob("*") if p.is_file())


def test_the_signature_verifies_with_the_ca_and_with_openssl(package: Path) -> None:
    from conformance.harness.environment import shared_pki_dir

    ca = shared_pki_dir() / "ca.pem"
    assert verify.verify(package, ca=verify.read_ca(ca)).code == verify.OK
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not on PATH: no independent check of the CMS signature")
    done = subprocess.run(
        [
            openssl,
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(package / manifest.SIGNATURE),
            "-content",
            str(package / manifest.MANIFEST),
            "-CAfile",
            str(ca),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_a_signer_from_another_ca_is_refused_with_ca(package: Path) -> None:
    from conformance.harness.environment import shared_pki_dir

    foreign = shared_pki_dir() / "foreign" / "foreign.pem"
    result = verify.verify(package, ca=verify.read_ca(foreign))
    assert result.code == verify.SIGNATURE and "not issued by the given CA" in result.message


def test_one_byte_changed_anywhere_fails_naming_the_file(package: Path, tmp_path: Path) -> None:
    files = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file())
    assert len(files) > 30
    for relative in files:
        copy = tmp_path / str(relative).replace("/", "_")
        shutil.copytree(package, copy)
        target = copy / relative
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        result = verify.verify(copy)
        assert result.code != verify.OK, relative
        if relative.name in (manifest.MANIFEST, manifest.SIGNATURE):  # the signature covers it
            # The file that changed is the one named: an intact signature over other bytes
            # names the manifest, an altered signature names itself.
            assert result.code == verify.SIGNATURE, result.message
            assert result.message.startswith(f"{target}: "), result.message
        else:
            assert result.code == verify.FILES and str(relative) in result.message, result.message
        shutil.rmtree(copy)


def test_an_added_or_removed_file_fails(package: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    (copy / "evidence" / "extra.txt").write_text("x")
    result = verify.verify(copy)
    assert result.code == verify.FILES and "extra.txt: not listed" in result.message
    (copy / "evidence" / "extra.txt").unlink()
    (copy / "report.html").unlink()
    result = verify.verify(copy)
    assert result.code == verify.FILES and "report.html: listed" in result.message


def test_the_package_holds_no_checksum_valid_11_digit_number(
    package: Path, failed_package: Path
) -> None:
    for folder in (package, failed_package):
        holes = {
            str(p.relative_to(folder)): readable_niss(p.read_bytes())
            for p in folder.rglob("*")
            if p.is_file() and readable_niss(p.read_bytes())
        }
        assert holes == {}
    masks = (package / "evidence" / "msg00000-employment-infos" / "request.xml").read_text()
    assert "#" in masks.split("<ssin>")[1][:4]  # masked, not dropped


def test_one_failing_case_gives_not_certified_with_its_bundle(failed_package: Path) -> None:
    assert verify.verify(failed_package).code == verify.OK
    data = json.loads((failed_package / manifest.MANIFEST).read_text())
    assert data["verdict"] == "NOT CERTIFIED"
    failed = [c for c in data["cases"] if c["outcome"] == "failed"]
    assert [c["id"] for c in failed] == ["msg00052-wrong-path"]
    bundle = failed_package / failed[0]["bundle"]
    assert (bundle / "README.txt").read_text().startswith("To: BCSS service desk")
    assert (bundle / "request.xml").is_file() and (bundle / "response.xml").is_file()
    assert data["codes"]["failed"] == ["MSG00052"]
    page = (failed_package / "report.html").read_text()
    assert "NOT CERTIFIED" in page and "msg00052-wrong-path" in page


def test_report_html_is_one_printable_page(package: Path, tmp_path: Path) -> None:
    page = (package / "report.html").read_text()
    assert "<script" not in page and "http://" not in page.split("<body")[1].split("xmlns")[0]
    for text in ("CERTIFIED", "What was tested", "What was not tested, and why", "MSG00015"):
        assert text in page
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not installed (.ci/run installs the Debian chromium package)")
    pdf = tmp_path / "report.pdf"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p'}"]
    done = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", (package / "report.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'id="verdict">CERTIFIED<' in done.stdout
    done = subprocess.run(
        [CHROMIUM, *flags, f"--print-to-pdf={pdf}", (package / "report.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), done.stderr[-2000:]


def _resigned(package: Path, tmp_path: Path, change: dict[str, object]) -> Path:
    """A copy of ``package`` whose manifest is changed and signed again by the same key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from conformance.certify.signature import sign
    from conformance.harness.environment import shared_pki_dir

    copy = tmp_path / "resigned"
    shutil.copytree(package, copy)
    data = json.loads((copy / manifest.MANIFEST).read_text())
    data.update(change)
    raw = json.dumps(data, indent=2).encode()
    (copy / manifest.MANIFEST).write_bytes(raw)
    clients = shared_pki_dir() / "clients"
    cert = x509.load_pem_x509_certificate((clients / "onem.pem").read_bytes())
    key = serialization.load_pem_private_key((clients / "onem.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)  # the dev PKI's keys
    (copy / manifest.SIGNATURE).write_bytes(sign(raw, cert, key))
    return copy


@pytest.mark.parametrize(("version", "needs"), [(2, "a newer harness"), (0, "an older harness")])
def test_another_schema_version_says_which_it_needs(
    package: Path, tmp_path: Path, version: int, needs: str
) -> None:
    copy = _resigned(
        package, tmp_path, {"schema_version": version, "harness": {"name": "x", "version": "9.9"}}
    )
    result = verify.verify(copy)
    assert result.code == verify.MANIFEST
    assert f"schema version {version} (made by harness 9.9)" in result.message
    assert f"verify it with {needs} that reads version {version}" in result.message


def test_a_manifest_outside_its_schema_is_refused(package: Path, tmp_path: Path) -> None:
    copy = _resigned(package, tmp_path, {"verdict": "ALMOST CERTIFIED"})
    result = verify.verify(copy)
    assert result.code == verify.MANIFEST and "verdict" in result.message


def test_the_contract_must_be_the_one_in_use(package: Path, tmp_path: Path) -> None:
    data = json.loads((package / manifest.MANIFEST).read_text())
    contract = dict(data["contract"])
    name = next(iter(contract))
    contract[name] = "00:" * 31 + "00"
    result = verify.verify(_resigned(package, tmp_path, {"contract": contract}))
    assert result.code == verify.CONTRACT and name in result.message


def test_a_signature_by_another_certificate_than_the_manifests_is_refused(
    package: Path, tmp_path: Path
) -> None:
    data = json.loads((package / manifest.MANIFEST).read_text())
    client = data["client"]
    client["certificate"] = {**client["certificate"], "sha256_fingerprint": "AB:" * 31 + "AB"}
    result = verify.verify(_resigned(package, tmp_path, {"client": client}))
    assert result.code == verify.SIGNATURE and "another certificate" in result.message
