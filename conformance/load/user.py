"""The Locust user of a load run: one checked business request per task.

Importing this module imports Locust, which patches the standard library for gevent: only the
load run's own processes (``python -m conformance.load.node``) import it, first.
"""

from __future__ import annotations

from typing import Any, ClassVar

from locust import User, constant, constant_throughput, task

from conformance.harness.runtime import Runtime
from conformance.load.mix import RequestMix, send_one, user_runtime
from conformance.sla.samples import Sample

REQUEST_TYPE = "SOAP"


class SampleSink:
    """This process's SLA samples, until the node reports or writes them."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.count = 0

    def add(self, samples: list[Sample]) -> None:
        self.samples += samples
        self.count += len(samples)

    def drain(self) -> list[Sample]:
        taken, self.samples = self.samples, []
        return taken


class CheckFailed(Exception):
    """A wrong answer: Locust counts it as a failure, named by the first broken rule."""


class CheckedUser(User):
    """Sends the mix; every answer is judged by the run's checks (``harness/checks``)."""

    abstract = True  # configured by :func:`configure` in each process
    shared: ClassVar[Runtime]
    mix: ClassVar[RequestMix]
    sink: ClassVar[SampleSink]
    wait_time = constant(0)

    def on_start(self) -> None:
        self.runtime = user_runtime(self.shared)

    def on_stop(self) -> None:
        self.runtime.transport.close()

    @task
    def checked_request(self) -> None:
        case = self.mix.next_case()
        checked = send_one(case, self.runtime)
        exchange = checked.made.exchange
        self.sink.add(self.runtime.samples.take())
        failure = checked.failure
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE,
            name=case.operation,
            response_time=exchange.elapsed_s * 1000,
            response_length=len(exchange.body),
            exception=CheckFailed(failure) if failure else None,
            context={"case": case.id},
        )


def configure(
    shared: Runtime,
    mix: RequestMix,
    sink: SampleSink,
    *,
    users: int,
    max_rps: float | None,
) -> type[CheckedUser]:
    """The user class of this process; ``max_rps`` caps the whole run (spread over its users)."""
    attributes: dict[str, Any] = {
        "abstract": False,
        "shared": shared,
        "mix": mix,
        "sink": sink,
    }
    if max_rps is not None:
        attributes["wait_time"] = constant_throughput(max_rps / users)
    return type("BcssUser", (CheckedUser,), attributes)


def placeholder() -> type[CheckedUser]:
    """The master's user class: the same name as the workers', never run there."""
    return type("BcssUser", (CheckedUser,), {"abstract": False})
