"""What a case expects from one exchange: the outcome, the echoed person and path assertions.

The case loader (``harness/cases.py``) turns a YAML case into an :class:`Expectation`; the checks
(``harness/checks``) only read it. Codes are never interpreted here: the TSS tables stay in
``tables.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.harness.path_assertions import PathAssertion

if TYPE_CHECKING:  # the checks read this module; only the builder below knows cases
    from conformance.harness.cases import Case
    from conformance.harness.certs.factory import RefusedCertificate
    from conformance.harness.environment import Environment
    from conformance.harness.given import Draw


@dataclass(frozen=True)
class Expectation:
    """What one exchange must show.

    - ``operation``: ``consultEmploymentInfos``, ``consultSpecialInfos`` or None for a raw
      (crafted) message;
    - ``status``: ``(value, code)`` of a business answer (TSS 6.1), e.g.
      ``("DATA_FOUND", "MSG00000")``;
    - ``fault``: ``(faultcode, code)`` of a technical answer (TSS 6.2); ``faultcode`` is the
      local name ``"Client"``/``"Server"``, or None to take it from the technical table;
    - ``data_groups``: the groups the request asked for, e.g.
      ``{"employmentCards": True, "workPermits": False}`` (None for consultSpecialInfos);
    - ``requested_ssin`` / ``final_ssin``: the NISS sent, and the one the answer must carry
      (the ``replaced_by`` NISS when the person was replaced, decision replaced-indication);
    - ``assertions``: extra :class:`PathAssertion` s from the case;
    - ``tls_refused``: the endpoint must refuse the exchange at the TLS layer (a request sent
      without a client certificate: two-way TLS identifies the client, TSS §4 and decision
      client-identity);
    - ``refused_certificate``: with ``tls_refused``, the certificate presented that the service
      must not trust (``harness/certs``); ``checks/certificates.py`` judges those cases;
    - ``tss`` / ``decision``: the case's references, the authority of its expected outcome.

    Exactly one of ``status`` and ``fault`` is normally set; when both are None only the
    generic checks (transport, SOAP, schema, tables, echo) apply.
    """

    operation: str | None
    status: tuple[str, str] | None = None
    fault: tuple[str | None, str] | None = None
    data_groups: Mapping[str, bool] | None = None
    requested_ssin: str | None = None
    final_ssin: str | None = None
    assertions: tuple[PathAssertion, ...] = field(default_factory=tuple)
    tls_refused: bool = False
    # The certificate presented, when the case is about one the service must not trust.
    refused_certificate: RefusedCertificate | None = None
    tss: str = ""  # the case's TSS reference: the authority of its own assertions
    decision: str = ""  # the decision the expected outcome rests on, when not a TSS row

    def __post_init__(self) -> None:
        if self.tls_refused and (self.status is not None or self.fault is not None):
            raise ValueError("an expected TLS refusal has no status or fault")
        if self.status is not None and self.fault is not None:
            raise ValueError("an expectation names a business status or a fault, not both")
        if self.fault is not None and self.fault[0] not in (None, "Client", "Server"):
            raise ValueError(
                f"fault code must be 'Client', 'Server' or None, not {self.fault[0]!r}"
            )


def for_case(
    case: Case,
    environment: Environment,
    draw: Draw,
    *,
    refused_certificate: RefusedCertificate | None = None,
) -> Expectation:
    """The case's ``expect:`` block plus what the environment knows about the person, and the
    certificate presented when it is one the service must refuse."""
    final = draw.ssin
    if draw.person is not None:
        final = environment.person(draw.person).final_ssin
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
        refused_certificate=refused_certificate,
        tss=case.tss,
        decision=case.decision,
    )
