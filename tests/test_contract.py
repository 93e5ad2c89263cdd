"""The contract (xsd/, wsdl/) proven with example messages, zeep, lxml and xmlschema.

Every file in ``xsd/examples/valid/`` must validate and every file in ``xsd/examples/invalid/``
must be refused, by both lxml and xmlschema, so the two schema engines cannot silently disagree.
Invalid files name, in their top comment, the token the refusal must mention: a file refused for
an unintended reason (a typo elsewhere) would otherwise pass unnoticed.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
import xmlschema
import zeep
from lxml import etree
from zeep.exceptions import Fault as ZeepFault
from zeep.transports import Transport

from conformance import contract as contract_module
from conformance import paths, soap, tables
from conformance.contract import NS_SOAP11, Contract, ContractError, load_contract
from conformance.xmlsafe import parse_untrusted

EXAMPLES = paths.xsd_dir() / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.xml"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.xml"))
NS_FS = "http://kszbcss.fgov.be/types/ForeignerSituation/v1"
_REFUSED_AT = re.compile(r"refused at: ([^)]+)\)")

# NOTES §2: the soapAction is http://kszbcss.fgov.be/ForeignerSituationService/<op>, no version.
EXPECTED_ACTIONS = {
    "consultEmploymentInfos": "http://kszbcss.fgov.be/ForeignerSituationService/consultEmploymentInfos",
    "consultSpecialInfos": "http://kszbcss.fgov.be/ForeignerSituationService/consultSpecialInfos",
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="module")
def xs_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(paths.xsd_dir() / "ForeignerSituationV1.xsd"))


def _payload(path: Path) -> etree._Element:
    """The Body's first child, or for a fault the element inside ``<detail>``."""
    env = soap.read(parse_untrusted(path.read_bytes()))
    assert env.version == "1.1", f"{path.name}: examples are SOAP 1.1 envelopes"
    if env.fault is not None:
        assert env.fault.detail is not None, f"{path.name}: fault without a <detail> element"
        return env.fault.detail
    assert env.payload is not None, f"{path.name}: empty Body"
    return env.payload


def _top_comment(path: Path) -> str:
    root = etree.parse(str(path)).getroot()
    comment = root.getprevious()
    assert isinstance(comment, etree._Comment), f"{path.name}: no XML comment before the root"
    return str(comment.text).strip()


def _xs_errors(schema: xmlschema.XMLSchema, element: etree._Element) -> list[str]:
    detached = etree.fromstring(etree.tostring(element))
    return [str(err.reason) for err in schema.iter_errors(detached)]


# ---------------------------------------------------------------- the schemas load


def test_lxml_and_xmlschema_load_the_schemas(
    contract: Contract, xs_schema: xmlschema.XMLSchema
) -> None:
    assert contract.namespace == NS_FS
    assert xs_schema.target_namespace == NS_FS
    names = {
        f"{base}{kind}"
        for base in ("consultEmploymentInfos", "consultSpecialInfos")
        for kind in ("Request", "Response", "Fault")
    }
    assert {etree.QName(q).localname for q in xs_schema.elements} == names
    assert contract.element_names == names


def test_examples_folders_are_not_empty() -> None:
    # Parametrizing over an empty folder would silently test nothing.
    assert len(VALID) >= 20 and len(INVALID) >= 10


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_example_validates_with_lxml_and_xmlschema(
    path: Path, contract: Contract, xs_schema: xmlschema.XMLSchema
) -> None:
    assert _top_comment(path), f"{path.name}: empty top comment"
    payload = _payload(path)
    assert contract.validate(payload) == []
    assert _xs_errors(xs_schema, payload) == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_is_refused_by_lxml_and_xmlschema(
    path: Path, contract: Contract, xs_schema: xmlschema.XMLSchema
) -> None:
    comment = _top_comment(path)
    match = _REFUSED_AT.search(comment)
    assert comment.startswith("INVALID") and match, f"{path.name}: comment must say why"
    payload = _payload(path)
    errors = contract.validate(payload)
    assert errors, "lxml accepted it"
    assert match.group(1) in errors[0], f"refused for another reason: {errors[0]}"
    assert _xs_errors(xs_schema, payload), "xmlschema accepted it"


def _faults() -> list[Path]:
    return [p for p in VALID if p.stem.startswith("fault_")]


