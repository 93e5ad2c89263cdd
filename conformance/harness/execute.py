"""Running one case: build the request(s), send them, check the answer, build a CaseOutcome.

A plain case sends one request. A case with ``given:`` runs as a Hypothesis property: every drawn
request must pass every check; a failing example is shrunk and reported with the seed that
reproduces it (``--hypothesis-seed``). Failure text always comes from the one formatter
(``harness/failures.py``), so the terminal and the reports say the same thing.
"""

from __future__ import annotations

import dataclasses
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky

from conformance import hypothesis_profiles
from conformance.contract import Contract
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness import given as given_block
from conformance.harness.cases import Case
from conformance.harness.checks import CheckFailure, run_checks
from conformance.harness.client import RequestFactory
from conformance.harness.environment import (
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    EnvironmentHandle,
    load_environment,
)
from conformance.harness.expectation import Expectation, PathAssertion
from conformance.harness.failures import format_failure, reproduction
from conformance.harness.outcome import FAILED, NOT_TRIGGERABLE, PASSED, CaseOutcome
from conformance.harness.transport import Transport

# Crafted binding errors (NOTES §4) target these; both are outside the service's contract.
WRONG_PATH = "/ForeignerSituationService/v1/unknown"
WRONG_SOAP_ACTION = "http://kszbcss.fgov.be/ForeignerSituationService/unknownOperation"


OPERATION_MARKERS = ("consultEmploymentInfos", "consultSpecialInfos", "raw")


class RuntimeStartError(Exception):
    """The environment could not be loaded or started; the message says why."""


@dataclass
class Runtime:
    """What every case of a session shares: built once per process (xdist worker), then closed."""

    handle: EnvironmentHandle
    contract: Contract
    factory: RequestFactory
    transport: Transport
    # The generated cases' Hypothesis settings (hypothesis_profiles.for_cases), never the global.
    case_settings: settings = dataclasses.field(
        default_factory=lambda: hypothesis_profiles.for_cases(None)
    )

    @property
    def environment(self) -> Environment:
        return self.handle.environment

    def close(self) -> None:
        self.transport.close()
        self.handle.close()


def open_runtime(
    env: str = "reference",
    endpoint: str | None = None,
    defect: str | None = None,
    *,
    handle: EnvironmentHandle | None = None,
) -> Runtime:
    """Start the environment and build the contract, request factory and transport once.

    ``defect`` starts the embedded reference with one deliberate deviation (self-check);
    ``handle`` is an environment already loaded (by collection) and not started yet."""
    try:
        if handle is None:
            handle = load_environment(env, endpoint, defect=defect, start=False)
        handle.start()
    except EnvironmentConfigError as exc:
        raise RuntimeStartError(str(exc)) from None
    except Exception as exc:  # the embedded service failing to start, a broken contract...
        if handle is not None:
            handle.close()
        raise RuntimeStartError(f"environment {env!r} could not start: {exc}") from exc
    try:
        contract = handle.environment.contract()
        factory = RequestFactory(handle.environment, contract)
        transport = Transport(handle.environment)
    except Exception as exc:
        handle.close()
        raise RuntimeStartError(f"environment {env!r}: {exc}") from exc
    return Runtime(handle, contract, factory, transport)


_RUNTIME = pytest.StashKey["Runtime | RuntimeStartError"]()
_LOADED = pytest.StashKey["EnvironmentHandle | RuntimeStartError"]()
_PROFILE = pytest.StashKey[str]()


def _options(config: pytest.Config) -> tuple[str, str | None, str | None]:
    return (
        config.getoption("conformance_env") or "reference",
        config.getoption("conformance_endpoint"),
        config.getoption("conformance_defect", None),
    )


def set_case_settings(config: pytest.Config, profile: str) -> None:
    """The Hypothesis profile (one of ours) the session's generated cases run under."""
    config.stash[_PROFILE] = profile


