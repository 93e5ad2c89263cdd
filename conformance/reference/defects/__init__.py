"""Deliberate deviations from the TSS, one at a time, to prove the harness catches each.

The catalogue is split by what a defect bends: the status code answered (``status_codes``),
what an answer says (``answers``), HTTP and TLS (``http_and_tls``), and the choices the TSS
permits (``decisions``); ``defect`` holds the :class:`Defect` type and its builders. The
application never asks which defect is active. Inject with ``start_in_thread(defect=NAME)`` or
``conformance serve --defect NAME``; list with ``conformance serve --list-defects``.
"""

from __future__ import annotations

from conformance.reference.defects import answers, decisions, http_and_tls, status_codes
from conformance.reference.defects.defect import Defect
from conformance.reference.policy import FAITHFUL, Policy

__all__ = ["DEFECTS", "Defect", "policy_for"]

DEFECTS: dict[str, Defect] = {
    d.name: d
    for d in (*status_codes.DEFECTS, *answers.DEFECTS, *http_and_tls.DEFECTS, *decisions.DEFECTS)
}


def policy_for(name: str) -> Policy:
    """The faithful policy with defect ``name`` applied. Raises KeyError naming the choices."""
    try:
        defect = DEFECTS[name]
    except KeyError:
        raise KeyError(f"unknown defect {name!r}; known: {', '.join(DEFECTS)}") from None
    return defect.apply(FAITHFUL)
