"""Hypothesis profiles: ``ci`` (fast, the default) and ``nightly`` (at least 10,000 examples).

Select one with ``--hypothesis-profile=nightly`` (Hypothesis's own pytest option) or the
``HYPOTHESIS_PROFILE`` environment variable.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI = "ci"
NIGHTLY = "nightly"


def register() -> None:
    settings.register_profile(CI, max_examples=50, deadline=None, derandomize=False)
    settings.register_profile(
        NIGHTLY,
        max_examples=10_000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", CI))