@pytest.mark.parametrize("path", _faults(), ids=[p.stem for p in _faults()])
def test_fault_example_matches_tss_table_6_2(path: Path, contract: Contract) -> None:
    """faultcode Client/Server as TSS 6.2 says, and the detail element is an operation's fault."""
    fault = soap.read(parse_untrusted(path.read_bytes())).fault
    assert fault is not None and fault.detail is not None
    code = fault.detail.findtext("detail/reasonCode")
    row = tables.technical_codes()[str(code)]
    assert fault.faultcode_qname == etree.QName(NS_SOAP11, row.fault_kind)
    op = contract.operation_for_element(etree.QName(fault.detail).localname)
    assert op is not None and etree.QName(fault.detail).localname == op.fault


def test_every_technical_code_has_a_fault_example() -> None:
    shown = {p.stem.split("_")[1] for p in _faults()}
    assert shown == set(tables.technical_codes())


def _responses() -> list[Path]:
    return [p for p in VALID if p.stem.startswith("response_")]


@pytest.mark.parametrize("path", _responses(), ids=[p.stem for p in _responses()])
def test_response_example_status_matches_tss_table_6_1(path: Path) -> None:
    payload = _payload(path)
    code = payload.findtext("status/code")
    row = tables.business_codes()[str(code)]
    assert payload.findtext("status/value") == row.value
    # A result block only with DATA_FOUND (TSS 5.2.2, 5.3.2).
    assert (payload.find("result") is not None) == (row.value == "DATA_FOUND")


# ---------------------------------------------------------------- load_contract


def test_load_contract_returns_both_operations_with_notes_soap_actions(contract: Contract) -> None:
    assert {name: op.soap_action for name, op in contract.operations.items()} == EXPECTED_ACTIONS
    for name, op in contract.operations.items():
        assert (op.request, op.response, op.fault) == (
            f"{name}Request",
            f"{name}Response",
            f"{name}Fault",
        )
        assert contract.operation_for_action(f'"{op.soap_action}"') is op
    assert contract.endpoint_address is not None
    assert contract.endpoint_address.endswith(":4520/ForeignerSituationService/v1/consult")


