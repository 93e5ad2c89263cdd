"""The rule catalogue (``data/rules.yaml``): every rule a check enforces, with its authority.

A failure names its rule by id (``status.code``, ``echo.legalContext``...); its authority (where
the rule comes from) is read here, never written in a check. Decisions are our readings where
the TSS is silent: a failure resting on one is a *deviation* against any endpoint but ours.
The file is checked whole at first use: an authority outside :data:`KINDS`, or a decision rule
naming an unknown decision, is an error naming the file and the key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.paths import data_dir

RULES_FILE = "rules.yaml"
DECISION = "decision"
KINDS = ("TSS", "SOAP 1.1", "WS-I BP", "TLS", "contract", DECISION)


class RulesError(RuntimeError):
    """The catalogue is malformed, or a rule or decision id is not in it."""


@dataclass(frozen=True)
class Authority:
    kind: str  # one of KINDS
    ref: str  # a TSS section or row, a standard's clause, an XSD fact, or a decision id

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"

    @property
    def is_decision(self) -> bool:
        return self.kind == DECISION

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref}


@dataclass(frozen=True)
class Rule:
    id: str
    authority: Authority
    summary: str


@dataclass(frozen=True)
class Decision:
    id: str
    text: str
    why: str


@dataclass(frozen=True)
class _Catalogue:
    rules: dict[str, Rule]
    decisions: dict[str, Decision]


def rules_path() -> Path:
    return data_dir() / RULES_FILE


@functools.cache
def _catalogue() -> _Catalogue:
    path = rules_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot be read: {exc}") from None
    return _build(raw, path)


def _build(raw: Any, path: Path) -> _Catalogue:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), dict):
        raise RulesError(f"{path}: key 'rules': a mapping of rule ids is required")
    decisions = {}
    for key, entry in (raw.get("decisions") or {}).items():
        if not isinstance(entry, dict) or not entry.get("text") or not entry.get("why"):
            raise RulesError(f"{path}: key 'decisions.{key}': 'text' and 'why' are required")
        decisions[key] = Decision(
            key, " ".join(entry["text"].split()), " ".join(entry["why"].split())
        )
    rules = {}
    for key, entry in raw["rules"].items():
        if not isinstance(entry, dict) or entry.get("authority") not in KINDS:
            raise RulesError(f"{path}: key 'rules.{key}.authority': one of {', '.join(KINDS)}")
        ref = str(entry.get("ref") or "")
        if not ref:
            raise RulesError(f"{path}: key 'rules.{key}.ref': required")
        if entry["authority"] == DECISION and ref not in decisions:
            raise RulesError(f"{path}: key 'rules.{key}.ref': unknown decision {ref!r}")
        rules[key] = Rule(key, Authority(entry["authority"], ref), str(entry.get("summary", "")))
    return _Catalogue(rules, decisions)


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id``; :class:`RulesError` when the catalogue has no such rule."""
    try:
        return _catalogue().rules[rule_id]
    except KeyError:
        raise RulesError(f"{rules_path()}: no rule {rule_id!r}") from None


def decision(decision_id: str) -> Decision:
    try:
        return _catalogue().decisions[decision_id]
    except KeyError:
        raise RulesError(f"{rules_path()}: no decision {decision_id!r}") from None


def all_rules() -> dict[str, Rule]:
    return dict(_catalogue().rules)


def all_decisions() -> dict[str, Decision]:
    return dict(_catalogue().decisions)