def environment_for(config: pytest.Config) -> Environment:
    """The session's environment, loaded on first use and not started: what collection needs
    (the roles), without starting the embedded service."""
    loaded = config.stash.get(_LOADED, None)
    if loaded is None:
        env, endpoint, defect = _options(config)
        try:
            loaded = load_environment(env, endpoint, defect=defect, start=False)
        except EnvironmentConfigError as exc:
            loaded = RuntimeStartError(str(exc))
        except Exception as exc:
            loaded = RuntimeStartError(f"environment {env!r} could not be loaded: {exc}")
        config.stash[_LOADED] = loaded
    if isinstance(loaded, RuntimeStartError):
        raise loaded
    return loaded.environment


def runtime_for(config: pytest.Config) -> Runtime:
    """The session's runtime, started on first use (a run with no cases starts nothing)."""
    cached = config.stash.get(_RUNTIME, None)
    if cached is None:
        loaded = config.stash.get(_LOADED, None)
        try:
            if isinstance(loaded, RuntimeStartError):
                raise loaded
            cached = open_runtime(*_options(config), handle=loaded)
            cached.case_settings = hypothesis_profiles.for_cases(config.stash.get(_PROFILE, None))
        except RuntimeStartError as exc:
            cached = exc
        config.stash[_RUNTIME] = cached
    if isinstance(cached, RuntimeStartError):
        raise cached
    return cached


def close_runtime(config: pytest.Config) -> None:
    cached = config.stash.get(_RUNTIME, None)
    if isinstance(cached, Runtime):
        cached.close()
    else:
        loaded = config.stash.get(_LOADED, None)
        if isinstance(loaded, EnvironmentHandle):
            loaded.close()
    config.stash[_RUNTIME] = RuntimeStartError("the session is over")


# ---- one exchange ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    exchange: Exchange
    client: ClientProfile
    failures: tuple[CheckFailure, ...]
    warnings: tuple[CheckFailure, ...]


def _request(case: Case, runtime: Runtime, draw: given_block.Draw) -> OutgoingRequest:
    env, factory = runtime.environment, runtime.factory
    client = env.client(draw.client)
    ssin = draw.ssin or ""
    kwargs: dict[str, Any] = {
        "legal_context": case.request.get("legalContext"),
        "ticket": draw.ticket if draw.ticket is not None else own_ticket(),
        "timestamp_sent": draw.timestamp_sent,
    }
    if case.craft == "both_groups_false":
        return factory.no_data_groups(client, ssin, **kwargs)
    typed = factory.build(case.wire_operation, client, ssin, draw.data_groups, **kwargs)
    if case.craft is None:
        return typed
    crafts = {
        "soap12": lambda: factory.soap12(typed),
        "wrong_soap_action": lambda: factory.with_soap_action(typed, WRONG_SOAP_ACTION),
        "missing_soap_action": lambda: factory.with_soap_action(typed, None),
        "wrong_path": lambda: factory.with_path(typed, WRONG_PATH),
        "malformed_xml": lambda: factory.malformed(typed),
        "xsd_invalid": lambda: factory.xsd_invalid(typed),
        "no_client_cert": lambda: typed,  # the message is faithful; _sender drops the certificate
    }
    return crafts[case.craft]()


def expectation(case: Case, runtime: Runtime, draw: given_block.Draw) -> Expectation:
    """The case's ``expect:`` block plus what the environment knows about the person."""
    final = draw.ssin
    if draw.person is not None:
        final = runtime.environment.person(draw.person).final_ssin
    expect = case.expect
    status = (expect["status"]["value"], expect["status"]["code"]) if "status" in expect else None
    fault = None
    if "fault" in expect:
        fault = (expect["fault"].get("faultcode"), expect["fault"]["code"])
    assertions = tuple(PathAssertion.from_mapping(a) for a in expect.get("assertions", ()))
    crafted = case.craft is not None and case.craft != "both_groups_false"
    return Expectation(
        operation=None if crafted else case.wire_operation,
        status=status,
        fault=fault,
        data_groups=draw.data_groups,
        requested_ssin=draw.ssin,
        final_ssin=final,
        assertions=assertions,
        tls_refused=bool(expect.get("tls_refused")),
    )


