"""environment.properties, categories.json and the run-level coverage attachments."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from conformance import __version__, paths
from conformance.contract import load_contract
from conformance.reports import allure_files


def _read_properties(path: Path) -> dict[str, str]:
    props = {}
    for line in path.read_text().splitlines():
        key, _, value = re.split(r"(?<!\\)(=)", line, maxsplit=1)
        props[key.replace("\\", "")] = value.replace("\\:", ":").replace("\\=", "=")
    return props


def test_environment_properties_name_the_contract_in_use(tmp_path: Path) -> None:
    props = allure_files.environment_properties(
        environment_name="acceptance",
        endpoint="https://b2b-acpt.ksz-bcss.fgov.be:4520/ForeignerSituationService/v1/consult",
        client_organisation="ONEM 0206737484",
        contract=load_contract(),
    )
    written = _read_properties(allure_files.write_environment(tmp_path, props))
    assert written["environment"] == "acceptance"
    assert written["endpoint"].startswith("https://b2b-acpt.ksz-bcss.fgov.be:4520/")
    assert written["harness.version"] == __version__
    assert written["client.organisation"] == "ONEM 0206737484"
    for xsd in paths.xsd_dir().glob("*.xsd"):
        assert written[f"xsd.{xsd.name}"] == hashlib.sha256(xsd.read_bytes()).hexdigest()
    wsdl = paths.default_wsdl()
    assert written[f"wsdl.{wsdl.name}"] == hashlib.sha256(wsdl.read_bytes()).hexdigest()


def test_a_users_contract_is_hashed_not_ours(tmp_path: Path) -> None:
    class UserContract:  # what load_contract(xsd, wsdl) gives: the two paths
        xsd_path = tmp_path / "official" / "Payload.xsd"
        wsdl_path = tmp_path / "official" / "Service.wsdl"

    UserContract.xsd_path.parent.mkdir()
    for path, text in ((UserContract.xsd_path, "a"), (UserContract.wsdl_path, "b")):
        path.write_text(text)
    (UserContract.xsd_path.parent / "Common.xsd").write_text("c")
    digests = allure_files.contract_digests(UserContract())
    assert set(digests) == {"wsdl.Service.wsdl", "xsd.Payload.xsd", "xsd.Common.xsd"}


# The one formatter's first line (harness/failures.py): "FAILED: <title> [<category>]".
MESSAGES = {
    "Wrong return code": "FAILED: status code differs [wrong return code] (+1 more)\n"
    "2. informationCustomer echoed [echo mismatch]",
    "Schema violation": "FAILED: response payload is XSD-valid [schema violation]\nstatus code",
    "Echo mismatch": "FAILED: legalContext echoed [echo mismatch]\nExpected: TLS",
    "Transport/TLS failure": "FAILED: transport [transport/TLS failure]\nExpected: MSG00005",
}


def test_categories_json_sorts_each_failure_category(tmp_path: Path) -> None:
    rules = json.loads(allure_files.write_categories(tmp_path).read_text())
    for expected, message in MESSAGES.items():
        # Allure 2 semantics: first rule whose status and whole-message regex match.
        hit = next(
            r["name"]
            for r in rules
            if "failed" in r["matchedStatuses"] and re.fullmatch(r["messageRegex"], message)
        )
        assert hit == expected
    skipped = next(r for r in rules if r["matchedStatuses"] == ["skipped"])
    assert skipped["name"] == "Not triggerable"
    assert re.fullmatch(skipped["messageRegex"], "code MSG00015 not triggerable here: no cert")
    assert not any(re.fullmatch(r["messageRegex"], "FAILED: something [other]") for r in rules)


def test_allure3_categories_match_the_checks_category_labels() -> None:
    from conformance.harness import checks

    rules = allure_files.categories_allure3()
    # Allure 3 adds the deviations (passed tests, matched by their label only).
    deviation = allure_files.DEVIATION[0]
    assert [r["name"] for r in rules] == [r["name"] for r in allure_files.categories()] + [
        deviation
    ]
    labels = [checks.WRONG_CODE, checks.SCHEMA, checks.ECHO, checks.TRANSPORT, "not-triggerable"]
    labels.append("deviation")
    for rule, label in zip(rules, labels, strict=True):
        pattern = rule["matchers"][0]["labels"]["failure_category"]
        assert [x for x in labels if re.search(pattern, x)] == [label]


def test_globals_attach_the_matrix_once(tmp_path: Path) -> None:
    attachments = [
        ("coverage.md", "text/markdown", b"# m"),
        ("coverage.json", "application/json", b"[]"),
    ]
    allure_files.write_globals(tmp_path, attachments)
    allure_files.write_globals(tmp_path, attachments)  # finish() run twice: no duplicates
    globals_files = list(tmp_path.glob("*-globals.json"))
    assert len(globals_files) == 1
    entries = json.loads(globals_files[0].read_text())["attachments"]
    assert [e["name"] for e in entries] == ["coverage.md", "coverage.json"]
    assert (tmp_path / entries[0]["source"]).read_bytes() == b"# m"
    assert len(list(tmp_path.glob("*-attachment.*"))) == 2
