"""The embedded reference ForeignerSituationService: a faithful TSS implementation to test against."""
