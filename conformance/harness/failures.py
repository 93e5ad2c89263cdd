"""THE failure formatter: the terminal and every report print this text, so they cannot drift.

A failing exchange reads (STYLE "Failures a person can act on"): a title naming the broken rule's
authority (``TSS 6.1 MSG00005``, ``WS-I BP R1126``, ``decision both-groups-false``...),
``Expected:``/``Received:`` per failure, the trimmed response, and a ``Reproduce with:`` block
(the request body saved to a file, a curl command with the client certificate, the CA, the
SOAPAction and the URL, plus the Hypothesis seed when one was used). Private keys and passwords
are never printed: only file paths, and the NAME of the variable holding a PKCS#12 password.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from conformance.exchange import Exchange
from conformance.harness.checks import CheckFailure
from conformance.harness.environment import ClientProfile
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

RESPONSE_LINES = 40
_INDENT = "  "


def format_failure(
    exchange: Exchange,
    failures: Sequence[CheckFailure],
    *,
    client: ClientProfile | None,
    seed: str | None = None,
    body_file: str = "request.xml",
    ca_bundle: str | Path | None = None,
) -> str:
    """The full text of a failed exchange. ``failures`` may include warnings (shown apart).

    ``ca_bundle`` is the environment's CA file, for curl's ``--cacert``.
    """
    errors = [f for f in failures if not f.warning]
    warnings = [f for f in failures if f.warning]
    head = errors[0] if errors else (warnings[0] if warnings else None)
    lines = [_title(head, len(errors))]
    for number, failure in enumerate(errors, 1):
        lines += _entry(number, failure)
    if warnings:
        lines.append("Warnings:")
        for number, failure in enumerate(warnings, 1):
            lines += _entry(number, failure)
    lines.append(_response_heading(exchange))
    lines += [_INDENT + line for line in trimmed_response(exchange)]
    lines.append(
        reproduction(exchange, client, seed=seed, body_file=body_file, ca_bundle=ca_bundle)
    )
    return "\n".join(lines) + "\n"


def reason_line(failure: CheckFailure, limit: int = 300) -> str:
    """One failure in one line, as printed live while the run goes on."""
    line = (
        f"{failure.title} [{failure.category}] ({failure.authority}; rule {failure.rule}): "
        f"expected {failure.expected}; received {failure.received}"
    )
    line = " ".join(line.split())  # a received body may hold newlines
    return line if len(line) <= limit else line[: limit - 3] + "..."


def reproduction(
    exchange: Exchange,
    client: ClientProfile | None,
    *,
    seed: str | None = None,
    body_file: str = "request.xml",
    ca_bundle: str | Path | None = None,
) -> str:
    """The "Reproduce with:" block: the request body saved to a file, the curl command, and
    the Hypothesis seed when one was used (the reports attach it for passed cases too)."""
    # Not indented: the block must paste into a shell as is (a heredoc's EOF must start its line).
    lines = ["Reproduce with:", *_save_body(exchange.request.body, body_file)]
    lines.append(curl_command(exchange, client, body_file=body_file, ca_bundle=ca_bundle))
    if seed:
        lines.append(f"# Hypothesis seed: {seed} (pytest --hypothesis-seed={seed})")
    return "\n".join(lines)


def curl_command(
    exchange: Exchange,
    client: ClientProfile | None,
    *,
    body_file: str = "request.xml",
    ca_bundle: str | Path | None = None,
) -> str:
    """One curl command replaying the exchange's request (body read from ``body_file``)."""
    request = exchange.request
    parts = ["curl", "-sS", "-i"]
    if request.method != "POST":
        parts += ["-X", request.method]
    if client is not None and client.cert is not None:
        parts += ["--cert", str(client.cert), "--key", str(client.key)]
    elif client is not None and client.p12 is not None:
        var = client.p12_password_env or "P12_PASSWORD"
        # The shell expands the variable: the password itself never appears here.
        parts += ["--cert-type", "P12", "--cert", _Raw(shlex.quote(f"{client.p12}:") + f'"${var}"')]
    if ca_bundle:
        parts += ["--cacert", str(ca_bundle)]
    for name, value in request.headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", f"@{body_file}", request.url]
    return " ".join(p if isinstance(p, _Raw) else shlex.quote(p) for p in parts)


class _Raw(str):
    """A command-line word already quoted for the shell."""


def trimmed_response(exchange: Exchange, max_lines: int = RESPONSE_LINES) -> list[str]:
    """The response pretty-printed (or as text when not XML), cut to ``max_lines`` lines."""
    if exchange.status is None:
        return [f"(no response: {exchange.error or 'nothing received'})"]
    if not exchange.body:
        return ["(empty body)"]
    try:
        root = parse_untrusted(exchange.body, max_bytes=len(exchange.body))
        etree.indent(root, space="  ")
        text = etree.tostring(root, encoding="unicode")
    except UntrustedXMLError:
        text = exchange.body.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"]
    return lines


def _title(head: CheckFailure | None, count: int) -> str:
    if head is None:
        return "FAILED: no check failed, but the case did not pass"
    more = f" (+{count - 1} more)" if count > 1 else ""
    kind = "WARNING" if head.warning else "FAILED"
    return f"{kind}: {head.title} [{head.category}] ({head.authority}){more}"


def _entry(number: int, failure: CheckFailure) -> list[str]:
    lines = [
        f"{number}. {failure.title} [{failure.category}] "
        f"({failure.authority}; rule {failure.rule})",
        f"{_INDENT}Expected: {failure.expected}",
        f"{_INDENT}Received: {failure.received}",
    ]
    lines += [f"{_INDENT}{_INDENT}{detail}" for detail in failure.details]
    return lines


def _response_heading(exchange: Exchange) -> str:
    if exchange.status is None:
        return "Response:"
    content_type = next((v for k, v in exchange.headers.items() if k.lower() == "content-type"), "")
    trouble = f"; {exchange.error}" if exchange.error else ""
    return (
        f"Response (HTTP {exchange.status}, {content_type or 'no Content-Type'}, "
        f"{len(exchange.body)} bytes, {exchange.elapsed_s:.3f} s{trouble}):"
    )


def _save_body(body: bytes, body_file: str) -> list[str]:
    """Shell lines writing ``body`` to ``body_file``. A heredoc adds one final newline, which
    changes nothing for XML; bodies that are not plain UTF-8 text go through base64 instead."""
    target = shlex.quote(body_file)
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\r" in text:
        encoded = base64.b64encode(body).decode()
        chunks = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
        return [f"base64 -d > {target} <<'EOF'", *chunks, "EOF"]
    delimiter = "EOF"
    while delimiter in text.splitlines():
        delimiter += "_"
    return [f"cat > {target} <<'{delimiter}'", *text.splitlines(), delimiter]
