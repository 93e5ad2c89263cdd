"""Contract-test and conformance harness for BCSS ForeignerSituationService v1."""

__version__ = "0.1.0"
