"""Hypothesis profiles: ``ci`` (fast, the default) and ``nightly`` (at least 10,000 examples).

Select one with ``--hypothesis-profile=nightly`` (Hypothesis's own pytest option) or the
``HYPOTHESIS_PROFILE`` environment variable.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

CI = "ci"
NIGHTLY = "nightly"
# ``conformance selfcheck``: the ci profile without shrinking. A kill needs a failing example,
# not the smallest one, and shrinking ~50 failing properties dominated the self-check's time.
SELFCHECK = "selfcheck"


def register() -> None:
    settings.register_profile(CI, max_examples=50, deadline=None, derandomize=False)
    settings.register_profile(
        NIGHTLY,
        max_examples=10_000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        SELFCHECK,
        max_examples=50,
        deadline=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    name = os.environ.get("HYPOTHESIS_PROFILE", CI)
    try:
        settings.get_profile(name)
    except InvalidArgument:  # Hypothesis's own error is a traceback out of the plugin import
        raise ValueError(
            f"HYPOTHESIS_PROFILE={name!r}: no such Hypothesis profile "
            f"(ours: {CI}, {NIGHTLY}, {SELFCHECK})"
        ) from None
    settings.load_profile(name)