def _copy_contract(tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of xsd/ and wsdl/ (same relative layout) that a test may break."""
    shutil.copytree(paths.xsd_dir(), tmp_path / "xsd", ignore=shutil.ignore_patterns("examples"))
    shutil.copytree(paths.wsdl_dir(), tmp_path / "wsdl")
    return tmp_path / "xsd" / "ForeignerSituationV1.xsd", tmp_path / "wsdl" / paths.DEFAULT_WSDL


def test_a_private_copy_of_the_contract_loads(tmp_path: Path) -> None:
    # The baseline for the tests below: only the one file they break makes loading fail.
    xsd, wsdl = _copy_contract(tmp_path)
    assert set(load_contract(xsd, wsdl).operations) == set(EXPECTED_ACTIONS)


def _assert_contract_error(xsd: Path, wsdl: Path, named: Path, problem: str) -> None:
    with pytest.raises(ContractError) as info:
        load_contract(xsd, wsdl)
    message = str(info.value)
    assert str(named.resolve()) in message and problem in message, message
    assert info.type is ContractError  # not an lxml exception leaking through


@pytest.mark.parametrize("which", ["xsd", "wsdl"])
def test_missing_file_raises_contract_error(tmp_path: Path, which: str) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    broken = xsd if which == "xsd" else wsdl
    broken.unlink()
    _assert_contract_error(xsd, wsdl, broken, "no such file")


@pytest.mark.parametrize("which", ["xsd", "wsdl"])
def test_folder_instead_of_a_file_raises_contract_error(tmp_path: Path, which: str) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    if which == "xsd":
        xsd = folder
    else:
        wsdl = folder
    _assert_contract_error(xsd, wsdl, folder, "is a folder, not a file")


@pytest.mark.parametrize("which", ["xsd", "wsdl"])
def test_non_xml_file_raises_contract_error(tmp_path: Path, which: str) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    broken = xsd if which == "xsd" else wsdl
    broken.write_text("this is { not XML", encoding="utf-8")
    _assert_contract_error(xsd, wsdl, broken, "not well-formed XML")


def test_xml_that_is_not_a_schema_raises_contract_error(tmp_path: Path) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    xsd.write_text('<notASchema targetNamespace="urn:x"><a/></notASchema>', encoding="utf-8")
    _assert_contract_error(xsd, wsdl, xsd, "not a usable schema")


def test_schema_without_target_namespace_raises_contract_error(tmp_path: Path) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    xsd.write_text('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>', encoding="utf-8")
    _assert_contract_error(xsd, wsdl, xsd, "no targetNamespace")


def test_schema_whose_import_is_missing_raises_contract_error(tmp_path: Path) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    (xsd.parent / "CommonV3.xsd").unlink()
    _assert_contract_error(xsd, wsdl, xsd, "not a usable schema")


def test_wsdl_without_operations_raises_contract_error(tmp_path: Path) -> None:
    xsd, wsdl = _copy_contract(tmp_path)
    wsdl.write_text(
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:x"/>',
        encoding="utf-8",
    )
    _assert_contract_error(xsd, wsdl, wsdl, "declares no SOAP 1.1 operations")


def test_wsdl_paired_with_another_namespace_raises_contract_error(tmp_path: Path) -> None:
    # E.g. a v2 WSDL passed with our v1 XSD: every message would fail validation otherwise.
    xsd, wsdl = _copy_contract(tmp_path)
    text = wsdl.read_text(encoding="utf-8")
    wsdl.write_text(text.replace(f'xmlns:fs="{NS_FS}"', f'xmlns:fs="{NS_FS[:-1]}2"'), "utf-8")
    _assert_contract_error(xsd, wsdl, wsdl, "not the XSD's targetNamespace")


def test_fault_element_from_an_imported_namespace_is_accepted(tmp_path: Path) -> None:
    # Only requests and responses must be in the XSD's namespace; an official WSDL may take its
    # fault element from the common types.
    xsd, wsdl = _copy_contract(tmp_path)
    common = "http://kszbcss.fgov.be/types/common/v3"
    text = wsdl.read_text(encoding="utf-8").replace(
        'element="fs:consultSpecialInfosFault"',
        f'xmlns:c="{common}" element="c:consultSpecialInfosFault"',
    )
    wsdl.write_text(text, encoding="utf-8")
    assert load_contract(xsd, wsdl).operations["consultSpecialInfos"].fault == (
        "consultSpecialInfosFault"
    )


# ---------------------------------------------------------------- zeep, offline


class _NoNetwork(requests.adapters.BaseAdapter):
    """Fails the test if zeep tries to fetch anything over HTTP(S)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.urls.append(str(request.url))
        raise AssertionError(f"zeep tried to fetch {request.url}")

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def zeep_offline() -> tuple[zeep.Client, _NoNetwork]:
    guard = _NoNetwork()
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE/proxies from the machine must not apply.
    session.mount("http://", guard)
    session.mount("https://", guard)
    client = zeep.Client(str(paths.default_wsdl()), transport=Transport(session=session))
    return client, guard


def test_zeep_loads_the_wsdl_offline(
    zeep_offline: tuple[zeep.Client, _NoNetwork], contract: Contract
) -> None:
    client, guard = zeep_offline
    assert guard.urls == []
    binding = next(iter(client.wsdl.bindings.values()))
    actions = {name: op.soapaction for name, op in binding._operations.items()}
    assert actions == {name: op.soap_action for name, op in contract.operations.items()}


_ZEEP_REQUESTS: dict[str, dict[str, Any]] = {
    "consultEmploymentInfos": {
        "informationCustomer": {
            "ticket": "ONEM-2026-000123",
            "customerIdentification": {"cbeNumber": "0206737484"},
        },
        "legalContext": "NEO:UNEMPLOYMENT",
        "criteria": {
            "ssin": "85073003328",
            "dataGroups": {"employmentCards": True, "workPermits": True},
        },
    },
    "consultSpecialInfos": {
        "informationCustomer": {"customerIdentification": {"sector": 18, "institution": 0}},
        "legalContext": "NEO:UNEMPLOYMENT",
        "criteria": {"ssin": "17073003384"},
    },
}


@pytest.mark.parametrize("operation", sorted(_ZEEP_REQUESTS))
def test_zeep_built_request_validates_against_the_xsd(
    zeep_offline: tuple[zeep.Client, _NoNetwork], contract: Contract, operation: str
) -> None:
    client, guard = zeep_offline
    message = client.create_message(client.service, operation, **_ZEEP_REQUESTS[operation])
    env = soap.read(parse_untrusted(etree.tostring(message)))
    assert env.version == "1.1" and env.payload is not None
    assert etree.QName(env.payload) == etree.QName(NS_FS, contract.operations[operation].request)
    assert contract.validate(env.payload) == []
    assert guard.urls == []


@pytest.mark.parametrize("path", _responses(), ids=[p.stem for p in _responses()])
def test_zeep_reads_every_valid_response_example(
    zeep_offline: tuple[zeep.Client, _NoNetwork], contract: Contract, path: Path
) -> None:
    """The typed client must be able to read what the contract calls valid."""
    client, _ = zeep_offline
    root = parse_untrusted(path.read_bytes())
    payload = _payload(path)
    op = contract.operation_for_element(etree.QName(payload).localname)
    assert op is not None
    binding = next(iter(client.wsdl.bindings.values()))
    reply = binding._operations[op.name].process_reply(root)
    assert reply.status.code == payload.findtext("status/code")
    assert reply.ssin == payload.findtext("ssin")
    assert (reply.result is None) == (payload.find("result") is None)


@pytest.mark.parametrize("path", _faults(), ids=[p.stem for p in _faults()])
def test_zeep_raises_every_valid_fault_example_as_a_fault(
    zeep_offline: tuple[zeep.Client, _NoNetwork], contract: Contract, path: Path
) -> None:
    client, _ = zeep_offline
    root = parse_untrusted(path.read_bytes())
    detail = _payload(path)
    op = contract.operation_for_element(etree.QName(detail).localname)
    assert op is not None
    binding: Any = next(iter(client.wsdl.bindings.values()))  # a Soap11Binding
    with pytest.raises(ZeepFault) as info:
        binding.process_error(root, binding._operations[op.name])
    assert info.value.code == root.findtext(".//faultcode")
    assert info.value.detail is not None
    assert info.value.detail.findtext(".//reasonCode") == detail.findtext("detail/reasonCode")


def test_a_payload_is_validated_in_place_inside_its_envelope(contract: Contract) -> None:
    # The prefix is declared on the Envelope, not on the payload: validating the payload where it
    # stands must still resolve it, and must judge the payload alone, not the envelope around it.
    envelope = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        b' xmlns:fs="http://kszbcss.fgov.be/types/ForeignerSituation/v1"><soapenv:Body>'
        b"<fs:consultSpecialInfosRequest><informationCustomer><customerIdentification>"
        b"<cbeNumber>0206737484</cbeNumber></customerIdentification></informationCustomer>"
        b"<legalContext>NEO:UNEMPLOYMENT</legalContext><criteria><ssin>85073003328</ssin>"
        b"</criteria>EXTRA</fs:consultSpecialInfosRequest></soapenv:Body></soapenv:Envelope>"
    )
    good = soap.read(parse_untrusted(envelope.replace(b"EXTRA", b""))).payload
    bad = soap.read(parse_untrusted(envelope.replace(b"EXTRA", b"<unknown/>"))).payload
    assert good is not None and bad is not None
    assert contract.validate(good) == [] and contract.is_valid(good)
    assert not contract.is_valid(bad)
    assert any("unknown" in error for error in contract.validate(bad))
    assert any("unknown" in error for error in contract.explain(bad))
    assert good.getparent() is not None  # still in its envelope: nothing was detached


