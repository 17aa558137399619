"""Calibration: the fits recover known parameters, predictions from a known model match its
closed forms, the folds partition the questions, and bad input is refused by name."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align_theory import (
    Align,
    BernoulliModel,
    EmpiricalPool,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    expected_utility,
)
from align_theory.calibrate import (
    Cell,
    ExtendedModel,
    ScoreLaw,
    calibrate,
    calibration_cells,
    fit_model,
    kfold,
    observed_from_results,
    predict,
)
from align_theory.calibrate.calibration import bootstrap_fits, subset
from align_theory.calibrate.fit import (
    fit_difficulty,
    fit_score_law,
    fit_wrong_answers,
    transform_scores,
)
from align_theory.calibrate.report import calibrate_run, to_json

RNG = np.random.default_rng


# ------------------------------------------------------------------ parameter recovery


@pytest.mark.parametrize(
    "a, b, c",
    [(0.5, 2.0, None), (2.0, 2.0, None), (1.0, 3.0, 4.0), (0.4, 1.5, 10.0)],
    ids=["skewed", "symmetric", "diverse-4", "diverse-10"],
)
def test_difficulty_and_diversity_are_recovered(a: float, b: float, c: float | None) -> None:
    """Tolerances: mean a/(a+b) within 0.02, icc 1/(a+b+1) within 0.04, log c within 0.5
    (about 3 standard errors at 3,000 questions × 4 × 4)."""
    d = BernoulliModel(a, b, diversity=c).sample(RNG(7), 4, 4, trials=3000)
    fit = fit_difficulty(d.correct, diversity=True)
    fa, fb, fc = fit.params["a"], fit.params["b"], fit.params["diversity"]
    assert abs(fa / (fa + fb) - a / (a + b)) < 0.02
    assert abs(1 / (fa + fb + 1) - 1 / (a + b + 1)) < 0.04
    if c is None:
        assert math.isnan(fc) or fc > 30.0  # no diversity: c at the bound or large
    else:
        assert abs(math.log(fc) - math.log(c)) < 0.5
        se = math.sqrt(fit.covariance[2, 2])
        assert abs(math.log(fc) - math.log(c)) < 4 * se + 0.05


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mean=st.floats(0.15, 0.85),
    icc=st.floats(0.1, 0.5),
    seed=st.integers(0, 2**16),
)
def test_beta_difficulty_is_recovered_over_random_parameters(
    mean: float, icc: float, seed: int
) -> None:
    """Without diversity, 2,000 questions of 4 × 4: mean within 0.03, icc within 0.05."""
    d = BernoulliModel.from_mean_icc(mean, icc).sample(RNG(seed), 4, 4, trials=2000)
    fit = fit_difficulty(d.correct, diversity=False)
    fa, fb = fit.params["a"], fit.params["b"]
    assert abs(fa / (fa + fb) - mean) < 0.03
    assert abs(1 / (fa + fb + 1) - icc) < 0.05


@pytest.mark.parametrize("m, alpha", [(3, 0.5), (6, 2.0)], ids=["m3", "m6"])
def test_wrong_answer_law_is_recovered(m: int, alpha: float) -> None:
    mdl = BernoulliModel(1.0, 3.0, wrong_answers=m, wrong_concentration=alpha)
    d = mdl.sample(RNG(3), 4, 4, trials=3000)
    fit = fit_wrong_answers(d.correct, d.answer)
    assert int(fit.params["wrong_answers"]) == m
    assert abs(math.log(fit.params["wrong_concentration"]) - math.log(alpha)) < 0.25


def test_score_law_is_recovered_from_its_own_sampler() -> None:
    law = ScoreLaw(-1.0, 0.5, 0.8, 0.4, 0.6)
    correct = RNG(0).random((4000, 2, 2)) < 0.3
    fit = fit_score_law(law.sample(RNG(1), correct), correct, "logit")
    p = fit.params
    for name, want in [
        ("mean_wrong", -1.0),
        ("mean_correct", 0.5),
        ("sd_wrong", 0.8),
        ("sd_correct", 0.4),
        ("question_sd", 0.6),
    ]:
        assert abs(p[name] - want) < 0.06, name


def test_fit_model_recovers_an_extended_model() -> None:
    truth = ExtendedModel(
        BernoulliModel(0.8, 2.0, diversity=5.0, wrong_answers=5, wrong_concentration=0.5),
        ScoreLaw(-0.6, -0.2, 0.5, 0.3, 0.2),
        ScoreLaw(-0.2, -0.1, 0.06, 0.05, 0.04),
        "vote",
    )
    fit = fit_model(truth.sample_pool(RNG(2), 2000, 4, 4))
    assert fit.model.agent_score == "vote"
    v = fit.model.verdicts
    assert abs(v.mean - truth.verdicts.mean) < 0.02
    assert v.wrong_answers == 5
    assert abs(fit.model.principal.auc - truth.principal.auc) < 0.02
    assert abs(fit.model.agent.auc - truth.agent.auc) < 0.03


# ------------------------------------------------------------------ predictions vs closed forms


def _law(separation: float) -> ScoreLaw:
    return ScoreLaw(0.0, separation, 1.0, 1.0, 0.3)


@pytest.mark.parametrize(
    "verdicts, judge, cell, protocol, reference",
    [
        (
            BernoulliModel(1.0, 2.0, diversity=3.0),
            _law(0.0),
            Cell("Oracle", "references", 2, 2),
            Oracle(4, agents=2),
            None,
        ),
        (
            BernoulliModel(1.0, 2.0, diversity=3.0),
            _law(0.0),
            Cell("RandomPick", "baselines", 2, 2),
            RandomPick(4, agents=2),
            None,
        ),
        (
            BernoulliModel(0.7, 1.2),
            _law(0.0),
            Cell("MajorityVote", "baselines", 1, 3),
            MajorityVote(3),
            None,
        ),
        (
            BernoulliModel(0.7, 1.2),
            _law(40.0),
            Cell("PrincipalBestOfN", "baselines", 2, 2),
            PrincipalBestOfN(4),
            BernoulliModel(0.7, 1.2),  # a perfectly separating judge is the exact verifier
        ),
        (
            BernoulliModel(0.7, 1.2),
            _law(0.0),
            Cell("Align-judge", "ALIGN (all agents)", 4, 1),
            Align(4, 1, "judge"),
            BernoulliModel(0.7, 1.2, principal_tpr=0.5, principal_fpr=0.5),  # a blind judge
        ),
        (
            BernoulliModel(0.7, 1.2),
            _law(40.0),
            Cell("Align-judge", "ALIGN (all agents)", 4, 1),
            Align(4, 1, "judge"),
            BernoulliModel(0.7, 1.2),
        ),
    ],
    ids=[
        "oracle-diverse",
        "random-diverse",
        "vote-binary",
        "bestofn-exact",
        "align-blind",
        "align-exact",
    ],
)
def test_prediction_matches_the_closed_form(
    verdicts: BernoulliModel,
    judge: ScoreLaw,
    cell: Cell,
    protocol: object,
    reference: BernoulliModel | None,
) -> None:
    model = ExtendedModel(verdicts, judge, _law(1.0), "vote")
    mean, se = predict(model, [cell], questions=3000, seed=5)
    want = expected_utility(reference or verdicts, protocol)  # type: ignore[arg-type]
    assert abs(mean[0] - want) < 4 * se[0] + 1e-9, (mean[0], want, se[0])


# ------------------------------------------------------------------ folds, cells, end to end


@pytest.mark.parametrize("q, folds", [(50, 5), (11, 3), (7, 7), (2, 2)], ids=str)
def test_kfold_splits_are_disjoint_and_cover(q: int, folds: int) -> None:
    parts = kfold(q, folds, seed=3)
    assert len(parts) == folds
    allq = np.concatenate(parts)
    assert sorted(allq.tolist()) == list(range(q))  # cover, and disjoint (no repeats)
    assert max(p.size for p in parts) - min(p.size for p in parts) <= 1


@pytest.mark.parametrize("mode", ["primary", "tiebreak", None], ids=str)
def test_subset_keeps_the_pools_ranking_rule_and_labels(mode: str | None) -> None:
    """A held-out fold, a pilot and a bootstrap resample are fitted in the pool's own
    agent-score mode: dropping ``vote_share`` would fit the ``"law"`` mode to a ``"vote"``
    pool (the held-out predictions would rank candidates by the tie-break alone)."""
    law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    truth = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law, "vote")
    base = truth.sample_pool(RNG(4), 30, 2, 2)
    pool = EmpiricalPool(
        base.correct,
        base.answers,
        base.agent_score,
        base.principal_score,
        name="named",
        tokens=RNG(5).random(base.shape),
        questions=tuple(f"q{i}" for i in range(30)),
        agents=("a", "b"),
        vote_share=mode,
    )
    idx = np.array([3, 3, 0, 29])
    sub = subset(pool, idx)
    assert pool.tokens is not None
    assert (sub.vote_share, sub.name, sub.agents) == (mode, "named", ("a", "b"))
    assert sub.questions == ("q3", "q3", "q0", "q29")
    for got, full in [
        (sub.correct, pool.correct),
        (sub.answers, pool.answers),
        (sub.agent_score, pool.agent_score),
        (sub.principal_score, pool.principal_score),
        (sub.tokens, pool.tokens),
    ]:
        np.testing.assert_array_equal(got, full[idx])
    if mode != "tiebreak":
        want = "vote" if mode == "primary" else "law"
        assert fit_model(subset(pool, np.arange(20))).model.agent_score == want


def test_cells_cover_every_protocol_at_every_budget() -> None:
    cells = calibration_cells(4, 4)
    allagents = [c for c in cells if c.family != "ALIGN m x k"]
    assert {c.n for c in allagents} == {4, 8, 12, 16}
    assert len(allagents) == 10 * 4
    assert len([c for c in cells if c.family == "ALIGN m x k"]) == 2 * 16


def test_calibrate_on_a_pool_from_the_model_covers_its_cells() -> None:
    truth = ExtendedModel(
        BernoulliModel(1.0, 2.0, wrong_answers=3), _law(1.0), ScoreLaw(-1.0, 0.0, 1.0, 1.0), "vote"
    )
    pool = truth.sample_pool(RNG(11), 40, 2, 1)
    cal = calibrate(pool, folds=2, pilots=(20,), draws=2, questions=200, bootstrap=200)
    assert cal.mae < 0.06
    assert cal.coverage >= 0.75  # nominal 0.95 per cell; cells are correlated
    assert set(cal.pilots) == {20}
    assert np.all(cal.predicted_lo <= cal.predicted_hi)


def _uncertain_m_pool() -> EmpiricalPool:
    """30 questions of 2 × 2 from a model with m = 4 wrong alternatives: too few wrong
    candidates to pin m down (its refits range from 3 to the bound)."""
    truth = ExtendedModel(
        BernoulliModel(1.0, 3.0, wrong_answers=4, wrong_concentration=0.5),
        _law(1.0),
        ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2),
        "vote",
    )
    return truth.sample_pool(RNG(0), 30, 2, 2)


def test_band_refits_every_parameter_m_included() -> None:
    """Each refit is the whole fit on a question resample: its m is the profile-likelihood
    m of that resample (recomputed here by fit_wrong_answers on the same indices), so m
    varies across the band's refits — a band holding m at m̂ fails this."""
    pool = _uncertain_m_pool()
    fits = bootstrap_fits(pool, 4, RNG(1))
    rng = RNG(1)
    for f in fits:
        idx = rng.integers(0, 30, size=30)  # the same resample (every one is fittable here)
        want = fit_wrong_answers(pool.correct[idx], pool.answers[idx]).params
        assert f.model.verdicts.wrong_answers == int(want["wrong_answers"])
        assert f.model.verdicts.wrong_concentration == pytest.approx(
            want["wrong_concentration"], rel=1e-9
        )
        assert f.model.agent_score == "vote"
    assert len({f.model.verdicts.wrong_answers for f in fits}) > 1
    assert len({round(f.model.verdicts.mean, 9) for f in fits}) == len(fits)
    assert len({round(f.model.principal.auc, 9) for f in fits}) == len(fits)


