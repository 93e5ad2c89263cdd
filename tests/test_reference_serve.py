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
    assert main(["serve", "--defect", "no_such_defect"]) == 4  # bad input, as every command


def test_a_dataset_that_cannot_be_loaded_is_one_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from conformance.cli import main

    dataset = tmp_path / "dataset.yaml"
    dataset.write_bytes(b"persons: []\n\xff")
    assert main(["serve", "--no-tls", "--port", "0", "--dataset", str(dataset)]) == 4
    problem = f"dataset {dataset}: file: not UTF-8 text (byte 12 is 0xff)"
    assert capsys.readouterr().err == f"conformance serve: {problem}\n"


def test_dead_server_thread_ends_serve_with_one_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    # Without this, `conformance serve` would sit on a dead server until a signal came.
    from conformance.cli import main
    from conformance.reference.workers import EventLoopWorker

    def broken_serve(self, on_ready=None) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("socket exploded")

    monkeypatch.setattr(EventLoopWorker, "serve", broken_serve)
    before = signal.getsignal(signal.SIGTERM)
    args = ["serve", "--no-tls", "--port", "0", "--audit-log", str(tmp_path / "audit.jsonl")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "socket exploded" in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGTERM) == before  # the handlers were put back


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_bad_port_is_a_usage_error(port: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from conformance.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--no-tls", "--port", port])
    assert exit_.value.code == 2
    assert "not a port number" in capsys.readouterr().err