def test_concurrent_validations_keep_their_own_errors(contract: Contract) -> None:
    # The reference server validates in many threads with one Contract. lxml's error log is one
    # per schema: unguarded, an invalid payload sometimes came back with no error, i.e. valid
    # (about 1 in 4,000 here). A race, so this test could pass by luck before the fix.
    valid = _payload(paths.xsd_dir() / "examples" / "valid" / "request_special_cbe_minimal.xml")
    invalid = etree.fromstring(etree.tostring(valid))
    legal = invalid.find("legalContext")
    assert legal is not None
    legal.text = "X" * 65  # over the XSD's 64 characters
    wrong: list[str] = []

    def validate(element: etree._Element, is_valid: bool) -> None:
        for _ in range(6000):
            errors = contract.validate(element)
            if (errors == []) != is_valid or (errors and "legalContext" not in errors[0]):
                wrong.append(f"{'valid' if is_valid else 'invalid'} payload got {errors[:1]}")

    threads = [
        threading.Thread(target=validate, args=(element, element is valid))
        for element in (invalid, valid, invalid, valid)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.parametrize("name", ["ForeignerSituationV1.xsd", "CommonV3.xsd"])
def test_every_element_carries_a_documentation_of_its_meaning(name: str) -> None:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(paths.xsd_dir() / name))
    undocumented = [
        f"{element.get('name')} (line {element.sourceline})"
        for element in tree.iter(f"{xs}element")
        if not (element.findtext(f"{xs}annotation/{xs}documentation") or "").strip()
    ]
    assert undocumented == []


def test_the_named_operations_are_the_wsdl_ones() -> None:
    # The one list of operations is the WSDL's; the names code uses must be among them.
    names = contract_module.operation_names()
    assert set(names) == {contract_module.EMPLOYMENT_INFOS, contract_module.SPECIAL_INFOS}
    assert contract_module.DEFAULT_FAULT_OPERATION in names
