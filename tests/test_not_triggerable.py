"""What an environment cannot play: codes or case ids declared not triggerable, ``tls: false``,
unmapped roles; each reported with its reason and listed by the run, never passed or failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conformance import paths, roles, tables
from conformance.harness.cases import load_file
from conformance.harness.environment import EnvironmentConfigError, load_environment
from conformance.harness.triggerable import not_triggerable_reason
from conformance.reference.dataset import Dataset
from conformance.reference.server import RunningService, start_in_thread

MINIMAL = {
    "endpoint": "https://example.invalid/ForeignerSituationService/v1/consult",
    "clients": {
        "onem": {"customer_identification": {"cbeNumber": "0206737484"}, "legal_context": "X"}
    },
    "persons": {
        "no_data": "83041205793",
        "cards_and_permits": "85073003328",
        "special_infos_ssin": "17073003384",
    },
}


def _environment(tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, **extra}), encoding="utf-8")
    return load_environment(str(path), start=False).environment


def _catalogue() -> dict[str, object]:
    vocabulary = roles.vocabulary()
    cases = {}
    for path in sorted(paths.cases_dir().glob("*.yaml")):
        for case in load_file(
            path,
            codes=set(tables.all_codes()),
            clients=set(vocabulary.clients),
            persons=set(vocabulary.persons),
        ):
            cases[case.id] = case
    return cases


def test_a_case_id_may_be_declared_as_well_as_a_code(tmp_path: Path) -> None:
    env = _environment(
        tmp_path,
        not_triggerable={"msg00052-wrong-path": "the gateway rewrites paths", "MSG00005": "no"},
    )
    cases = _catalogue()
    assert not_triggerable_reason(cases["msg00052-wrong-path"], env) == "the gateway rewrites paths"
    by_code = [c for c in cases.values() if c.code == "MSG00005"]
    assert by_code and all(not_triggerable_reason(c, env) == "no" for c in by_code)
    other = cases["msg00051-missing-soap-action"]
    assert not_triggerable_reason(other, env) is None  # nothing else is excused


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"MSG99999": "x"}, "not_triggerable.MSG99999: not a code of the TSS tables"),
        ({"Not A Case": "x"}, "not_triggerable.Not A Case: neither a TSS code nor a case id"),
        ({"msg00052-wrong-path": ""}, "must map each code or case id to a reason"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_the_key(
    tmp_path: Path, value: object, words: str
) -> None:
    with pytest.raises(EnvironmentConfigError) as info:
        _environment(tmp_path, not_triggerable=value)
    assert words in str(info.value) and "env.yaml" in str(info.value)


def test_tls_false_makes_every_tls_case_not_applicable_and_nothing_else(tmp_path: Path) -> None:
    env = _environment(tmp_path, tls=False)
    cases = _catalogue()
    tls_cases = {i for i, c in cases.items() if c.expect.get("tls_refused") or i.startswith("tls-")}
    assert len(tls_cases) >= 8
    for case_id, case in cases.items():
        reason = not_triggerable_reason(case, env)
        if case_id in tls_cases:
            assert reason and "tls: false" in reason, case_id
        else:
            assert reason is None or "tls: false" not in reason, case_id
    with_tls = _environment(tmp_path)  # the default: two-way TLS is there to test
    assert not any(
        "tls: false" in (not_triggerable_reason(cases[i], with_tls) or "") for i in tls_cases
    )
    with pytest.raises(EnvironmentConfigError, match="tls: must be true or false"):
        _environment(tmp_path, tls="no")


def test_a_case_that_requires_two_way_tls_is_not_triggerable_without_it(tmp_path: Path) -> None:
    # MSG00014 compares customerIdentification with the client certificate's organisation: over
    # plain HTTP (e.g. conformance serve --no-tls) there is no certificate to differ from.
    case = _catalogue()["msg00014-identity-mismatch"]
    assert case.requires == ("two_way_tls",)
    identity = {"identity_mismatch": MINIMAL["clients"]["onem"]}  # type: ignore[index]
    clients = {**MINIMAL["clients"], **identity}  # type: ignore[dict-item]
    with_tls = _environment(tmp_path, clients=clients)
    assert not_triggerable_reason(case, with_tls) is None
    plain = _environment(tmp_path, clients=clients, endpoint="http://127.0.0.1:1/x")
    assert "not two-way TLS" in (not_triggerable_reason(case, plain) or "")
    no_tls = _environment(tmp_path, clients=clients, tls=False)
    assert "not two-way TLS" in (not_triggerable_reason(case, no_tls) or "")
    others = [c for c in _catalogue().values() if c.requires]
    assert [c.id for c in others] == ["msg00014-identity-mismatch"]


def test_the_acceptance_example_names_every_role_the_catalogue_uses() -> None:
    text = (paths.cases_dir() / "environments" / "acceptance.example.yaml").read_text()
    named = set(re.findall(r"^\s*#?\s*([a-z_]+):", text, flags=re.M))
    cases = _catalogue().values()
    used = {c.client for c in cases} | {r for c in cases for r in c.client_roles}
    used |= {r for c in cases for r in c.person_roles}
    assert used and not used - named, sorted(used - named)


# ---- a whole run: what could not run is listed, with why ---------------------------------------


@pytest.fixture
def tls_reference(tmp_path: Path) -> Iterator[RunningService]:
    service = start_in_thread(tls=True, pki_dir=tmp_path / "pki", audit_log=tmp_path / "a.jsonl")
    yield service
    service.stop()


def test_a_run_lists_what_it_could_not_play_and_why(
    tmp_path: Path, tls_reference: RunningService
) -> None:
    dataset = Dataset.load()
    assert tls_reference.pki is not None
    reference = load_environment("reference", start=False).environment
    onem = reference.clients["onem"]
    creds = tls_reference.pki.clients[dataset.client_roles()["onem"].certificate_org]
    chosen = ("cards_and_permits", "no_data", "unknown", "special_infos_ssin")
    persons = {r: reference.persons[r].ssin for r in chosen}
    env_file = tmp_path / "partial.yaml"
    env_file.write_text(
        yaml.safe_dump(
            {
                "endpoint": tls_reference.url,
                "ca_bundle": str(tls_reference.pki.ca_cert),
                "tls": False,
                "clients": {
                    "onem": {
                        "customer_identification": dict(onem.customer_identification),
                        "legal_context": onem.legal_context,
                        "cert": str(creds.cert),
                        "key": str(creds.key),
                    }
                },
                "persons": persons,
                "not_triggerable": {
                    "msg00052-wrong-path": "our proxy rewrites the path",
                    "no-such-case": "a typo",
                },
            }
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env["COLUMNS"] = "300"
    keywords = "tls- or msg00052 or msg00051 or msg00007 or msg00100"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "conformance.cli", "run", "--env", str(env_file)),
            *("--report-dir", "out", "--", "-k", keywords, "--allow-partial"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    start = out.index("not triggerable in this environment")
    listed = out[start : out.index("no-such-case", start) + len("no-such-case")]
    assert re.search(r"msg00052-wrong-path: .*: our proxy rewrites the path", listed)
    assert re.search(r"tls-no-client-certificate: .*: the environment says tls: false", listed)
    assert re.search(r"msg00007-canceled: .*the environment maps no person role 'canceled'", listed)
    assert "not_triggerable names no case of this run: no-such-case" in listed
    assert "msg00051" not in listed and "msg00100" not in listed  # those ran
    assert "(11 cases)" in listed  # 9 TLS cases, msg00052 by id, msg00007 by its role
