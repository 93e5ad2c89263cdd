"""Environments: the built-in reference one maps every role; bad files fail with clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conformance import paths
from conformance.harness.environment import (
    EnvironmentConfigError,
    load_environment,
)
from conformance.reference.policy import FAITHFUL

# docs/architecture.md "Shared vocabulary: roles"
CLIENT_ROLES = {
    "onem", "onem_sector", "onem_secondary", "onem_inspection", "no_service_access",
    "cards_only", "identity_mismatch",
}  # fmt: skip
PERSON_ROLES = {
    "concurrent_cards", "indefinite_expiry", "incomplete_dates", "closed_cards", "permits_only",
    "cards_and_permits", "special_infos_ssin", "special_infos_fictional", "no_data", "replaced",
    "canceled", "unknown", "bis", "not_integrated", "inactive_dossier", "disallowed_quality",
    "supplier_failure", "internal_error",
}  # fmt: skip
EXAMPLE = paths.cases_dir() / "environments" / "acceptance.example.yaml"


@pytest.fixture(scope="module")
def reference():
    handle = load_environment("reference")
    yield handle
    handle.close()


def test_reference_maps_every_role(reference):
    env = reference.environment
    assert set(env.clients) >= CLIENT_ROLES
    assert set(env.persons) >= PERSON_ROLES
    assert env.endpoint.startswith("https://127.0.0.1:")
    assert env.endpoint.endswith("/ForeignerSituationService/v1/consult")
    assert env.ca_bundle is not None and env.ca_bundle.is_file()
    for client in env.clients.values():
        assert client.cert is not None and client.cert.is_file()
        assert client.key is not None and client.key.is_file()


def test_loading_the_reference_starts_nothing_until_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    handle = load_environment("reference", start=False)
    try:
        env = handle.environment
        assert not handle.started and handle.service is None
        assert set(env.clients) >= CLIENT_ROLES and set(env.persons) >= PERSON_ROLES
        assert env.endpoint == "" and env.ca_bundle is None  # nothing to send to yet
        assert not (tmp_path / "cache").exists()  # no dev PKI either
        started = handle.start()
        assert handle.started and handle.service is not None
        assert started.endpoint.startswith("https://127.0.0.1:") and started is handle.environment
        assert (tmp_path / "cache" / "conformance" / "reference-pki").is_dir()
        assert handle.start() is started  # once
    finally:
        handle.close()


def test_reference_roles_follow_the_vocabulary(reference):
    env = reference.environment
    assert env.client("onem").customer_identification == {"cbeNumber": "0206737484"}
    assert env.client("onem_sector").customer_identification == {"sector": 18, "institution": 0}
    assert env.client("onem_inspection").legal_context == "NEO:SOCIAL_INSPECTION"
    # identity_mismatch: ONEM's certificate, another organisation's identification.
    mismatch = env.client("identity_mismatch")
    assert mismatch.cert == env.client("onem").cert
    assert mismatch.customer_identification != env.client("onem").customer_identification
    replaced = env.person("replaced")
    assert replaced.replaced_by and replaced.final_ssin == replaced.replaced_by != replaced.ssin
    assert env.person("no_data").final_ssin == env.person("no_data").ssin


def test_unknown_role_is_named(reference):
    with pytest.raises(EnvironmentConfigError, match="no test person for role 'nobody'"):
        reference.environment.person("nobody")
    with pytest.raises(EnvironmentConfigError, match="no client profile for role 'x'"):
        reference.environment.client("x")


def test_endpoint_override_uses_the_shared_serve_pki(tmp_path, monkeypatch):
    # `conformance serve` keeps its dev PKI in the cache folder; --endpoint must use the same one,
    # or neither side would trust the other.
    from conformance.harness.client import RequestFactory
    from conformance.harness.transport import Transport
    from conformance.reference.server import start_in_thread

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    served = start_in_thread(pki_dir=tmp_path / "conformance" / "reference-pki")
    try:
        with load_environment("reference", endpoint=served.url) as handle:
            env = handle.environment
            assert handle.service is None  # nothing else started
            assert env.endpoint == served.url
            assert env.ca_bundle == tmp_path / "conformance" / "reference-pki" / "ca.pem"
            person = env.person("no_data")
            request = RequestFactory(env).build(
                "consultSpecialInfos", env.client("onem"), person.ssin
            )
            with Transport(env) as transport:
                exchange = transport.send(request, env.client("onem"))
            assert exchange.error is None and exchange.status == 200
    finally:
        served.stop()


def test_defect_starts_a_deviating_reference():
    from conformance.reference.defects import DEFECTS

    name = next(iter(DEFECTS))
    with load_environment("reference", defect=name) as handle:
        assert handle.service is not None and handle.service.policy != FAITHFUL
    with pytest.raises(EnvironmentConfigError, match="built-in reference"):
        load_environment("some.yaml", defect=name)
    with pytest.raises(EnvironmentConfigError, match="not --endpoint"):
        load_environment("reference", endpoint="https://127.0.0.1:1/x", defect=name)


def test_pki_is_shared_and_outlives_the_run(tmp_path, monkeypatch):
    # Certificate paths printed in reproduction commands must still exist after the run.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    handle = load_environment("reference")
    ca = handle.environment.ca_bundle
    assert ca == tmp_path / "conformance" / "reference-pki" / "ca.pem"
    service = handle.service
    handle.close()
    assert handle.service is None and service is not None
    assert ca.is_file() and handle.environment.client("onem").key.is_file()
    again = load_environment("reference")  # reused, not regenerated
    assert again.environment.ca_bundle.read_bytes() == ca.read_bytes()
    again.close()


# ---- YAML files --------------------------------------------------------------------------------


def _filled_example(tmp_path: Path, monkeypatch) -> Path:
    """The acceptance example with its placeholders filled in."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for role, value in data["persons"].items():
        if isinstance(value, dict):
            data["persons"][role] = {"ssin": "87030341186", "replaced_by": "91012906810"}
        else:
            data["persons"][role] = "85073003328"
    for name in ("certs/bcss-acpt-ca.pem", "certs/onem-acpt.p12", "certs/onem-inspection-acpt.pem",
                 "certs/onem-inspection-acpt.key"):  # fmt: skip
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"placeholder")
    monkeypatch.setenv("BCSS_ONEM_P12_PASSWORD", "not-printed")
    target = tmp_path / "acceptance.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


