"""The machine-readable contract: our XSDs and WSDL, or a user's official copies.

Everything downstream asks this module for namespaces, operations, soapActions and schema
validation, so a user who passes the official files gets verdicts against those, not ours.
Validation on the hot path uses ``lxml.etree.XMLSchema``; ``xmlschema`` is used only to
explain a failure with readable element paths (it is about 45x slower).
"""

from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from lxml import etree

from conformance import paths

if TYPE_CHECKING:
    import xmlschema
    from elementpath.protocols import ElementProtocol

NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_NS_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_NS_WSDL_SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"

MAX_ERRORS = 20  # schema errors kept per validation
DEFAULT_PAYLOAD_XSD = "ForeignerSituationV1.xsd"
# Parses only what this program wrote (a schema-checking parser was slower than this parse
# followed by a validation).
_OWN_OUTPUT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

# The two operations the TSS defines, by the shipped WSDL's names; only code that treats one of
# them specially names it, through these (tests/test_contract.py checks them against the WSDL).
# Every list of operations comes from :func:`operation_names`.
EMPLOYMENT_INFOS = "consultEmploymentInfos"
SPECIAL_INFOS = "consultSpecialInfos"
# When a fault's operation cannot be told from the body or the SOAPAction, its detail element
# is this operation's (docs/decisions.md).
DEFAULT_FAULT_OPERATION = EMPLOYMENT_INFOS


class ContractError(Exception):
    """A contract file is missing or broken. The message names the file and the problem."""


@dataclass(frozen=True)
class Operation:
    name: str
    soap_action: str
    request: str  # local names of the global payload elements
    response: str
    fault: str


@dataclass
class Contract:
    """A loaded contract. Build it once per session: loading costs tens of milliseconds."""

    xsd_path: Path
    wsdl_path: Path
    namespace: str
    operations: dict[str, Operation]
    endpoint_address: str | None
    _schema: etree.XMLSchema = field(repr=False)
    # lxml keeps one error log per XMLSchema object, cleared by every validation: two threads
    # validating at once (the reference server's) would read each other's log, and an invalid
    # payload could come back with no error at all, i.e. as valid.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def operation_for_element(self, local_name: str) -> Operation | None:
        """The operation whose request, response or fault element is ``local_name``."""
        for op in self.operations.values():
            if local_name in (op.request, op.response, op.fault):
                return op
        return None

    def operation_for_action(self, soap_action: str) -> Operation | None:
        action = soap_action.strip().strip('"')
        for op in self.operations.values():
            if op.soap_action == action:
                return op
        return None

    def validate(self, element: etree._Element) -> list[str]:
        """Schema errors of a payload element (empty when valid). Fast: lxml only.

        lxml validates an element inside its envelope as the root of its own subtree, so the
        payload is validated in place, without a copy (tests/test_contract.py proves it).
        """
        with self._lock:
            if self._schema.validate(element):
                return []
            log = self._schema.error_log  # a copy, taken before another validation clears it
        # Bounded: a hostile document can hold one error per node; the first few tell enough.
        errors = [f"line {e.line}: {e.message}" for e in itertools.islice(log, MAX_ERRORS)]
        return errors or ["invalid (lxml gave no reason)"]

    def parse_valid(self, data: bytes) -> etree._Element | None:
        """Parse a payload this program serialised itself (the reference's answers) and
        validate it: what is checked is exactly what is sent. None when it is not valid. Not
        for bytes from the wire: those go to ``xmlsafe``."""
        try:
            element = etree.fromstring(data, parser=_OWN_OUTPUT)
        except etree.XMLSyntaxError:
            return None
        return element if self.is_valid(element) else None

    def is_valid(self, element: etree._Element) -> bool:
        with self._lock:  # it clears the shared error log too
            return bool(self._schema.validate(element))

    def explain(self, element: etree._Element) -> list[str]:
        """Readable errors with element paths, from ``xmlschema``. Slow: use on failures only."""
        schema = _xmlschema_for(str(self.xsd_path))
        # xmlschema reads lxml elements (a documented use); types-lxml's _Element simply does not
        # declare elementpath's ElementProtocol.
        source = cast("ElementProtocol", element)
        return [
            f"{err.path or '/'}: {err.reason or err.message}" for err in schema.iter_errors(source)
        ]

    @property
    def element_names(self) -> set[str]:
        return {n for op in self.operations.values() for n in (op.request, op.response, op.fault)}


