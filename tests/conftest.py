"""Hypothesis profiles: a fast default (small max_examples, no deadline, since closed forms
and Monte Carlo calls vary in time) and ``slow`` for nightly runs, selected with
HYPOTHESIS_PROFILE=slow."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# the suite compiles every program itself (a persistent cache would hide compile bugs and
# write into the user's cache directory); see align_theory/montecarlo/config.py
os.environ.setdefault("ALIGN_THEORY_JAX_CACHE", "off")
# the engine's tests exercise JAX whatever the trial count: backend="auto" sends every run
# to JAX here; the numpy backend's tests ask for it by name (tests/test_montecarlo_backend.py)
os.environ.setdefault("ALIGN_THEORY_NUMPY_MAX_TRIALS", "0")

settings.register_profile(
    "default",
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "slow",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