def test_band_is_the_quantiles_of_the_refits_predictions() -> None:
    pool = _uncertain_m_pool()
    cal = calibrate(
        pool, folds=2, pilots=(), draws=3, questions=100, draw_questions=100, bootstrap=100
    )
    assert len(cal.band_fits) == 3
    assert len({f.model.verdicts.wrong_answers for f in cal.band_fits}) > 1
    preds = np.stack([predict(f.model, cal.cells, questions=100, seed=1)[0] for f in cal.band_fits])
    lo, hi = np.quantile(preds, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(cal.predicted_lo, lo, atol=1e-12)
    np.testing.assert_allclose(cal.predicted_hi, hi, atol=1e-12)
    assert np.any(cal.predicted_hi - cal.predicted_lo > 0.01)
    band = to_json(cal)["band"]
    assert band["refits"] == 3
    assert [d["wrong_answers"] for d in band["draws"]] == [
        f.model.verdicts.wrong_answers for f in cal.band_fits
    ]
    assert band["range"]["wrong_answers"][0] < band["range"]["wrong_answers"][2]


def test_bootstrap_fits_refuses_an_unfittable_pool() -> None:
    wrong = np.zeros((3, 1, 2), bool)  # no right candidate: no resample can be fitted
    pool = EmpiricalPool(wrong, np.ones((3, 1, 2), int), wrong + 0.5, wrong + 0.2)
    with pytest.raises(ValueError, match="pool must hold right and wrong"):
        bootstrap_fits(pool, 3, RNG(0))
    with pytest.raises(ValueError, match="draws"):
        bootstrap_fits(pool, 0, RNG(0))


# ------------------------------------------------------------------ bad input names the parameter


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: fit_difficulty(np.zeros((3, 2, 2), bool)), "correct"),
        (lambda: fit_difficulty(np.zeros((3, 2), bool)), "correct"),
        (lambda: fit_score_law(np.zeros((2, 1, 2)), np.zeros((2, 1, 3), bool)), "scores"),
        (lambda: transform_scores(np.array([1.5]), "logit"), "scores"),
        (lambda: transform_scores(np.array([0.5]), "probit"), "transform"),
        (lambda: ScoreLaw(0.0, 1.0, 0.0, 1.0), "sd_wrong"),
        (lambda: ScoreLaw(0.0, 1.0, 1.0, 1.0, transform="log"), "transform"),
        (
            lambda: ExtendedModel(BernoulliModel(1, 1), _law(1), _law(1), "verdict"),  # type: ignore[arg-type]
            "agent_score",
        ),
        (lambda: kfold(10, 1), "folds"),
        (lambda: kfold(3, 4), "folds"),
        (lambda: observed_from_results({"grid": {}}, calibration_cells(1, 1)), "results"),
        (lambda: fit_model("pool"), "pool"),  # type: ignore[arg-type]
        (
            lambda: fit_model(
                EmpiricalPool(
                    np.ones((2, 1, 2), bool) ^ np.eye(2, dtype=bool)[:, None, :],
                    np.zeros((2, 1, 2), int),
                    np.full((2, 1, 2), 5.0),
                    np.full((2, 1, 2), 0.5),
                ),
                agent_score="vote",
            ),
            "agent_score",
        ),
    ],
    ids=[
        "all-wrong",
        "2d",
        "shape",
        "logit-range",
        "transform",
        "sd",
        "law-transform",
        "mode",
        "one-fold",
        "folds>q",
        "results",
        "pool-type",
        "vote-form",
    ],
)
def test_bad_input_names_the_parameter(call: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()  # type: ignore[operator]


def test_calibrate_run_needs_results(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"results\.json"):
        calibrate_run(tmp_path)


def test_stored_run_calibration_is_current() -> None:
    """The committed calibration outputs agree with their own cells (summary recomputed)."""
    path = Path(__file__).resolve().parents[1] / "runs/gsm8k-qwen0.5b-m4k4/calibration"
    js = json.loads((path / "calibration.json").read_text())
    cells = js["cells"]
    mae = np.mean([abs(c["predicted_heldout"] - c["observed"]) for c in cells])
    inside = np.mean(
        [
            c["observed_lo"] - 1e-12 <= c["predicted_heldout"] <= c["observed_hi"] + 1e-12
            for c in cells
        ]
    )
    assert abs(js["summary"]["mae"] - mae) < 1e-12
    assert abs(js["summary"]["coverage"] - inside) < 1e-12
    res = json.loads((path.parent / "results.json").read_text())
    for c in cells:  # observed values are the report's own
        assert c["observed"] == res["grid"][f"{c['m']}x{c['k']}"]["estimates"][c["name"]]["mean"]
    assert (path / "calibration.png").stat().st_size > 10_000
    assert "mean absolute error" in (path / "calibration.md").read_text()