def test_acceptance_example_loads_once_filled(tmp_path, monkeypatch):
    env = load_environment(str(_filled_example(tmp_path, monkeypatch))).environment
    assert env.endpoint == (
        "https://b2b-acpt.ksz-bcss.fgov.be:4520/ForeignerSituationService/v1/consult"
    )
    assert env.client("onem").p12 == (tmp_path / "certs/onem-acpt.p12").resolve()
    assert env.client("onem").p12_password() == b"not-printed"
    assert env.client("onem_inspection").cert is not None
    assert env.person("replaced").final_ssin == "91012906810"
    assert {"MSG00002", "MSG00003"} <= set(env.not_triggerable)
    assert all(reason for reason in env.not_triggerable.values())
    assert env.timeouts.connect == 10
    assert env.max_time == 3600


def test_acceptance_example_as_shipped_is_refused_clearly():
    with pytest.raises(EnvironmentConfigError) as info:
        load_environment(str(EXAMPLE))
    assert str(EXAMPLE.resolve()) in str(info.value)


def test_endpoint_override_on_a_file(tmp_path, monkeypatch):
    path = _filled_example(tmp_path, monkeypatch)
    env = load_environment(str(path), endpoint="http://127.0.0.1:8080/x").environment
    assert env.endpoint == "http://127.0.0.1:8080/x"


def _write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


MINIMAL = {
    "endpoint": "https://example.invalid/ForeignerSituationService/v1/consult",
    "clients": {
        "onem": {"customer_identification": {"cbeNumber": "0206737484"}, "legal_context": "X"}
    },
    "persons": {"no_data": "83041205793"},
}


def test_minimal_file_loads(tmp_path):
    env = load_environment(_write(tmp_path, MINIMAL)).environment
    assert env.name == "env"
    assert env.client("onem").has_certificate is False
    assert env.person("no_data").ssin == "83041205793"


def test_sla_enforce_and_a_rate_cap_are_read(tmp_path):
    assert load_environment(_write(tmp_path, MINIMAL)).environment.sla_enforce is False
    env = load_environment(
        _write(tmp_path, {**MINIMAL, "sla": "enforce", "max_rps": 5})
    ).environment
    assert (env.sla_enforce, env.max_rps) == (True, 5.0)


def _client(**changes):
    return lambda d: d["clients"]["onem"].update(changes)


def _persons(**changes):
    return lambda d: d["persons"].update(changes)


