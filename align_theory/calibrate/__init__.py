"""Calibration: fit model B (extended with continuous scores) to a pool, predict held out.

* :mod:`~align_theory.calibrate.model` — :class:`ScoreLaw`, :class:`ExtendedModel` and its
  synthetic-pool sampler;
* :mod:`~align_theory.calibrate.fit` — maximum-likelihood fits (:func:`fit_model`);
* :mod:`~align_theory.calibrate.calibration` — k-fold held-out predictions, pilots and the
  parametric band: every parameter refitted on question-bootstrap resamples
  (:func:`calibrate`, :func:`bootstrap_fits`);
* :mod:`~align_theory.calibrate.report` — ``align llm calibrate RUN``'s table and figure.

The model is documented in docs/model.md ("Calibrating the model to a recorded pool"); the
stored run's calibration in docs/empirical.md ("Calibration").
"""

from __future__ import annotations

from align_theory.calibrate.calibration import (
    Calibration,
    Cell,
    Observed,
    bootstrap_fits,
    calibrate,
    calibration_cells,
    kfold,
    observed_from_pool,
    observed_from_results,
    predict,
)
from align_theory.calibrate.fit import ModelFit, fit_model
from align_theory.calibrate.model import ExtendedModel, ScoreLaw

__all__ = [
    "Calibration",
    "Cell",
    "ExtendedModel",
    "ModelFit",
    "Observed",
    "ScoreLaw",
    "bootstrap_fits",
    "calibrate",
    "calibration_cells",
    "fit_model",
    "kfold",
    "observed_from_pool",
    "observed_from_results",
    "predict",
]
