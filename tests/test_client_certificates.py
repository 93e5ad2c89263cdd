"""Refused client certificates: made per run, named by an environment, judged, reported.

Against the reference every TLS case passes; against each TLS defect exactly its case fails,
naming the certificate and what the service did; a plain-HTTP environment makes them not
applicable. ``test_reference_tls.py`` proves the reference's OpenSSL verification itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import stubs
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance import paths, tables
from conformance.contract import load_contract
from conformance.exchange import (
    RESET,
    TLS_CLOSED,
    TLS_ERROR,
    TLS_REFUSED,
    Exchange,
    OutgoingRequest,
)
from conformance.harness import execute
from conformance.harness.cases import Case, load_file
from conformance.harness.certs import CRAFTS
from conformance.harness.certs.factory import KEPT_FOLDER, RefusedCertificate
from conformance.harness.certs.generate import facts, generate, named
from conformance.harness.checks import CheckFailure, observe
from conformance.harness.checks import certificates as check
from conformance.harness.environment import (
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    Timeouts,
    load_environment,
)
from conformance.harness.expectation import Expectation
from conformance.harness.failures import outcome_text
from conformance.harness.outcome import FAILED, NOT_TRIGGERABLE, PASSED
from conformance.harness.runtime import Runtime, open_runtime
from conformance.harness.transport import Transport
from conformance.reference.defects import DEFECTS
from conformance.reference.server import start_in_thread

SUBJECT = named("onem", "ONEM / RVA")
TLS_DEFECTS = {
    "any_client_ca_accepted": {"tls-foreign-ca-certificate", "tls-self-signed-certificate"},
    "client_cert_dates_not_checked": {
        "tls-own-ca-expired-certificate",
        "tls-own-ca-not-yet-valid-certificate",
    },
    "client_cert_usage_not_checked": {"tls-own-ca-no-client-auth-certificate"},
}


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


# ---- generation --------------------------------------------------------------------------------


GENERATED = ("foreign_ca", "expired", "not_yet_valid", "self_signed", "no_client_auth")


@pytest.mark.parametrize("kind", GENERATED)
def test_each_generated_certificate_is_what_it_claims(kind: str, tmp_path: Path) -> None:
    cert_path, key_path, ca_path = generate(kind, SUBJECT, tmp_path / kind)
    cert, now = _load(cert_path), dt.datetime.now(dt.UTC)
    assert cert.subject == SUBJECT
    assert stat.S_IMODE((tmp_path / kind).stat().st_mode) == 0o700
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert (ExtendedKeyUsageOID.CLIENT_AUTH in usage) == (kind != "no_client_auth")
    assert (cert.not_valid_after_utc < now) == (kind == "expired")
    assert (cert.not_valid_before_utc > now) == (kind == "not_yet_valid")
    if kind == "self_signed":
        assert ca_path is None and cert.issuer == SUBJECT
    else:
        assert ca_path is not None
        ca = _load(ca_path)
        assert cert.issuer == ca.subject
        cert.verify_directly_issued_by(ca)
        # The throwaway CA is valid throughout: only the one broken property is wrong.
        assert ca.not_valid_before_utc < cert.not_valid_before_utc
        assert ca.not_valid_after_utc > cert.not_valid_after_utc


@contextlib.contextmanager
def _runtime(defect: str | None = None) -> Iterator[Runtime]:
    runtime = open_runtime("reference", defect=defect)
    try:
        yield runtime
    finally:
        runtime.close()


def test_generated_certificates_copy_the_subject_and_stay_in_the_report(tmp_path: Path) -> None:
    with _runtime() as runtime:
        factory = runtime.certificates
        onem = runtime.environment.client("onem")
        assert onem.cert is not None
        real = _load(onem.cert)
        factory.keep_in(tmp_path, keys=True)
        made = factory.for_case("case-a", "foreign_ca_cert", onem)
        for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
            assert _load(made.cert).subject.get_attributes_for_oid(oid) == (
                real.subject.get_attributes_for_oid(oid)
            )
        kept = tmp_path / KEPT_FOLDER / "case-a"
        assert made.cert == kept / "client.pem" and made.key == kept / "client.key"
        assert (kept / "ca.pem").is_file()
        assert factory.for_case("case-a", "foreign_ca_cert", onem) is made  # once per run
        factory.keep_in(tmp_path, keys=False)  # masking on: no key in the report folder
        masked = factory.for_case("case-b", "self_signed_cert", onem)
        assert masked.cert == tmp_path / KEPT_FOLDER / "case-b" / "client.pem"
        assert not (tmp_path / KEPT_FOLDER / "case-b" / "client.key").exists()
        assert masked.key.is_file() and tmp_path not in masked.key.parents
        private = masked.key.parent.parent
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        text = made.facts.describe()
        assert "subject CN=ONEM / RVA,O=onem" in text and "issuer CN=" in text
        assert "SHA-256 " in text and text.count(":") >= 31
    assert not private.exists()  # the private folder goes with the runtime


# ---- environment files -------------------------------------------------------------------------


def _env_file(tmp_path: Path, refused: object) -> str:
    for name in ("expired.pem", "expired.key", "future.p12"):
        (tmp_path / name).write_bytes(b"placeholder")
    data = {
        "endpoint": "https://127.0.0.1:9/x",
        "clients": {"onem": {"customer_identification": {"cbeNumber": "0206737484"},
                             "legal_context": "NEO:UNEMPLOYMENT"}},
        "persons": {},
        "refused_certificates": refused,
    }  # fmt: skip
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_an_environment_names_certificates_of_its_own_ca(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FUTURE_PASSWORD", "x")
    path = _env_file(
        tmp_path,
        {
            "expired": {"cert": "expired.pem", "key": "expired.key"},
            "not_yet_valid": {"p12": "future.p12", "p12_password_env": "FUTURE_PASSWORD"},
        },
    )
    env = load_environment(path).environment
    assert env.refused_certificates["expired"].cert == tmp_path / "expired.pem"
    assert env.refused_certificates["not_yet_valid"].p12_password_env == "FUTURE_PASSWORD"


PEM = {"cert": "expired.pem", "key": "expired.key"}
P12 = {"p12": "future.p12"}
BAD_ENTRIES = [
    (["expired.pem"], "refused_certificates: must map"),
    ({"revoked": PEM}, "refused_certificates.revoked: unknown kind"),
    ({"expired": {"cert": "expired.pem"}}, "refused_certificates.expired: give 'cert'+'key'"),
    ({"expired": {**PEM, **P12}}, "refused_certificates.expired: give 'cert'+'key' or 'p12'"),
    ({"expired": {**PEM, "cert": "nope.pem"}}, "refused_certificates.expired.cert: no such file"),
    ({"expired": P12}, "refused_certificates.expired: 'p12' needs 'p12_password_env'"),
    ({"expired": {**P12, "p12_password_env": "NOT_SET_15"}}, "NOT_SET_15 is not set"),
    ({"expired": {**PEM, "why": "x"}}, "refused_certificates.expired: unknown key(s) why"),
    ({"expired": "expired.pem"}, "refused_certificates.expired: give {cert"),
]


@pytest.mark.parametrize(("refused", "message"), BAD_ENTRIES)
def test_a_bad_refused_certificates_entry_is_one_line_naming_file_and_key(
    tmp_path: Path, refused: object, message: str
) -> None:
    path = _env_file(tmp_path, refused)
    with pytest.raises(EnvironmentConfigError) as info:
        load_environment(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(Path(path).resolve())) and message in text


# ---- the judgement -----------------------------------------------------------------------------


def _judged(folder: Path, url: str, status: int | None, kind: str | None) -> list[CheckFailure]:
    cert, key, _ca = generate("foreign_ca", SUBJECT, folder / "c")
    what = "a certificate from an unknown CA"
    made = RefusedCertificate("foreign_ca_cert", what, cert, key, facts(_load(cert)))
    exchange = Exchange(
        request=OutgoingRequest(url=url, body=b"", headers={}),
        status=status,
        error=None if status else f"TLS trouble of kind {kind}",
        error_kind=kind,
    )
    expected = Expectation(operation=None, tls_refused=True, refused_certificate=made)
    return check.check_refused_certificate(observe(exchange, load_contract()), expected)


HTTPS, HTTP = "https://127.0.0.1/x", "http://127.0.0.1/x"


def test_an_alert_passes_and_a_silent_close_passes_with_a_warning(tmp_path: Path) -> None:
    assert _judged(tmp_path, HTTPS, None, TLS_REFUSED) == []
    (warning,) = _judged(tmp_path, HTTPS, None, TLS_CLOSED)
    assert warning.warning and "presenting a certificate from an unknown CA" in warning.received


@pytest.mark.parametrize(
    ("url", "status", "kind", "received"),
    [
        (HTTPS, 503, None, "answered HTTP 503 to a certificate from an unknown CA"),
        (HTTPS, None, TLS_ERROR, "not a TLS refusal: TLS trouble of kind tls-error"),
        (HTTPS, None, RESET, "not a TLS refusal: TLS trouble of kind reset"),
        (HTTP, None, TLS_REFUSED, "not a TLS refusal: the endpoint is plain http"),
    ],
)
def test_anything_else_fails_naming_the_certificate(
    url: str, status: int | None, kind: str | None, received: str, tmp_path: Path
) -> None:
    (failure,) = _judged(tmp_path, url, status, kind)
    assert not failure.warning and failure.received.startswith(received)
    assert "subject CN=ONEM / RVA,O=onem; issuer CN=BCSS conformance throwaway CA" in (
        failure.expected
    )


# ---- the cases against the reference, its defects, and plain HTTP -------------------------------


def _tls_cases(runtime: Runtime) -> list[Case]:
    env = runtime.environment
    return [
        case
        for name in ("client_certificates.yaml", "technical_codes.yaml")
        for case in load_file(
            paths.cases_dir() / name,
            codes=set(tables.all_codes()),
            clients=set(env.clients),
            persons=set(env.persons),
        )
        if case.craft in CRAFTS or case.craft == "no_client_cert"
    ]


def test_the_catalogue_has_one_case_per_certificate() -> None:
    with _runtime() as runtime:
        assert sorted(c.craft or "" for c in _tls_cases(runtime)) == sorted(
            [*CRAFTS, "no_client_cert"]
        )


def test_the_reference_refuses_every_certificate() -> None:
    with _runtime() as runtime:
        for case in _tls_cases(runtime):
            outcome = execute.run_case(case, runtime)
            assert outcome.outcome == PASSED, (case.id, outcome_text(outcome))
            assert outcome.exchanges[0].status is None


@pytest.mark.parametrize("defect", sorted(TLS_DEFECTS))
def test_each_tls_defect_fails_exactly_its_cases_naming_the_certificate(defect: str) -> None:
    with _runtime(defect) as runtime:
        cases = _tls_cases(runtime)
        outcomes = {case.id: execute.run_case(case, runtime) for case in cases}
        presented = {
            case.id: runtime.certificates.for_case(
                case.id, case.craft, runtime.environment.client(case.client)
            ).cert
            for case in cases
            if case.craft in CRAFTS
        }
    failed = {case_id for case_id, o in outcomes.items() if o.outcome == FAILED}
    assert failed == TLS_DEFECTS[defect]
    signature = DEFECTS[defect].failure_signature
    for case_id in failed:
        text = outcome_text(outcomes[case_id])
        assert "Received: answered HTTP 200 MSG00000 to " in text
        assert "subject CN=ONEM / RVA,O=onem; issuer " in text and "; SHA-256 " in text
        assert f"--cert {presented[case_id]}" in text  # the reproduction names the file
    rule, *fragments = signature
    found = [f for o in outcomes.values() for f in o.failures if f.rule == rule]
    assert any(all(x in f"{f.title} {f.expected} {f.received}" for x in fragments) for f in found)


def test_a_plain_http_environment_shows_the_tls_cases_not_applicable() -> None:
    service = start_in_thread(tls=False)
    try:
        runtime = open_runtime("reference", endpoint=service.url)
        try:
            cases = _tls_cases(runtime)
            outcomes = [execute.run_case(case, runtime) for case in cases]
            reasons = {execute.not_triggerable_reason(c, runtime.environment) for c in cases}
        finally:
            runtime.close()
    finally:
        service.stop()
    assert {o.outcome for o in outcomes} == {NOT_TRIGGERABLE}
    assert all(not o.exchanges for o in outcomes)  # nothing was sent
    assert len(reasons) == 1 and "plain HTTP" in str(next(iter(reasons)))


def test_an_environment_without_own_ca_certificates_skips_only_those_cases() -> None:
    with _runtime() as runtime:
        runtime.environment.refused_certificates.clear()
        for case in _tls_cases(runtime):
            reason = execute.not_triggerable_reason(case, runtime.environment)
            if case.craft is not None and case.craft.startswith("own_ca_"):
                assert reason is not None and "refused_certificates." in reason
            else:
                assert reason is None


# ---- a real handshake, TLS 1.2 and TLS 1.3 alike ---------------------------------------------


@pytest.mark.parametrize("tls12", [False, True], ids=["tls1.3", "tls1.2"])
@pytest.mark.parametrize("kind", GENERATED)
def test_each_generated_certificate_is_refused_under_both_versions(
    kind: str, tls12: bool, stub: list[stubs.Stub], tmp_path: Path
) -> None:
    # A server demanding a client certificate of its own CA: the generated one is refused in
    # the handshake (TLS 1.2) or on the first read (TLS 1.3), and the case's check passes.
    ca_pem, ca_key, ca_cert = stubs.make_ca(tmp_path, "stub-ca")
    server = stubs.issue(tmp_path, "server", (ca_key, ca_cert))
    context = stubs.server_context(server, client_ca=ca_pem.cert, tls12=tls12)
    one = stubs.Stub(stubs.answer(), tls=context)
    stub.append(one)
    cert, key, _ca = generate(kind, SUBJECT, tmp_path / kind)
    made = RefusedCertificate(f"{kind}_cert", kind, cert, key, facts(_load(cert)))
    url = one.url("https")
    env = Environment("stub", url, {}, {}, ca_bundle=ca_pem.cert, timeouts=Timeouts(5.0, 5.0))
    client = ClientProfile("onem", {"cbeNumber": "0206737484"}, "X", cert=cert, key=key)
    request = OutgoingRequest(url, b"<x/>", {"Content-Type": "text/xml", "SOAPAction": '"a"'})
    with Transport(env) as transport:
        exchange = transport.send(request, client)
    assert exchange.status is None and exchange.error_kind == TLS_REFUSED, exchange.error
    expected = Expectation(operation=None, tls_refused=True, refused_certificate=made)
    assert check.check_refused_certificate(observe(exchange, load_contract()), expected) == []
    # The same server lets a client of its own CA in: the refusal is the certificate's.
    good = stubs.issue(tmp_path, "client", (ca_key, ca_cert))
    trusted = ClientProfile("onem", {"cbeNumber": "0206737484"}, "X", cert=good.cert, key=good.key)
    with Transport(env) as transport:
        assert transport.send(request, trusted).status == 200
    # A server of the same version that checks no client certificate fails the case.
    lax = stubs.Stub(stubs.answer(), tls=stubs.server_context(server, tls12=tls12))
    stub.append(lax)
    lax_env = Environment("stub", lax.url("https"), {}, {}, ca_bundle=ca_pem.cert)
    with Transport(lax_env) as transport:
        answered = transport.send(OutgoingRequest(lax.url("https"), request.body, {}), client)
    (failure,) = check.check_refused_certificate(observe(answered, load_contract()), expected)
    assert failure.received.startswith("answered HTTP 200") and made.facts.subject in (
        failure.expected
    )
