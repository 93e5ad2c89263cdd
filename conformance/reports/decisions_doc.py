"""The generated part of ``docs/decisions.md``: every decision of ``data/rules.yaml`` with its
id, its text, why we chose it and the rules resting on it, then every rule with its authority.

The page keeps its hand-written intro and sections; only the text between the two markers is
generated. Regenerate it with ``python -m conformance.reports.decisions_doc docs/decisions.md``;
``tests/test_decisions_doc.py`` fails when the page and the data differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from conformance import paths
from conformance.harness import rules

BEGIN = "<!-- decisions: generated from conformance/data/rules.yaml; do not edit -->"
END = "<!-- end of the generated decisions -->"


def render() -> str:
    """The generated block, markers included."""
    decisions = rules.all_decisions()
    by_decision: dict[str, list[str]] = {key: [] for key in decisions}
    for rule in rules.all_rules().values():
        if rule.authority.is_decision:
            by_decision[rule.authority.ref].append(rule.id)
    lines = [BEGIN, "", "## Decision ids", ""]
    lines += [
        "A case that breaks only these is a *deviation* against any environment but the",
        "built-in reference ([reports](reports.md#deviations)); `decisions: enforce`, or a list",
        "of ids, in an environment makes them failures there.",
        "",
    ]
    cases = _cases_by_decision()
    for key, decision in decisions.items():
        resting = [f"rule `{r}`" for r in by_decision[key]]
        resting += [f"case `{c}`" for c in cases.get(key, ())]
        rule_ids = ", ".join(resting) or "nothing yet (documented for the reference service)"
        lines += [
            f"### `{key}`",
            "",
            decision.text,
            "",
            f"Why: {decision.why}",
            "",
            f"Rests on it: {rule_ids}.",
            "",
        ]
    lines += ["## Rules and their authority", "", "| rule | authority | what it says |"]
    lines.append("|---|---|---|")
    for rule in rules.all_rules().values():
        lines.append(
            f"| `{rule.id}` | {rule.authority.kind} {rule.authority.ref} | {rule.summary} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def _cases_by_decision() -> dict[str, list[str]]:
    """Decision id -> the shipped cases whose ``decision:`` names it."""
    found: dict[str, list[str]] = {}
    for path in sorted(paths.cases_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases") or ():
            if case.get("decision"):
                found.setdefault(str(case["decision"]), []).append(str(case["id"]))
    return found


def updated(page: str) -> str:
    """``page`` with its generated block replaced (appended when it has none)."""
    if BEGIN in page and END in page:
        head, rest = page.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + render() + tail
    return page.rstrip() + "\n\n" + render() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m conformance.reports.decisions_doc docs/decisions.md")
        return 4
    path = Path(argv[0])
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
