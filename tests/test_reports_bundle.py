"""Service-desk bundles hold what TSS §8 ("En cas de problèmes") asks for."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from conformance import paths
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import WRONG_CODE, CheckFailure
from conformance.harness.outcome import FAILED, CaseOutcome
from conformance.reports.bundle import bundle_dir_name, find_ticket, write_bundle
from conformance.reports.masking import Masker

EXAMPLES = paths.xsd_dir() / "examples" / "valid"
URL = "https://b2b-acpt.ksz-bcss.fgov.be:4520/ForeignerSituationService/v1/consult"
ACTION = '"http://kszbcss.fgov.be/ForeignerSituationService/consultEmploymentInfos"'


def _example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def _exchange(request: bytes, response: bytes = b"", **kw) -> Exchange:
    req = OutgoingRequest(url=URL, body=request, headers={"SOAPAction": ACTION})
    return Exchange(request=req, body=response, started_at="2026-11-30T01:02:03+00:00", **kw)


def _outcome(*exchanges: Exchange, case_id: str = "employment/unknown-niss") -> CaseOutcome:
    return CaseOutcome(
        case_id=case_id,
        title="unknown NISS gives MSG00005",
        tss_ref="6.1 MSG00005",
        operation="consultEmploymentInfos",
        code="MSG00005",
        outcome=FAILED,
        exchanges=list(exchanges),
        failures=[
            CheckFailure(
                "Return code MSG00005",
                "NO_RESULT MSG00005",
                "DATA_FOUND MSG00000",
                WRONG_CODE,
                rule="status.code",
                ref="6.1 MSG00005",
            )
        ],
        reproduce="Reproduce with:\n  curl --cert c.pem --key k.pem ...",
    )


def _write(tmp_path: Path, outcome: CaseOutcome, masker: Masker | None = None) -> Path:
    return write_bundle(
        tmp_path / "bundles",
        outcome,
        environment_name="acceptance",
        endpoint=URL,
        client_organisation="ONEM 0206737484",
        masker=masker,
    )


def test_bundle_has_request_response_and_readme_with_tss8_items(tmp_path: Path) -> None:
    request = _example("request_employment_cbe_full.xml")
    response = _example("response_employment_cards_only.xml")
    folder = _write(tmp_path, _outcome(_exchange(request, response, status=200)))
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "request.xml", "response.xml"]
    assert (folder / "request.xml").read_bytes() == request
    assert (folder / "response.xml").read_bytes() == response
    readme = (folder / "README.txt").read_text()
    for needed in (
        "servicedesk@ksz-bcss.fgov.be",
        "02-741 84 00",
        "3f2b8c1e-7a4d-4e9b-9c2a-5d1e8f0a6b37",  # ticketCBSS of the response
        "ticketCBSS (BCSS)",
        "2026-11-30T01:02:03+00:00",
        URL,
        "ForeignerSituationService v1",
        "consultEmploymentInfos",
        "Environment:    acceptance",
        "Expected: NO_RESULT MSG00005",
        "Received: DATA_FOUND MSG00000",
        "(TSS 6.1 MSG00005; rule status.code)",
    ):
        assert needed in readme, needed
    assert "curl" not in readme  # local reproduction details are not for the service desk


def _fault_with_ticket(ticket_cbss: str) -> bytes:
    root = etree.fromstring(_example("fault_MSG00002_server_supplier.xml"))
    for node in root.iter("ticketCBSS"):
        node.text = ticket_cbss
    return etree.tostring(root)


def test_ticket_from_fault_detail() -> None:
    request = _example("request_employment_cbe_minimal.xml")
    ticket = find_ticket(
        _exchange(request, _fault_with_ticket("0b1c2d3e-0000-4000-8000-00000000abcd"))
    )
    assert ticket.value == "0b1c2d3e-0000-4000-8000-00000000abcd"


def test_client_ticket_when_no_bcss_ticket() -> None:
    request = _example("request_employment_cbe_full.xml")  # carries <ticket>ONEM-2026-000123
    ticket = find_ticket(_exchange(request, b"<html>Bad gateway</html>", status=502))
    assert (ticket.value, ticket.source.startswith("ticket (client")) == ("ONEM-2026-000123", True)
    none = find_ticket(_exchange(_example("request_employment_cbe_minimal.xml"), error="down"))
    assert none.value == "" and none.source == "none"


def test_no_response_and_several_messages(tmp_path: Path) -> None:
    request = _example("request_employment_cbe_minimal.xml")
    first = _exchange(request, error="connection refused to " + URL)
    second = _exchange(request, b"<html><body>Bad gateway<br></body></html>", status=502)
    folder = _write(tmp_path, _outcome(first, second))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01-request.xml", "02-request.xml", "02-response.txt", "README.txt"]
    readme = (folder / "README.txt").read_text()
    assert "no response: connection refused" in readme and "Message 2:" in readme


def test_masking_and_reference_environment_note(tmp_path: Path) -> None:
    request = _example("request_employment_cbe_full.xml")
    outcome = _outcome(_exchange(request, _example("response_employment_cards_only.xml")))
    folder = write_bundle(
        tmp_path,
        outcome,
        environment_name="reference",
        endpoint=URL,
        client_organisation="",
        masker=Masker(),
    )
    for file in folder.iterdir():
        assert b"85073003328" not in file.read_bytes(), file.name
    assert "Do not send this bundle" in (folder / "README.txt").read_text()


def test_case_ids_become_safe_folder_names() -> None:
    assert bundle_dir_name("employment/unknown niss[seed=1]") == "employment_unknown_niss_seed_1"
    assert bundle_dir_name("../..") == "case"
