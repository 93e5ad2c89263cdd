"""The embedded reference ForeignerSituationService: a faithful TSS implementation."""
