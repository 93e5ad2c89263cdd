"""harness/preflight.py: one exchange before the cases tells "endpoint down" (the run stops at
once, exit 6, one line) from "endpoint wrong" (the cases run and say what is wrong)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import stubs
import throwaway_client
import yaml

from conformance.harness import preflight
from conformance.harness.environment import Environment, Timeouts

TIMEOUTS = Timeouts(connect=0.5, read=0.5)


def _down(url: str) -> str | None:
    env = Environment("stub", url, {}, {}, timeouts=TIMEOUTS)
    return preflight.down_reason(preflight.probe(env))


@pytest.mark.parametrize("behaviour", ["reset", "blackhole", "trickle"])
def test_no_answer_is_down(stub: list[stubs.Stub], behaviour: str) -> None:
    made = {
        "reset": stubs.reset,
        "blackhole": stubs.blackhole,
        "trickle": stubs.trickle(b"HTTP/1.1 200 OK\r\n"),
    }[behaviour]
    one = stubs.Stub(made)
    stub.append(one)
    reason = _down(one.url())
    assert reason and reason.startswith("endpoint down (preflight, no case was run): ")
    assert one.url() in reason and "\n" not in reason
    assert one.connections == 1


def test_nothing_listening_is_down() -> None:
    url = f"http://127.0.0.1:{stubs.free_port()}/x"
    assert _down(url) == f"endpoint down (preflight, no case was run): connection refused to {url}"


@pytest.mark.parametrize(
    "behaviour",
    [
        stubs.answer(status="500 Internal Server Error"),
        stubs.answer(body=b"<html>502</html>", headers=(("Content-Type", "text/html"),)),
        stubs.answer(status="401 Unauthorized", body=b""),
        stubs.raw(b"not http at all\r\n\r\n"),  # a protocol error is an answer: wrong, not down
        stubs.bad_chunked(),
    ],
)
def test_any_answer_is_not_down(stub: list[stubs.Stub], behaviour: stubs.Behaviour) -> None:
    one = stubs.Stub(behaviour)
    stub.append(one)
    assert _down(one.url()) is None


def test_the_embedded_reference_is_not_probed() -> None:
    assert preflight.before_cases("reference", None) is None


# ---- the run stops: conformance run and plain pytest -----------------------------------------


def _env_file(folder: Path, url: str) -> Path:
    data = {
        "name": "stub",
        "endpoint": url,
        "timeouts": {"connect": TIMEOUTS.connect, "read": TIMEOUTS.read},
        "clients": {
            "onem": {
                "customer_identification": {"cbeNumber": "0206737484"},
                "legal_context": "NEO:UNEMPLOYMENT",
            }
        },
        "persons": {},
    }
    path = folder / "stub.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_conformance_run_against_a_refusing_endpoint_exits_6(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{stubs.free_port()}/x"
    result = _python(
        tmp_path, "-m", "conformance.cli", "run", "--report-dir", "out", "--endpoint", url
    )
    assert result.returncode == 6, result.stdout[-2000:] + result.stderr[-2000:]
    reason = f"endpoint down (preflight, no case was run): connection refused to {url}"
    assert result.stderr == f"conformance: {reason}\n"  # one line, said once
    assert reason not in result.stdout and "_pytest" not in result.stdout
    assert " passed" not in result.stdout and "Traceback" not in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_plain_pytest_against_a_blackhole_exits_6(
    tmp_path: Path, stub: list[stubs.Stub], workers: list[str]
) -> None:
    one = stubs.Stub(stubs.blackhole)
    stub.append(one)
    env_file = _env_file(tmp_path, one.url())
    cases = Path(__file__).resolve().parents[1] / "cases"
    result = _python(
        tmp_path, "-m", "pytest", str(cases), "-p", "no:cacheprovider", "--env", str(env_file),
        "--report-dir", "out", *workers,
    )  # fmt: skip
    assert result.returncode == 6, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"no response from {one.url()} within 0.5 s" in result.stderr
    assert result.stderr.count("endpoint down") == 1 and "endpoint down" not in result.stdout
    assert one.connections == 1  # the preflight only: no case ran


P12_PASSWORD_VAR = "PREFLIGHT_P12_PASSWORD"


def _with_client(path: Path, **certificate: str) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["clients"]["onem"].update(certificate)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _credentials(folder: Path) -> dict[str, Path]:
    """A PKCS#12 file (password "right"), its PEM pair, and a key of another pair."""
    made = throwaway_client.client_files(b"right", "preflight client")
    contents = {
        "c.p12": made["p12"],
        "c.pem": made["cert"],
        "c.key": made["key"],
        "other.key": throwaway_client.other_key(),
    }
    files = {name: folder / name for name in contents}
    for name, content in contents.items():
        files[name].write_bytes(content)
    return files


def test_a_client_certificate_that_cannot_be_opened_is_found_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _credentials(tmp_path)
    url = f"http://127.0.0.1:{stubs.free_port()}/x"
    p12 = _with_client(
        _env_file(tmp_path, url), p12=str(files["c.p12"]), p12_password_env=P12_PASSWORD_VAR
    )
    monkeypatch.setenv(P12_PASSWORD_VAR, "wrong")
    reason = preflight.unusable_credentials(str(p12), None)
    assert reason and reason.startswith(f"{p12}: client onem: cannot open PKCS#12 {files['c.p12']}")
    monkeypatch.setenv(P12_PASSWORD_VAR, "right")
    assert preflight.unusable_credentials(str(p12), None) is None
    mismatched = _with_client(
        _env_file(tmp_path, url), cert=str(files["c.pem"]), key=str(files["other.key"])
    )
    reason = preflight.unusable_credentials(str(mismatched), None)
    assert reason and f"client onem: cannot use certificate {files['c.pem']}" in reason
    matched = _with_client(
        _env_file(tmp_path, url), cert=str(files["c.pem"]), key=str(files["c.key"])
    )
    assert preflight.unusable_credentials(str(matched), None) is None
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(_encrypted(files["c.key"]))
    locked = _with_client(_env_file(tmp_path, url), cert=str(files["c.pem"]), key=str(encrypted))
    reason = preflight.unusable_credentials(str(locked), None)  # never a terminal prompt
    assert reason and f"client onem: key {encrypted} is encrypted; give the certificate" in reason
    assert preflight.unusable_credentials("reference", None) is None  # its certificates are ours


def _encrypted(key_file: Path) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )


@pytest.mark.slow
def test_conformance_run_with_a_wrong_p12_password_exits_4_sending_nothing(
    tmp_path: Path, stub: list[stubs.Stub]
) -> None:
    one = stubs.Stub(stubs.blackhole)
    stub.append(one)
    files = _credentials(tmp_path)
    env_file = _with_client(
        _env_file(tmp_path, one.url()), p12=str(files["c.p12"]), p12_password_env=P12_PASSWORD_VAR
    )
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file),
         "--report-dir", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, P12_PASSWORD_VAR: "wrong"},
    )  # fmt: skip
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    [line] = result.stderr.splitlines()
    assert line.startswith(f"conformance: {env_file}: client onem: cannot open PKCS#12")
    assert one.connections == 0  # nothing was sent