P12_VAR = "NO_SUCH_VAR_4242"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(retries=3), "unknown key(s) retries"),
        (lambda d: d.pop("endpoint"), "missing key 'endpoint'"),
        (lambda d: d.update(endpoint="ftp://x/y"), "is not an http(s) URL"),
        (_client(password="x"), "clients.onem: unknown key(s) password"),
        (_client(cert="missing.pem", key="missing.key"), "clients.onem.cert: no such file"),
        (_client(cert="missing.pem"), "'cert' and 'key' go together"),
        (_client(p12="x.p12"), "needs 'p12_password_env'"),
        (_client(p12="x.p12", p12_password_env=P12_VAR), f"{P12_VAR} is not set"),
        (_client(customer_identification={"cbe": "1"}), "customer_identification"),
        (lambda d: d["clients"]["onem"].pop("legal_context"), "missing key 'legal_context'"),
        (_persons(x="REPLACE_ME"), "persons.x.ssin: 'REPLACE_ME' is not an 11-digit"),
        (_persons(x={"ssin": "85073003328", "by": "1"}), "persons.x: unknown key(s) by"),
        (lambda d: d.update(timeouts={"connect": -1}), "timeouts: values must be positive"),
        (lambda d: d.update(max_time=0), "max_time: must be a positive number of seconds"),
        (lambda d: d.update(max_time="1h"), "max_time: must be a positive number of seconds"),
        (lambda d: d.update(ca_bundle="nowhere.pem"), "ca_bundle: no such file"),
        (
            lambda d: d.update(not_triggerable={"MSG00002": ""}),
            "must map each code or case id to a reason",
        ),
        (lambda d: d.update(not_triggerable={"MSG0002": "typo"}), "not_triggerable.MSG0002: not"),
        (_client(customer_identification={"cbeNumber": "206737484"}), "is not 10 digits"),
        (_client(customer_identification={"sector": 18, "institution": 1000}), "0 to 999"),
        (_client(customer_identification={"sector": "x", "institution": 0}), "0 to 999"),
        (lambda d: d.update(sla="strict"), "sla: must be 'report' or 'enforce'"),
        (lambda d: d.update(max_rps=0), "max_rps: must be a positive number"),
        (lambda d: d.update(max_rps="fast"), "max_rps: must be a positive number"),
    ],
)
def test_bad_files_name_file_and_key(tmp_path, monkeypatch, change, message):
    monkeypatch.delenv(P12_VAR, raising=False)
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(EnvironmentConfigError) as info:
        load_environment(path)
    assert message in str(info.value)
    assert str(Path(path).resolve()) in str(info.value)


def test_a_repeated_key_is_refused_with_its_line(tmp_path):
    path = tmp_path / "env.yaml"
    text = yaml.safe_dump(MINIMAL, sort_keys=False)
    path.write_text(text + "persons:\n  no_data: '85073003328'\n", encoding="utf-8")
    with pytest.raises(EnvironmentConfigError) as info:
        load_environment(str(path))
    line = len(text.splitlines()) + 1
    assert f"{path.resolve()}:{line}: duplicate key 'persons'" in str(info.value)


def test_missing_file_and_not_yaml(tmp_path):
    with pytest.raises(EnvironmentConfigError, match="no such environment file"):
        load_environment(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nendpoint: [unclosed", encoding="utf-8")
    with pytest.raises(EnvironmentConfigError, match="invalid YAML") as info:
        load_environment(str(bad))
    assert str(info.value).startswith(f"{bad.resolve()}:2: ") and "\n" not in str(info.value)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: x\n\xff\xfe")
    with pytest.raises(EnvironmentConfigError, match=r"not UTF-8 text \(byte 8 is 0xff\)"):
        load_environment(str(binary))
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(EnvironmentConfigError, match="must be a mapping"):
        load_environment(str(listed))


def test_bad_endpoint_override():
    with pytest.raises(EnvironmentConfigError, match="--endpoint"):
        load_environment("reference", endpoint="not a url")


def test_official_contract_files_are_used(tmp_path):
    xsd_dir = tmp_path / "official"
    shutil.copytree(paths.xsd_dir(), xsd_dir, ignore=shutil.ignore_patterns("examples"))
    shutil.copy(paths.default_wsdl(), tmp_path / "service.wsdl")
    data = dict(MINIMAL, xsd="official/ForeignerSituationV1.xsd", wsdl="service.wsdl")
    env = load_environment(_write(tmp_path, data)).environment
    assert env.xsd == (xsd_dir / "ForeignerSituationV1.xsd").resolve()
    assert env.contract().xsd_path == env.xsd


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not xml", "not well-formed XML"),
        (
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">'
            '<xs:element name="a" type="nope"/></xs:schema>',
            "not a usable schema",
        ),
    ],
)
def test_a_broken_official_xsd_is_refused_when_the_file_is_loaded(tmp_path, text, says):
    # Before anything runs (one line, the environment file and the XSD), not at the first case.
    (tmp_path / "bad.xsd").write_text(text)
    path = _write(tmp_path, dict(MINIMAL, xsd="bad.xsd"))
    with pytest.raises(EnvironmentConfigError) as info:
        load_environment(str(path))
    message = str(info.value)
    assert message.startswith(f"{Path(path).resolve()}: XSD {tmp_path / 'bad.xsd'}: {says}")
    assert "\n" not in message
