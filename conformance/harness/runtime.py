"""The session's runtime: the environment, contract, request factory and transport a run shares.

Built once per process (per xdist worker) on first use, so a run with no cases starts nothing,
and closed at the end of the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.contract import Contract
from conformance.harness.client import RequestFactory
from conformance.harness.environment import (
    Environment,
    EnvironmentConfigError,
    EnvironmentHandle,
    load_environment,
)
from conformance.harness.transport import Transport


class RuntimeStartError(Exception):
    """The environment could not be loaded or started; the message says why."""


@dataclass
class Runtime:
    """What every case of a session shares: built once per process (xdist worker), then closed."""

    handle: EnvironmentHandle
    contract: Contract
    factory: RequestFactory
    transport: Transport

    @property
    def environment(self) -> Environment:
        return self.handle.environment

    def close(self) -> None:
        self.transport.close()
        self.handle.close()


def open_runtime(
    env: str = "reference", endpoint: str | None = None, defect: str | None = None
) -> Runtime:
    """Load the environment and build the contract, request factory and transport once.

    ``defect`` starts the embedded reference with one deliberate deviation (self-check)."""
    try:
        handle = load_environment(env, endpoint, defect=defect)
    except EnvironmentConfigError as exc:
        raise RuntimeStartError(str(exc)) from None
    except Exception as exc:  # the embedded service failing to start, a broken contract...
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


def runtime_for(config: pytest.Config) -> Runtime:
    """The session's runtime, opened on first use (a run with no cases starts nothing)."""
    cached = config.stash.get(_RUNTIME, None)
    if cached is None:
        try:
            cached = open_runtime(
                config.getoption("conformance_env"),
                config.getoption("conformance_endpoint"),
                config.getoption("conformance_defect", None),
            )
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
    config.stash[_RUNTIME] = RuntimeStartError("the session is over")
