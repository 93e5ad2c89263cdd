"""soap.py: wrap/read and fault_envelope/read round-trips, SOAP 1.2 detection, non-envelopes."""

from __future__ import annotations

import pytest
from lxml import etree

from conformance import paths, soap
from conformance.contract import NS_SOAP11, NS_SOAP12, load_contract
from conformance.xmlsafe import parse_untrusted

NS_FS = "http://kszbcss.fgov.be/types/ForeignerSituation/v1"
EXAMPLES = paths.xsd_dir() / "examples" / "valid"


def _c14n(element: etree._Element) -> bytes:
    # Exclusive C14N: a payload read out of an envelope inherits the envelope's namespace
    # declarations, which inclusive C14N would render although the payload never uses them.
    return etree.tostring(element, method="c14n", exclusive=True)


def _request() -> etree._Element:
    root = etree.Element(etree.QName(NS_FS, "consultSpecialInfosRequest"), nsmap={"fs": NS_FS})
    customer = etree.SubElement(root, "informationCustomer")
    ident = etree.SubElement(customer, "customerIdentification")
    etree.SubElement(ident, "cbeNumber").text = "0206737484"
    etree.SubElement(root, "legalContext").text = "NEO:UNEMPLOYMENT"
    etree.SubElement(etree.SubElement(root, "criteria"), "ssin").text = "85073003328"
    return root


def test_wrap_then_read_round_trips_the_payload() -> None:
    payload = _request()
    expected = _c14n(payload)
    data = soap.wrap(payload)
    assert data.startswith(b"<?xml")
    env = soap.read(parse_untrusted(data))
    assert env.version == "1.1" and env.fault is None
    assert env.payload is not None
    assert _c14n(env.payload) == expected
    # The wrapped payload is still what the contract accepts.
    assert load_contract().validate(env.payload) == []


def test_wrap_leaves_the_callers_tree_alone_and_drops_the_tail() -> None:
    holder = etree.Element("holder")
    payload = _request()
    holder.append(payload)
    payload.tail = "after"
    before = etree.tostring(holder)
    data = soap.wrap(payload)
    assert etree.tostring(holder) == before  # not moved out of the caller's tree
    env = soap.read(parse_untrusted(data))
    assert env.payload is not None and env.payload.tail is None
    assert b"after" not in data
    assert _c14n(env.payload) == _c14n(_request())


def test_wrap_keeps_non_ascii_text_as_utf8() -> None:
    payload = _request()
    payload.find("legalContext").text = "NEO:ÉTÉ €"  # type: ignore[union-attr]
    data = soap.wrap(payload)
    assert "NEO:ÉTÉ €".encode() in data
    env = soap.read(parse_untrusted(data))
    assert env.payload is not None and env.payload.findtext("legalContext") == "NEO:ÉTÉ €"


@pytest.mark.parametrize("kind", ["Client", "Server", "soapenv:Client", "soap:Server"])
def test_fault_envelope_then_read(kind: str) -> None:
    detail = etree.Element(etree.QName(NS_FS, "consultEmploymentInfosFault"), nsmap={"fs": NS_FS})
    etree.SubElement(detail, "marker").text = "kept"
    expected = _c14n(detail)
    data = soap.fault_envelope(kind, "Client error", detail)
    env = soap.read(parse_untrusted(data))
    assert env.version == "1.1" and env.fault is not None
    local = kind.split(":")[-1]
    assert env.fault.faultcode == f"soapenv:{local}"
    assert env.fault.faultcode_qname == etree.QName(NS_SOAP11, local)
    assert env.fault.faultstring == "Client error"
    assert env.fault.detail is not None and _c14n(env.fault.detail) == expected


def test_fault_envelope_without_detail() -> None:
    env = soap.read(parse_untrusted(soap.fault_envelope("Server", "Internal error", None)))
    assert env.fault is not None and env.fault.detail is None
    assert env.fault.faultcode_qname == etree.QName(NS_SOAP11, "Server")


