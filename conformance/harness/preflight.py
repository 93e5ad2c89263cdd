"""The preflight: one exchange before the cases tells "endpoint down" from "endpoint wrong".

Down (nothing listens, no connection, a failed TLS handshake, no complete answer in time): every
case would fail the same way, one timeout each, so the run stops at once with one line and exit
code 6 (docs/running.md). Wrong (any HTTP answer, even HTML or garbage): the cases run and say
what is wrong. The request is a SOAP 1.1 envelope with an empty body, sent with the
environment's first client certificate: harmless, and answered by any live SOAP gateway.
"""

from __future__ import annotations

from conformance import exchange as ex
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness import credentials
from conformance.harness.environment import (
    BUILTIN,
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    load_environment,
)
from conformance.harness.transport import Transport

EXIT_ENDPOINT_DOWN = 6
EXIT_BAD_INPUT = 4  # as pytest's usage error and every command

# The failures that no case can get past. A protocol error, a truncated or oversized answer is
# an answer: the cases report it, each quickly.
DOWN_KINDS = frozenset(
    {
        ex.CONNECT_REFUSED, ex.CONNECT_TIMEOUT, ex.CONNECT_ERROR, ex.UNRESOLVED, ex.RESET,
        ex.CLOSED, ex.TLS_REFUSED, ex.TLS_CLOSED, ex.TLS_ERROR, ex.DEADLINE,
    }
)  # fmt: skip

_EMPTY_ENVELOPE = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soapenv:Body/></soapenv:Envelope>"
)


def unusable_credentials(env: str, endpoint: str | None) -> str | None:
    """The line that stops the run when the environment file's CA bundle or a client
    certificate cannot be opened (exit 4, as any bad input); None otherwise, and for the
    built-in environment (its certificates are made for the run)."""
    if env in BUILTIN:
        return None
    try:
        with load_environment(env, endpoint, start=False) as handle:
            return _unusable(env, handle.environment)
    except EnvironmentConfigError:
        return None  # the run says so itself


def before_cases(env: str, endpoint: str | None) -> tuple[int, str] | None:
    """What stops the run before its cases, as (exit code, one line): credentials that cannot
    be opened (4), then an endpoint that is down (6). None for the embedded reference (we start
    it) and an environment that cannot be loaded (the run says). The file is loaded once."""
    if env in BUILTIN and endpoint is None:
        return None
    try:
        with load_environment(env, endpoint) as handle:
            unusable = None if env in BUILTIN else _unusable(env, handle.environment)
            if unusable is not None:
                return EXIT_BAD_INPUT, unusable
            down = down_reason(probe(handle.environment))
    except EnvironmentConfigError:
        return None
    return (EXIT_ENDPOINT_DOWN, down) if down is not None else None


def _unusable(env: str, environment: Environment) -> str | None:
    try:
        credentials.check(environment)
    except credentials.CredentialError as exc:
        return f"{env}: {exc}"
    return None


def probe(environment: Environment) -> Exchange:
    """Send the preflight exchange to the environment's endpoint (never raises for it)."""
    request = OutgoingRequest(
        environment.endpoint,
        _EMPTY_ENVELOPE,
        {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    with Transport(environment) as transport:
        return transport.send(request, _first_client(environment))


def down_reason(exchange: Exchange) -> str | None:
    """The one line that stops the run, or None when the endpoint answered (right or wrong)."""
    if exchange.error_kind not in DOWN_KINDS:
        return None
    return f"endpoint down (preflight, no case was run): {exchange.error}"


def _first_client(environment: Environment) -> ClientProfile | None:
    with_certificate = [c for c in environment.clients.values() if c.has_certificate]
    return with_certificate[0] if with_certificate else None
