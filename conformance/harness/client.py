"""Building requests: typed ones through zeep, crafted ones byte for byte.

:class:`RequestFactory` is built once per session: it loads the contract and one offline zeep
client on the same WSDL (document/literal SOAP 1.1, soapAction per operation: docs/contract.md).
Typed requests go through ``zeep.Client.create_message`` so they follow the WSDL the user gave;
crafted ones (the binding errors of decision binding-errors: MSG00004, MSG00051-53) start from a
valid typed request and break exactly one thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import zeep
from lxml import etree

from conformance.contract import EMPLOYMENT_INFOS, NS_SOAP11, NS_SOAP12, Contract, Operation
from conformance.exchange import OutgoingRequest
from conformance.harness.environment import ClientProfile, Environment

TEXT_XML = "text/xml; charset=utf-8"
SOAP12_CONTENT_TYPE = "application/soap+xml; charset=utf-8"


class RequestBuildError(ValueError):
    """A typed request cannot be built (unknown operation, bad argument)."""


class RequestFactory:
    """Builds :class:`OutgoingRequest` s for one environment. Create once per session."""

    def __init__(self, environment: Environment, contract: Contract | None = None) -> None:
        self.environment = environment
        self.contract = contract or environment.contract()
        # Offline: the WSDL imports local XSDs only; zeep never touches the network here.
        self._zeep = zeep.Client(str(self.contract.wsdl_path))
        self._service = self._zeep.service

    def build(
        self,
        operation: str,
        client: ClientProfile,
        ssin: str,
        data_groups: Mapping[str, bool] | None = None,
        *,
        legal_context: str | None = None,
        ticket: str | None = None,
        timestamp_sent: str | None = None,
        information_cbss: Mapping[str, str] | None = None,
    ) -> OutgoingRequest:
        """A valid request of ``operation`` (TSS 5.2.1 / 5.3.1) as ``client`` about ``ssin``.

        ``data_groups`` is required for consultEmploymentInfos (``{"employmentCards": bool,
        "workPermits": bool}``) and refused for consultSpecialInfos. ``legal_context`` overrides
        the client profile's. ``information_cbss`` (``ticketCBSS``, ``timestampReceive``,
        ``timestampReply``) is optional in a request.
        """
        op = self._operation(operation)
        customer: dict[str, Any] = {"customerIdentification": dict(client.customer_identification)}
        if ticket is not None:
            customer["ticket"] = ticket
        if timestamp_sent is not None:
            customer["timestampSent"] = timestamp_sent
        criteria: dict[str, Any] = {"ssin": ssin}
        if operation == EMPLOYMENT_INFOS:
            if data_groups is None:
                raise RequestBuildError("consultEmploymentInfos needs data_groups")
            criteria["dataGroups"] = {
                "employmentCards": bool(data_groups.get("employmentCards", False)),
                "workPermits": bool(data_groups.get("workPermits", False)),
            }
        elif data_groups is not None:
            raise RequestBuildError(f"{operation} takes no data_groups")
        kwargs: dict[str, Any] = {
            "informationCustomer": customer,
            "legalContext": legal_context if legal_context is not None else client.legal_context,
            "criteria": criteria,
        }
        if information_cbss is not None:
            kwargs["informationCBSS"] = dict(information_cbss)
        try:
            envelope = self._zeep.create_message(self._service, operation, **kwargs)
        except (TypeError, ValueError, zeep.exceptions.Error) as exc:
            raise RequestBuildError(f"{operation}: cannot build the request: {exc}") from None
        body = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
        return OutgoingRequest(
            url=self.environment.endpoint,
            body=body,
            headers={"Content-Type": TEXT_XML, "SOAPAction": f'"{op.soap_action}"'},
            operation=operation,
        )

    def raw(
        self,
        body: bytes,
        *,
        soap_action: str | None,
        content_type: str = TEXT_XML,
        path: str | None = None,
        method: str = "POST",
        operation: str | None = None,
    ) -> OutgoingRequest:
        """A crafted message sent as is. ``soap_action`` None sends no SOAPAction header;
        ``path`` replaces the URL path of the environment's endpoint."""
        headers = {"Content-Type": content_type}
        if soap_action is not None:
            headers["SOAPAction"] = f'"{soap_action}"'
        url = (
            self.environment.endpoint
            if path is None
            else _with_path(self.environment.endpoint, path)
        )
        return OutgoingRequest(
            url=url, body=body, headers=headers, method=method, operation=operation
        )

    # ---- crafted binding errors (decision binding-errors) ------------------------------------

    def soap12(self, request: OutgoingRequest) -> OutgoingRequest:
        """The same payload in a SOAP 1.2 envelope with ``application/soap+xml`` (MSG00053)."""
        text = request.body.replace(NS_SOAP11.encode(), NS_SOAP12.encode())
        action = request.headers.get("SOAPAction", "").strip('"')
        return self.raw(
            text,
            soap_action=None,
            content_type=f'{SOAP12_CONTENT_TYPE}; action="{action}"',
            operation=request.operation,
        )

    def with_soap_action(
        self, request: OutgoingRequest, soap_action: str | None
    ) -> OutgoingRequest:
        """The same message with another SOAPAction, or none at all (MSG00051)."""
        return self.raw(request.body, soap_action=soap_action, operation=request.operation)

    def with_path(self, request: OutgoingRequest, path: str) -> OutgoingRequest:
        """The same message sent to another URL path (MSG00052)."""
        return self.raw(
            request.body,
            soap_action=request.headers.get("SOAPAction", "").strip('"') or None,
            path=path,
            operation=request.operation,
        )

    def malformed(self, request: OutgoingRequest) -> OutgoingRequest:
        """The message cut in the middle of the payload: not well-formed XML (MSG00004)."""
        return self._same_headers(request, request.body[: max(1, len(request.body) * 2 // 3)])

    def xsd_invalid(
        self, request: OutgoingRequest, element: str = "unexpectedElement"
    ) -> OutgoingRequest:
        """A well-formed message whose payload has an element the XSD does not allow (MSG00004)."""
        marker = b"<legalContext>"
        if marker not in request.body:
            raise RequestBuildError("xsd_invalid needs a typed request with a legalContext")
        extra = f"<{element}>x</{element}>".encode()
        return self._same_headers(request, request.body.replace(marker, extra + marker, 1))

    def no_data_groups(self, client: ClientProfile, ssin: str, **kwargs: Any) -> OutgoingRequest:
        """consultEmploymentInfos asking for no group (MSG00004: decision both-groups-false)."""
        groups = {"employmentCards": False, "workPermits": False}
        return self.build(EMPLOYMENT_INFOS, client, ssin, groups, **kwargs)

    def _same_headers(self, request: OutgoingRequest, body: bytes) -> OutgoingRequest:
        return OutgoingRequest(
            url=request.url,
            body=body,
            headers=dict(request.headers),
            method=request.method,
            operation=request.operation,
        )

    def _operation(self, name: str) -> Operation:
        try:
            return self.contract.operations[name]
        except KeyError:
            known = ", ".join(sorted(self.contract.operations))
            raise RequestBuildError(f"unknown operation {name!r} (contract has: {known})") from None


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme, parts.netloc, path if path.startswith("/") else "/" + path, "", "")
    )
