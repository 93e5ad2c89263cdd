"""``conformance serve``: prints the URL, serves, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from conformance.cli import COMMANDS
from conformance.reference.defects import DEFECTS


def _start(tmp_path, *extra: str) -> tuple[subprocess.Popen[str], str]:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "conformance.cli", "serve", "--port", "0"]
    command += ["--audit-log", str(tmp_path / "audit.jsonl"), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("reference service: "), first + (
        process.stderr.read() if process.stderr else ""
    )
    return process, first.split(": ", 1)[1].strip()


def test_serve_is_a_command() -> None:
    assert "serve" in COMMANDS


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_plain_http_and_stop_on_signal(tmp_path, sig: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    process, url = _start(tmp_path, "--no-tls")
    try:
        with requests.Session() as session:
            session.trust_env = False
            assert session.get(url, timeout=10).status_code == 405
        process.send_signal(sig)
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0 and "stopped" in out
    assert (tmp_path / "audit.jsonl").read_text().count("\n") == 1


def test_serve_tls_prints_the_pki_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    process, url = _start(tmp_path, "--pki-dir", str(tmp_path / "pki"))
    try:
        assert url.startswith("https://127.0.0.1:")
        assert process.stdout is not None
        assert str(tmp_path / "pki") in process.stdout.readline()
        assert (tmp_path / "pki" / "README.txt").is_file()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0


def test_list_defects_and_unknown_defect(capsys) -> None:  # type: ignore[no-untyped-def]
    from conformance.cli import main

    assert main(["serve", "--list-defects"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(DEFECTS)
    assert main(["serve", "--defect", "no_such_defect"]) == 2
