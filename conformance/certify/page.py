"""``report.html``: the package as one printable page a person reads (no script, no link out).

Everything on it comes from the manifest, so the page cannot say more than what is signed; its
text goes through the same masker as every other file of the package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from conformance.certify.manifest import CERTIFIED
from conformance.certify.profile import profile_data

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.verdict { font-size: 2em; font-weight: bold; padding: .4em .6em; display: inline-block; }
.ok { background: #d9f2d9; border: 3px solid #1a7f1a; }
.ko { background: #f9d6d5; border: 3px solid #b42318; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { border: 1px solid #999; padding: .25em .4em; text-align: left; vertical-align: top; }
td.failed { color: #b42318; font-weight: bold; } td.passed { color: #1a7f1a; }
code { font-size: .85em; word-break: break-all; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; }
  tr { page-break-inside: avoid; } }
"""


def _row(*cells: str, cls: str = "") -> str:
    attr = f' class="{escape(cls)}"' if cls else ""
    return "<tr>" + "".join(f"<td{attr if i == 1 else ''}>{c}</td>" for i, c in enumerate(cells))


def _table(head: tuple[str, ...], rows: list[str]) -> str:
    top = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><tr>{top}</tr>{''.join(rows) or '<tr><td>none</td></tr>'}</table>"


def _rules(case: Mapping[str, Any]) -> str:
    parts = []
    for failure in [*case["failures"], *case["deviations"]]:
        authority = failure.get("authority") or {}
        where = f" ({authority.get('kind')} {authority.get('ref')})" if authority else ""
        rule = failure.get("rule") or failure.get("category") or "failure"
        parts.append(f"<code>{escape(str(rule))}</code>{escape(where)}: {escape(failure['title'])}")
    return "<br>".join(parts)


def render(manifest: Mapping[str, Any]) -> str:
    """The page of one package (its verdict first)."""
    verdict = manifest["verdict"]
    client, cert = manifest["client"], manifest["client"]["certificate"]
    env, run = manifest["environment"], manifest["run"]
    tested = [c for c in manifest["cases"] if c["outcome"] in ("passed", "failed", "deviation")]
    skipped = [c for c in manifest["cases"] if c not in tested]
    case_rows = [
        _row(
            f"<code>{escape(c['id'])}</code><br>{escape(c['title'])}",
            escape(c["outcome"]),
            escape(c["code"] or "TLS"),
            escape(c["certification"]),
            escape(c["tss"]),
            _rules(c),
            escape(c["bundle"] or ""),
            cls=c["outcome"],
        )
        for c in tested
    ]
    not_run = [
        _row(
            f"case <code>{escape(c['id'])}</code> ({escape(c['certification'])})",
            escape(c["reason"] or c["outcome"]),
        )
        for c in skipped
    ]
    not_run += [
        _row(f"code {escape(k)}", escape(v)) for k, v in manifest["codes"]["not_run"].items()
    ]
    not_applicable = [
        _row(f"code {escape(k)}", escape(v)) for k, v in manifest["codes"]["not_applicable"].items()
    ]
    sla = manifest.get("sla")
    sla_text = (
        f"<pre>{escape(json.dumps(sla, indent=2))}</pre>"
        if sla is not None
        else f"<p>{escape(manifest.get('sla_note', 'not recorded'))}</p>"
    )
    contract = [
        _row(escape(k), f"<code>{escape(v)}</code>") for k, v in manifest["contract"].items()
    ]
    ok = verdict == CERTIFIED
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(verdict)}: {escape(manifest["tss"]["service"])} for {escape(cert["subject"])}</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(manifest["tss"]["service"])}: partner certification</h1>
<p class="verdict {"ok" if ok else "ko"}" id="verdict">{escape(verdict)}</p>
<p>{
        "Every mandatory case of the certification profile passed, and no case that ran failed."
        if ok
        else "A case of the certification profile failed or a mandatory case did not run."
    }</p>
<h2>Who, where, when</h2>
{
        _table(
            ("", ""),
            [
                _row("Client certificate", escape(cert["subject"])),
                _row("Issued by", escape(cert["issuer"])),
                _row("Valid", escape(f"{cert['not_before']} to {cert['not_after']}")),
                _row("SHA-256 fingerprint", f"<code>{escape(cert['sha256_fingerprint'])}</code>"),
                _row(
                    "customerIdentification", escape(json.dumps(client["customer_identification"]))
                ),
                _row("Legal context", escape(client["legal_context"])),
                _row("Environment", escape(f"{env['name']}: {env['endpoint']}")),
                _row(
                    "Run", escape(f"{run['id']}, {run['started_at']} to {run['finished_at']} (UTC)")
                ),
                _row(
                    "Harness",
                    escape(f"{manifest['harness']['name']} {manifest['harness']['version']}"),
                ),
                _row("Specification", escape(manifest["tss"]["title"])),
            ],
        )
    }
<h2>What was tested</h2>
{_table(("case", "outcome", "code", "profile", "TSS", "rules broken", "bundle"), case_rows)}
<p>Codes covered: {escape(", ".join(manifest["codes"]["covered"]) or "none")}.
Two-way TLS: {escape(profile_data()["handshake_proof"])}.</p>
<h2>What was not tested, and why</h2>
{_table(("what", "why"), not_run + not_applicable)}
<h2>Service level (TSS §7)</h2>
{sla_text}
<h2>Contract in use</h2>
{_table(("file", "sha256"), contract)}
<h2>How to check this package</h2>
<p><code>conformance certify verify FOLDER [--ca CA.pem]</code> checks the signature
(<code>manifest.json.p7s</code>, detached CMS by the certificate above), the sha256 of every
file, and that the contract is the one in use.
NISS numbers are masked (<code>YY#hhhhhhhh</code>).</p>
</body></html>
"""
