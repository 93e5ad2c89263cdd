"""The one failure formatter: title, Expected/Received, trimmed response, Reproduce with."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import ECHO, OTHER, WRONG_CODE, CheckFailure
from conformance.harness.environment import ClientProfile
from conformance.harness.failures import curl_command, format_failure, trimmed_response

URL = "https://b2b-acpt.ksz-bcss.fgov.be:4520/ForeignerSituationService/v1/consult"
ACTION = "http://kszbcss.fgov.be/ForeignerSituationService/consultEmploymentInfos"
BODY = b'<?xml version="1.0"?>\n<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><ssin>85073003328</ssin></e:Body></e:Envelope>'
REQUEST = OutgoingRequest(
    URL, BODY, {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'}
)
PEM = ClientProfile(
    "onem", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT",
    cert=Path("/pki/onem.pem"), key=Path("/pki/onem.key"),
)  # fmt: skip
P12 = ClientProfile(
    "onem", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT",
    p12=Path("/pki/onem.p12"), p12_password_env="ONEM_P12_PW",
)  # fmt: skip
LONG_RESPONSE = b"<r>" + b"".join(b"<line>%d</line>" % i for i in range(100)) + b"</r>"
FAILURES = [
    CheckFailure(
        "Return code MSG00005",
        "NO_RESULT/MSG00005",
        "DATA_FOUND/MSG00000",
        WRONG_CODE,
        rule="status.code",
        ref="6.1 MSG00005",
    ),
    CheckFailure("Echo of legalContext", "<a/>", "<b/>", ECHO, rule="echo.legalContext"),
    CheckFailure("dates", "expiry >= inception", "before", OTHER, warning=True, rule="dates.order"),
]


def _exchange(body: bytes = LONG_RESPONSE, **kw) -> Exchange:
    return Exchange(
        REQUEST, 200, {"Content-Type": "text/xml"}, body, "2026-11-30T00:00:00+00:00", 0.012, **kw
    )


def test_text_has_every_part():
    text = format_failure(_exchange(), FAILURES, client=PEM, seed="12345", ca_bundle="/pki/ca.pem")
    lines = text.splitlines()
    assert lines[0] == (
        "FAILED: Return code MSG00005 [wrong return code] (TSS 6.1 MSG00005) (+1 more)"
    )
    assert (
        "1. Return code MSG00005 [wrong return code] (TSS 6.1 MSG00005; rule status.code)" in lines
    )
    assert "  Expected: NO_RESULT/MSG00005" in lines
    assert "  Received: DATA_FOUND/MSG00000" in lines
    assert "  Expected: <a/>" in lines and "  Received: <b/>" in lines
    assert "Warnings:" in lines
    assert lines.index("Warnings:") < lines.index("  Received: before")
    assert any(line.startswith("Response (HTTP 200, text/xml,") for line in lines)
    assert "Reproduce with:" in lines
    assert "cat > request.xml <<'EOF'" in lines
    assert "# Hypothesis seed: 12345 (pytest --hypothesis-seed=12345)" in lines


def test_response_is_pretty_and_trimmed():
    lines = trimmed_response(_exchange())
    assert lines[0] == "<r>" and lines[1] == "  <line>0</line>"
    assert len(lines) == 41 and lines[-1] == "... (62 more lines)"


def test_non_xml_response_is_shown_as_text():
    lines = trimmed_response(_exchange(b"<html><body>Bad Gateway"))
    assert lines == ["<html><body>Bad Gateway"]
    assert trimmed_response(_exchange(b"")) == ["(empty body)"]
    down = Exchange(REQUEST, error="connection refused to " + URL)
    assert trimmed_response(down) == ["(no response: connection refused to " + URL + ")"]
    text = format_failure(down, FAILURES[:1], client=None)
    assert "(no response: connection refused to" in text


def test_curl_with_pem_pair():
    command = curl_command(_exchange(), PEM, ca_bundle="/pki/ca.pem")
    argv = shlex.split(command)
    assert argv[0] == "curl"
    assert argv[argv.index("--cert") + 1] == "/pki/onem.pem"
    assert argv[argv.index("--key") + 1] == "/pki/onem.key"
    assert argv[argv.index("--cacert") + 1] == "/pki/ca.pem"
    assert f'SOAPAction: "{ACTION}"' in argv
    assert "Content-Type: text/xml; charset=utf-8" in argv
    assert argv[argv.index("--data-binary") + 1] == "@request.xml"
    assert argv[-1] == URL


def test_curl_with_pkcs12_names_the_variable_not_the_password(monkeypatch):
    monkeypatch.setenv("ONEM_P12_PW", "hunter2-secret")
    command = curl_command(_exchange(), P12)
    assert "--cert-type P12" in command
    assert '/pki/onem.p12:"$ONEM_P12_PW"' in command
    # The shell turns the word into path:password with the variable expanded.
    argv = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {command.split(' --cert ')[1].split(' ')[0]}"],
        capture_output=True, text=True, check=True, timeout=30,
        env={"ONEM_P12_PW": "hunter2-secret", "PATH": "/usr/bin:/bin"},
    ).stdout  # fmt: skip
    assert argv == "/pki/onem.p12:hunter2-secret\n"
    text = format_failure(_exchange(), FAILURES, client=P12)
    assert "hunter2-secret" not in text and "hunter2-secret" not in command


def test_private_key_content_never_printed(tmp_path):
    key = tmp_path / "k.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n")
    client = ClientProfile("x", {"cbeNumber": "1"}, "L", cert=tmp_path / "c.pem", key=key)
    text = format_failure(_exchange(), FAILURES, client=client)
    assert "SECRETKEYMATERIAL" not in text and "PRIVATE KEY" not in text
    assert str(key) in text


def test_reproduce_block_recreates_the_body(tmp_path):
    # Run the printed block's file-writing part in a shell: the body comes back intact.
    text = format_failure(_exchange(), FAILURES, client=PEM, body_file="req.xml")
    lines = text.splitlines()
    start = lines.index("Reproduce with:") + 1
    end = lines.index("EOF", start)
    script = "\n".join(lines[start : end + 1]) + "\n"
    subprocess.run(["sh", "-c", script], cwd=tmp_path, check=True, timeout=30)
    assert (tmp_path / "req.xml").read_bytes() == BODY + b"\n"  # a heredoc ends with a newline


def test_binary_body_goes_through_base64(tmp_path):
    body = b"\xff\xfe<broken"
    request = OutgoingRequest(URL, body, {"Content-Type": "text/xml"})
    text = format_failure(Exchange(request, 500, {}, b"x"), FAILURES[:1], client=None)
    lines = text.splitlines()
    start = lines.index("Reproduce with:") + 1
    assert lines[start] == "base64 -d > request.xml <<'EOF'"
    end = lines.index("EOF", start)
    subprocess.run(
        ["sh", "-c", "\n".join(lines[start : end + 1]) + "\n"], cwd=tmp_path, check=True, timeout=30
    )
    assert (tmp_path / "request.xml").read_bytes() == body


def test_heredoc_delimiter_never_collides():
    body = b"<a>\nEOF\n</a>"
    request = OutgoingRequest(URL, body, {"Content-Type": "text/xml"})
    text = format_failure(Exchange(request, 200, {}, b"<a/>"), FAILURES[:1], client=None)
    assert "cat > request.xml <<'EOF_'" in text


def test_seed_line_only_when_a_seed_was_used():
    assert "Hypothesis seed" not in format_failure(_exchange(), FAILURES, client=PEM)
