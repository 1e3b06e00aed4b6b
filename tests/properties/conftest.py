"""Hypothesis settings profiles for the property tests.

``quick`` (the default) keeps a local run and CI fast; choose another profile
with the ``HYPOTHESIS_PROFILE`` environment variable::

    HYPOTHESIS_PROFILE=thorough pytest tests/properties

Deadlines are off: an example's time depends on the graph and plan drawn and on
the machine, not on a regression.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
