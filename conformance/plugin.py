"""The pytest plugin (registered through the ``pytest11`` entry point). Kept thin."""

from __future__ import annotations

from conformance import hypothesis_profiles

hypothesis_profiles.register()
