"""Hypothesis profiles: ``ci`` (fast, the default), ``nightly`` (at least 10,000 examples) and
``selfcheck`` (the ci profile without shrinking).

Two users, kept apart (docs/architecture.md, "The plugin is opt-in"):

- the generated cases (``given:``) of a conformance run take their settings from
  :func:`for_cases`, per item: the global Hypothesis settings of the process are never changed,
  so other tests in the same run keep theirs;
- this project's own test suite calls :func:`register` (``tests/conftest.py``), which registers
  the profiles and loads the one ``HYPOTHESIS_PROFILE`` names.

Select one with the ``HYPOTHESIS_PROFILE`` environment variable or ``--hypothesis-profile=NAME``
(Hypothesis's own pytest option).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

CI = "ci"
NIGHTLY = "nightly"
# ``conformance selfcheck``: the ci profile without shrinking. A kill needs a failing example,
# not the smallest one, and shrinking ~50 failing properties dominated the self-check's time.
SELFCHECK = "selfcheck"
ENV_VAR = "HYPOTHESIS_PROFILE"

PROFILES: dict[str, dict[str, Any]] = {
    CI: {"max_examples": 50, "deadline": None, "derandomize": False},
    NIGHTLY: {
        "max_examples": 10_000,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow],
    },
    SELFCHECK: {
        "max_examples": 50,
        "deadline": None,
        "derandomize": False,
        "phases": [Phase.explicit, Phase.reuse, Phase.generate],
    },
}


def for_cases(name: str | None) -> settings:
    """The settings of the generated cases under our profile ``name`` (None: ``ci``).

    Built on Hypothesis's own defaults, not on the process's current default, so a profile
    another project loaded does not leak into our cases either."""
    if name is None:
        name = CI
    if name not in PROFILES:
        raise ValueError(_unknown(name))
    return settings(settings.get_profile("default"), **PROFILES[name])


def is_ours(name: str) -> bool:
    return name in PROFILES


def register_missing() -> None:
    """Register those of our profiles that no one registered yet, so Hypothesis's own
    ``--hypothesis-profile=nightly`` finds its name in a conformance run. Replaces nothing and
    loads nothing."""
    for name, values in PROFILES.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, **values)


def register() -> None:
    """Register every profile and load the one ``HYPOTHESIS_PROFILE`` names (default ``ci``).

    For this project's own test suite only: it changes the process's Hypothesis default."""
    for name, values in PROFILES.items():
        settings.register_profile(name, **values)
    name = os.environ.get(ENV_VAR, CI)
    try:
        settings.get_profile(name)
    except InvalidArgument:  # Hypothesis's own error is a traceback out of a conftest import
        raise ValueError(_unknown(name)) from None
    settings.load_profile(name)


def _unknown(name: str) -> str:
    return f"{ENV_VAR}={name!r}: no such Hypothesis profile (ours: {', '.join(PROFILES)})"