@functools.lru_cache(maxsize=4)
def _xmlschema_for(xsd_path: str) -> xmlschema.XMLSchema:
    import xmlschema  # lazily: only needed to explain a failure

    return xmlschema.XMLSchema(xsd_path)


def _parse_file(path: Path, what: str) -> etree._ElementTree:
    if path.is_dir():
        raise ContractError(f"{what} {path}: is a folder, not a file")
    if not path.is_file():
        raise ContractError(f"{what} {path}: no such file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise ContractError(f"{what} {path}: not well-formed XML: {exc.msg}") from None
    except OSError as exc:
        raise ContractError(f"{what} {path}: cannot be read: {exc}") from None


def _compile_schema(xsd_path: Path) -> tuple[etree.XMLSchema, str]:
    tree = _parse_file(xsd_path, "XSD")
    namespace = tree.getroot().get("targetNamespace")
    if not namespace:
        raise ContractError(f"XSD {xsd_path}: has no targetNamespace")
    try:
        return etree.XMLSchema(tree), namespace
    except etree.XMLSchemaParseError as exc:
        raise ContractError(f"XSD {xsd_path}: not a usable schema: {exc}") from None


def _read_wsdl(wsdl_path: Path, namespace: str) -> tuple[dict[str, Operation], str | None]:
    root = _parse_file(wsdl_path, "WSDL").getroot()
    ns = {"w": _NS_WSDL, "s": _NS_WSDL_SOAP11}
    messages = {}
    message_ns = {}
    for msg in root.iterfind("w:message", ns):
        part = msg.find("w:part", ns)
        if part is not None and part.get("element"):
            prefix, _, local = part.get("element", "").rpartition(":")
            messages[msg.get("name")] = local
            message_ns[msg.get("name")] = part.nsmap.get(prefix or None)
    operations = {}
    for op in root.iterfind("w:binding/w:operation", ns):
        name = op.get("name", "")
        action = op.find("s:operation", ns)
        port_op = root.find(f"w:portType/w:operation[@name='{name}']", ns)
        if action is None or port_op is None:
            raise ContractError(f"WSDL {wsdl_path}: operation {name!r} has no SOAP 1.1 binding")

        def element_of(kind: str, port_op: etree._Element = port_op, name: str = name) -> str:
            node = port_op.find(f"w:{kind}", ns)
            msg_name = (node.get("message") or "").split(":")[-1] if node is not None else ""
            if msg_name not in messages:
                raise ContractError(f"WSDL {wsdl_path}: operation {name!r} has no {kind} message")
            # A WSDL paired with another XSD (e.g. a v2 WSDL with our v1 XSD) would fail every
            # message with a baffling error. Faults are not checked: an official WSDL may take
            # its fault element from an imported (common) namespace.
            if kind != "fault" and message_ns[msg_name] != namespace:
                raise ContractError(
                    f"WSDL {wsdl_path}: operation {name!r} {kind} is in namespace "
                    f"{message_ns[msg_name]!r}, not the XSD's targetNamespace {namespace!r}"
                )
            return messages[msg_name]

        operations[name] = Operation(
            name=name,
            soap_action=action.get("soapAction", ""),
            request=element_of("input"),
            response=element_of("output"),
            fault=element_of("fault"),
        )
    if not operations:
        raise ContractError(f"WSDL {wsdl_path}: declares no SOAP 1.1 operations")
    address = root.find("w:service/w:port/s:address", ns)
    return operations, (address.get("location") if address is not None else None)


def load_contract(xsd: Path | str | None = None, wsdl: Path | str | None = None) -> Contract:
    """Load the payload XSD and the WSDL; defaults are the shipped ones. Cached per paths."""
    xsd_path = Path(xsd) if xsd else paths.xsd_dir() / DEFAULT_PAYLOAD_XSD
    wsdl_path = Path(wsdl) if wsdl else paths.default_wsdl()
    return _load(xsd_path.resolve(), wsdl_path.resolve())


@functools.lru_cache(maxsize=8)
def _load(xsd_path: Path, wsdl_path: Path) -> Contract:
    schema, namespace = _compile_schema(xsd_path)
    operations, address = _read_wsdl(wsdl_path, namespace)
    return Contract(
        xsd_path=xsd_path,
        wsdl_path=wsdl_path,
        namespace=namespace,
        operations=operations,
        endpoint_address=address,
        _schema=schema,
    )


def operation_names() -> tuple[str, ...]:
    """The shipped WSDL's operation names, in binding order: the one list of operations."""
    return tuple(load_contract().operations)
