"""A reference runtime that records every exchange it sends, and the catalogue's generated cases by
id: for the tests that run one case through ``harness/execute.py`` and look at what went out."""

from __future__ import annotations

import re
from collections.abc import Iterator

from conformance import paths, tables
from conformance.exchange import Exchange
from conformance.harness.cases import Case, load_file
from conformance.harness.runtime import Runtime, open_runtime

# The harness's own per-message ticket (conformance-<24 hex>), fresh for every request.
OWN_TICKET = re.compile(rb"<ticket>(conformance-[0-9a-f]{24})</ticket>")


def recording_runtime(sent: list[Exchange]) -> Iterator[Runtime]:
    """The body of a fixture: the reference runtime, appending every exchange to ``sent``."""
    runtime = open_runtime("reference")
    runtime.transport.add_recorder(sent.append)
    yield runtime
    runtime.close()


def property_case(runtime: Runtime, case_id: str) -> Case:
    """A case of the shipped ``cases/properties.yaml``, checked against the runtime's roles."""
    env = runtime.environment
    cases = load_file(
        paths.cases_dir() / "properties.yaml",
        codes=set(tables.all_codes()),
        clients=set(env.clients),
        persons=set(env.persons),
    )
    return next(case for case in cases if case.id == case_id)
