"""What is reported while the run goes on: Allure labels and attachments, set from inside the
running test item, and each failure's one line, printed as the case fails.

Every case is labelled epic = the service, feature = the operation, story = the return code it
expects, plus severity, tags and a ``tss`` link to the TSS section or table row it enforces
(issue 5). ``allure-pytest`` only listens when ``--alluredir`` is given; without it the calls
below reach no listener, and :func:`attach_outcome` returns before building any attachment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import allure
import allure_commons

from conformance.harness.failures import reason_line
from conformance.harness.outcome import FAILED, NOT_TRIGGERABLE, CaseOutcome
from conformance.reports.bundle import is_xml
from conformance.reports.masking import Masker, clean_bytes, scrub_secrets

EPIC = "ForeignerSituationService v1"
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
# The formatter's reproduction block starts with this line (STYLE.md "Failures a person can
# act on").
_REPRODUCE = re.compile(r"^Reproduce with:.*", re.MULTILINE | re.DOTALL)


LIVE_PREFIX = "conformance: "  # not "FAILED ": pytest's own short summary lines start so


def failure_line(
    outcome: CaseOutcome, *, mask: Masker | None, secrets: Sequence[str] = ()
) -> str | None:
    """The line printed (and flushed) as a case fails, so that a run stopped from outside
    still shows why; None for a case that did not fail."""
    if outcome.outcome != FAILED:
        return None
    if outcome.failures:
        more = f" (+{len(outcome.failures) - 1} more)" if len(outcome.failures) > 1 else ""
        reason = reason_line(outcome.failures[0]) + more
    else:
        reason = "the case crashed before its checks (see its report)"
    line = scrub_secrets(f"{LIVE_PREFIX}{outcome.case_id} failed: {reason}", secrets)
    return mask.mask_text(line) if mask is not None else line


def allure_active() -> bool:
    """True when allure-pytest records results (``--alluredir`` given)."""
    return bool(allure_commons.plugin_manager.get_plugins())


def annotate_case(
    *,
    case_id: str,
    title: str,
    tss_ref: str,
    operation: str,
    code: str,
    severity: str = "normal",
    tags: Iterable[str] = (),
    tss_url: str | None = None,
) -> None:
    """Label the running test. ``tss_url`` defaults to the reference itself, which
    ``--allure-link-pattern=tss:<base>{}`` turns into a real address when one is configured."""
    if not allure_active():
        return
    allure.dynamic.title(f"{case_id}: {title}")
    allure.dynamic.epic(EPIC)
    allure.dynamic.feature(operation)
    allure.dynamic.story(code)
    allure.dynamic.label("severity", severity if severity in SEVERITIES else "normal")
    allure.dynamic.label("case_id", case_id)
    allure.dynamic.tag(*tags)
    allure.dynamic.link(tss_url or tss_ref, link_type="tss", name=f"TSS {tss_ref}")


def reproduction_text(outcome: CaseOutcome) -> str:
    """The formatter's "Reproduce with:" block (curl + seed), passed cases included; "" when
    the case sent nothing."""
    if outcome.reproduce:
        return outcome.reproduce.strip()
    match = _REPRODUCE.search(outcome.failure_text)
    return match.group(0).strip() if match else ""


def attach_outcome(
    outcome: CaseOutcome, *, mask: Masker | None, secrets: Sequence[str] = ()
) -> None:
    """Attach each exchange's request and response, the reproduction text and the Hypothesis
    seed; label the failure category so Allure 3 categories can match it. Private keys and
    ``secrets`` are always removed; NISS values are masked when ``mask`` is given."""
    if not allure_active():
        return
    xml = allure.attachment_type.XML
    text = allure.attachment_type.TEXT
    many = len(outcome.exchanges) > 1
    for index, exchange in enumerate(outcome.exchanges, start=1):
        prefix = f"#{index} " if many else ""
        allure.attach(
            clean_bytes(exchange.request.body, mask, secrets),
            name=f"{prefix}request",
            attachment_type=xml if is_xml(exchange.request.body) else text,  # crafted bodies
        )
        if exchange.body:
            kind = xml if is_xml(exchange.body) else text
            allure.attach(
                clean_bytes(exchange.body, mask, secrets),
                name=f"{prefix}response (HTTP {exchange.status})",
                attachment_type=kind,
            )
        elif exchange.error:
            allure.attach(
                clean_bytes(exchange.error.encode(), mask, secrets),
                name=f"{prefix}no response",
                attachment_type=text,
            )
    reproduce = reproduction_text(outcome)
    if reproduce:
        allure.attach(
            clean_bytes(reproduce.encode(), mask, secrets),
            name="reproduce",
            attachment_type=text,
        )
    if outcome.hypothesis_seed:
        allure.attach(
            (
                f"conformance run -- --hypothesis-seed={outcome.hypothesis_seed}\n"
                f"pytest --hypothesis-seed={outcome.hypothesis_seed}\n"
            ).encode(),
            name="hypothesis seed",
            attachment_type=text,
        )
    category = outcome.failure_category
    if outcome.outcome == NOT_TRIGGERABLE:
        category = "not-triggerable"
    if category:
        allure.dynamic.label("failure_category", category)