def test_faultcode_prefix_is_resolved_not_trusted() -> None:
    # A peer may bind any prefix to the SOAP namespace, or bind "soapenv" to something else.
    data = (
        b'<e:Envelope xmlns:e="' + NS_SOAP11.encode() + b'" xmlns:soapenv="urn:other">'
        b"<e:Body><e:Fault><faultcode>soapenv:Client</faultcode><faultstring>x</faultstring>"
        b"</e:Fault></e:Body></e:Envelope>"
    )
    fault = soap.read(parse_untrusted(data)).fault
    assert fault is not None
    assert fault.faultcode == "soapenv:Client"
    assert fault.faultcode_qname == etree.QName("urn:other", "Client")


def test_faultcode_prefix_declared_on_the_faultcode_element_is_resolved() -> None:
    data = (
        b'<e:Envelope xmlns:e="' + NS_SOAP11.encode() + b'"><e:Body><e:Fault>'
        b'<faultcode xmlns:s="' + NS_SOAP11.encode() + b'">s:Server</faultcode>'
        b"<faultstring>x</faultstring></e:Fault></e:Body></e:Envelope>"
    )
    fault = soap.read(parse_untrusted(data)).fault
    assert fault is not None
    assert fault.faultcode_qname == etree.QName(NS_SOAP11, "Server")


def test_faultcode_with_an_undeclared_prefix_has_no_qname() -> None:
    data = (
        b'<e:Envelope xmlns:e="' + NS_SOAP11.encode() + b'"><e:Body><e:Fault>'
        b"<faultcode>nope:Client</faultcode><faultstring>x</faultstring>"
        b"</e:Fault></e:Body></e:Envelope>"
    )
    fault = soap.read(parse_untrusted(data)).fault
    assert fault is not None and fault.faultcode == "nope:Client"
    assert fault.faultcode_qname is None


def test_reads_a_shipped_fault_example() -> None:
    path = EXAMPLES / "fault_MSG00002_server_supplier.xml"
    fault = soap.read(parse_untrusted(path.read_bytes())).fault
    assert fault is not None and fault.detail is not None
    assert fault.faultcode_qname == etree.QName(NS_SOAP11, "Server")
    assert fault.detail.findtext("detail/reasonCode") == "MSG00002"


def test_soap_12_envelope_is_detected_as_version_1_2() -> None:
    data = (
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        b'<fs:consultSpecialInfosRequest xmlns:fs="' + NS_FS.encode() + b'"/>'
        b"</env:Body></env:Envelope>"
    )
    env = soap.read(parse_untrusted(data))
    assert env.version == "1.2"
    assert env.payload is not None
    assert etree.QName(env.payload) == etree.QName(NS_FS, "consultSpecialInfosRequest")


def test_soap_12_fault_is_seen_as_a_payload_not_a_11_fault() -> None:
    data = (
        b'<env:Envelope xmlns:env="' + NS_SOAP12.encode() + b'"><env:Body><env:Fault>'
        b"<env:Code><env:Value>env:Sender</env:Value></env:Code></env:Fault></env:Body></env:Envelope>"
    )
    env = soap.read(parse_untrusted(data))
    assert env.version == "1.2" and env.fault is None
    assert env.payload is not None and etree.QName(env.payload).localname == "Fault"


def test_empty_body_reads_as_no_payload() -> None:
    data = b'<s:Envelope xmlns:s="' + NS_SOAP11.encode() + b'"><s:Header/><s:Body/></s:Envelope>'
    env = soap.read(parse_untrusted(data))
    assert (env.version, env.payload, env.fault) == ("1.1", None, None)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"<html><body>502</body></html>", "not a SOAP Envelope", id="html"),
        pytest.param(
            b'<Envelope xmlns="urn:not-soap"><Body/></Envelope>',
            "not a SOAP Envelope",
            id="wrong-namespace",
        ),
        pytest.param(
            b'<fs:consultSpecialInfosRequest xmlns:fs="' + NS_FS.encode() + b'"/>',
            "not a SOAP Envelope",
            id="bare-payload",
        ),
        pytest.param(
            b'<s:Envelope xmlns:s="' + NS_SOAP11.encode() + b'"><s:Header/></s:Envelope>',
            "no Body",
            id="no-body",
        ),
    ],
)
def test_non_envelope_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(soap.NotSoapError) as info:
        soap.read(parse_untrusted(data))
    assert reason in info.value.reason
