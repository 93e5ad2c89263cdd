"""The session's runtime: the environment, contract, request factory and transport a run shares.

Loading and starting are two steps: collection loads the environment (:func:`environment_for`:
files and roles only), the first case starts it (:func:`runtime_for`: the embedded service),
so collecting, and a run with no cases, start nothing. Built once per process (per xdist
worker) and closed at the end of the session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from conformance import hypothesis_profiles
from conformance.contract import Contract
from conformance.harness.budget import UNBOUNDED, Budget
from conformance.harness.certs.factory import CertificateFactory
from conformance.harness.client import RequestFactory
from conformance.harness.environment import (
    Environment,
    EnvironmentConfigError,
    EnvironmentHandle,
    load_environment,
)
from conformance.harness.transport import Transport
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.sla.samples import SampleRecorder


class RuntimeStartError(Exception):
    """The environment could not be loaded or started; the message says why."""


@dataclass
class Runtime:
    """What every case of a session shares: built once per process (xdist worker), then closed."""

    handle: EnvironmentHandle
    contract: Contract
    factory: RequestFactory
    transport: Transport
    certificates: CertificateFactory  # the refused client certificates of the TLS cases
    samples: SampleRecorder  # one SLA sample per exchange the transport sent
    # The generated cases' Hypothesis settings (hypothesis_profiles.for_cases), never the global.
    case_settings: settings = field(default_factory=lambda: hypothesis_profiles.for_cases(None))
    budget: Budget = UNBOUNDED  # the run's --max-time (harness/budget.py)

    @property
    def environment(self) -> Environment:
        return self.handle.environment

    def close(self) -> None:
        self.transport.close()
        self.certificates.close()
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
        samples = SampleRecorder()
        transport.add_recorder(samples)
    except Exception as exc:
        handle.close()
        raise RuntimeStartError(f"environment {env!r}: {exc}") from exc
    certificates = CertificateFactory(handle.environment)
    return Runtime(handle, contract, factory, transport, certificates, samples)


_RUNTIME = pytest.StashKey["Runtime | RuntimeStartError"]()
_LOADED = pytest.StashKey["EnvironmentHandle | RuntimeStartError"]()
_PROFILE = pytest.StashKey[str]()
_STARTED = pytest.StashKey[float]()


def _options(config: pytest.Config) -> tuple[str, str | None, str | None]:
    return (
        config.getoption("conformance_env") or "reference",
        config.getoption("conformance_endpoint"),
        config.getoption("conformance_defect", None),
    )


def set_case_profile(config: pytest.Config, profile: str) -> None:
    """The Hypothesis profile (one of ours) the session's generated cases run under."""
    config.stash[_PROFILE] = profile


def mark_session_start(config: pytest.Config) -> None:
    """Where the run's --max-time is counted from, in this process."""
    config.stash[_STARTED] = time.monotonic()


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
            seconds = config.getoption("conformance_max_time", None)
            cached.budget = Budget(
                seconds or cached.environment.max_time,
                config.stash.get(_STARTED, time.monotonic()),
            )
            _keep_certificates(config, cached)
        except RuntimeStartError as exc:
            cached = exc
        config.stash[_RUNTIME] = cached
    if isinstance(cached, RuntimeStartError):
        raise cached
    return cached


def _keep_certificates(config: pytest.Config, runtime: Runtime) -> None:
    """The run's certificates go to the report folder (keys too, unless masking is on)."""
    folder = config.getoption("conformance_report_dir", None) or DEFAULT_REPORT_DIR
    masking = bool(config.getoption("conformance_mask_ssin", False))
    runtime.certificates.keep_in(Path(folder).resolve(), keys=not masking)


def close_runtime(config: pytest.Config) -> None:
    cached = config.stash.get(_RUNTIME, None)
    loaded = config.stash.get(_LOADED, None)
    if isinstance(cached, Runtime):
        cached.close()
    elif isinstance(loaded, EnvironmentHandle):
        loaded.close()  # loaded for collection, never started: a temporary folder at most
    config.stash[_RUNTIME] = RuntimeStartError("the session is over")