def _attempt(case: Case, runtime: Runtime, draw: given_block.Draw) -> _Attempt:
    request = _request(case, runtime, draw)
    client = _sender(case, runtime.environment.client(draw.client))
    exchange = runtime.transport.send(request, client)
    report = run_checks(exchange, expectation(case, runtime, draw), runtime.contract)
    return _Attempt(exchange, client, tuple(report.failures), tuple(report.warnings))


def _sender(case: Case, client: ClientProfile) -> ClientProfile:
    """The client as it connects: without any certificate for craft ``no_client_cert``
    (two-way TLS must refuse it, NOTES §1)."""
    if case.craft != "no_client_cert":
        return client
    return dataclasses.replace(client, cert=None, key=None, p12=None, p12_password_env=None)


def _fixed_draw(case: Case, runtime: Runtime) -> given_block.Draw:
    person = str(case.request["person"])
    groups = case.request.get("dataGroups")
    if groups is None and case.wire_operation == "consultEmploymentInfos":
        groups = given_block.DEFAULT_GROUPS
    return given_block.Draw(
        client=case.client,
        person=person,
        ssin=runtime.environment.person(person).ssin,
        data_groups=dict(groups) if groups is not None else None,
        ticket=_opt(case.request, "ticket"),
        timestamp_sent=_opt(case.request, "timestampSent"),
    )


def own_ticket() -> str:
    """A fresh client ticket (36 characters, the XSD maximum): TSS §8 asks the service desk
    for the BCSS ticket or else the client's own, and a request that got no answer has no
    BCSS ticket."""
    return "conformance-" + uuid.uuid4().hex[:24]


def _opt(mapping: Mapping[str, Any], key: str) -> str | None:
    return None if mapping.get(key) is None else str(mapping[key])


# ---- one case ----------------------------------------------------------------------------------


def blank_outcome(case: Case) -> CaseOutcome:
    """A passed outcome for ``case``, before anything ran."""
    return CaseOutcome(
        case_id=case.id,
        title=case.title,
        tss_ref=case.tss,
        operation=case.operation,
        code=case.code or "",
        outcome=PASSED,
        client_role=case.client,
    )


def not_triggerable_reason(case: Case, environment: Environment) -> str | None:
    """Why ``case`` cannot run here: its code is declared not triggerable, or the environment
    maps none of the roles it needs (docs/ARCHITECTURE.md roles). None when it can run."""
    declared = environment.not_triggerable.get(case.code or "")
    if declared:
        return declared
    missing = []
    if not case.given or not case.given.get("client"):
        missing += [] if case.client in environment.clients else [f"client role {case.client!r}"]
    elif not set(case.given["client"]) & set(environment.clients):
        missing.append(f"any of the client roles {', '.join(case.given['client'])}")
    person = case.request.get("person")
    if person and person not in environment.persons:
        missing.append(f"person role {person!r}")
    roles = (case.given or {}).get("person")
    if roles and "ssin" not in (case.given or {}) and not set(roles) & set(environment.persons):
        missing.append(f"any of the person roles {', '.join(roles)}")
    return f"the environment maps no {' and no '.join(missing)}" if missing else None


def run_case(case: Case, runtime: Runtime, *, seed: int | str | None = None) -> CaseOutcome:
    """Run ``case`` and return its outcome (never raises for a failing endpoint)."""
    outcome = blank_outcome(case)
    if not_triggerable_reason(case, runtime.environment):
        outcome.outcome = NOT_TRIGGERABLE
        return outcome
    t0 = time.perf_counter()
    if case.given:
        attempt = _run_property(case, runtime, seed, outcome)
    else:
        attempt = _attempt(case, runtime, _fixed_draw(case, runtime))
    outcome.duration_s = time.perf_counter() - t0
    outcome.exchanges = [attempt.exchange]
    outcome.client_role = attempt.client.role  # a generated case may have drawn another client
    outcome.warnings = [_warning_line(w) for w in attempt.warnings]
    outcome.reproduce = reproduction(
        attempt.exchange,
        attempt.client,
        seed=outcome.hypothesis_seed,
        ca_bundle=runtime.environment.ca_bundle,
    )
    if attempt.failures:
        outcome.outcome = FAILED
        outcome.failure_category = attempt.failures[0].category
        outcome.failure_text = format_failure(
            attempt.exchange,
            [*attempt.failures, *attempt.warnings],
            client=attempt.client,
            seed=outcome.hypothesis_seed,
            ca_bundle=runtime.environment.ca_bundle,
        )
    return outcome


class _ExampleFailed(Exception):
    """Raised inside the property so Hypothesis shrinks towards the smallest failing request."""

    def __init__(self, attempt: _Attempt) -> None:
        super().__init__(f"{len(attempt.failures)} check(s) failed")
        self.attempt = attempt


def _run_property(
    case: Case, runtime: Runtime, seed: int | str | None, outcome: CaseOutcome
) -> _Attempt:
    # Always run with an explicit seed, so any failure can be replayed with --hypothesis-seed.
    used_seed = seed if seed is not None else random.SystemRandom().getrandbits(64)
    outcome.hypothesis_seed = str(used_seed)
    persons = {role: p.ssin for role, p in runtime.environment.persons.items()}
    clients = set(runtime.environment.clients)
    known = environment_summary(runtime.environment)["known_ssins"]
    last: list[_Attempt] = []
    failing: list[_Attempt] = []

    @settings(
        runtime.case_settings,
        max_examples=_example_count(case, runtime.case_settings),
        deadline=None,
        database=None,  # a run from a read-only place; the seed is the reproduction
        derandomize=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,  # the formatter's text is the one message of a failure
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @hypothesis_seed(used_seed)
    @given(given_block.strategy(case, persons, clients, known))
    def prop(draw: given_block.Draw) -> None:
        attempt = _attempt(case, runtime, draw)
        last[:] = [attempt]
        if attempt.failures:
            failing[:] = [attempt]
            raise _ExampleFailed(attempt)

    try:
        prop()
    except _ExampleFailed as failed:  # re-raised by Hypothesis for the shrunk example
        return failed.attempt
    except Flaky:
        # The endpoint answered the replayed example differently: still a failure, and the
        # last failing exchange is the evidence.
        if failing:
            return failing[0]
        raise
    return last[0]


def _example_count(case: Case, profile: settings) -> int:
    """The case's ``given.examples``, raised to the profile's count when larger than ci's
    (``--hypothesis-profile=nightly`` runs every property at least that many times)."""
    ci = hypothesis_profiles.PROFILES[hypothesis_profiles.CI]["max_examples"]
    wanted = given_block.examples(case)
    return max(wanted, profile.max_examples) if profile.max_examples > ci else wanted


def _warning_line(warning: CheckFailure) -> str:
    return f"{warning.title}: expected {warning.expected}; received {warning.received}"


# ---- crossing from an xdist worker to the controller -------------------------------------------


def outcome_to_wire(outcome: CaseOutcome) -> dict[str, Any]:
    """Plain data (execnet-serialisable) for a test report attribute."""
    return dataclasses.asdict(outcome)


def outcome_from_wire(data: Mapping[str, Any]) -> CaseOutcome:
    fields = dict(data)
    exchanges = []
    for raw in fields.pop("exchanges", ()):
        ex = dict(raw)
        request = OutgoingRequest(**ex.pop("request"))
        exchanges.append(Exchange(request=request, **ex))
    return CaseOutcome(exchanges=exchanges, **fields)


def environment_summary(environment: Environment) -> dict[str, Any]:
    """What the controller's reports need to know of a worker's environment."""
    organisations = sorted(
        {
            c.certificate_org or str(dict(c.customer_identification))
            for c in environment.clients.values()
        }
    )
    ssins = {p.ssin for p in environment.persons.values()}
    ssins |= {p.replaced_by for p in environment.persons.values() if p.replaced_by}
    return {
        "name": environment.name,
        "endpoint": environment.endpoint,
        "organisation": ", ".join(organisations),
        "known_ssins": sorted(ssins),
        "not_triggerable": dict(environment.not_triggerable),
        "xsd": str(environment.xsd) if environment.xsd else None,
        "wsdl": str(environment.wsdl) if environment.wsdl else None,
        # Names only: the reports read the values themselves, to scrub them (never sent around).
        "secret_env_vars": sorted(
            {c.p12_password_env for c in environment.clients.values() if c.p12_password_env}
        ),
    }
