"""The simulation pipeline and the paper figures: studies write what figures read, captions
agree with the data, and a rerun recomputes nothing.

One quick ``pipeline.reproduce`` over a copy of ``simulations/`` and ``paper_figures/`` (small
grids, 256 trials per Monte Carlo point) feeds every test; caption numbers are checked
against values computed here independently (closed forms, root finding) or against the
stored tables.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from align_theory import (
    Align,
    BernoulliModel,
    GaussianModel,
    MajorityVote,
    Oracle,
    Shortlist,
    SingleAgent,
    expected_utility,
    pipeline,
)
from align_theory.exact import crossover_kappa
from align_theory.plotting import figure_args

ROOT = Path(__file__).resolve().parents[1]
FIGS = [p.stem for p in sorted((ROOT / "paper_figures").glob("fig*.py"))]
TRIALS = 256


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the studies and figure scripts, reproduced once in quick mode."""
    root = tmp_path_factory.mktemp("repo")
    for d in ("simulations", "paper_figures"):
        shutil.copytree(ROOT / d, root / d, ignore=shutil.ignore_patterns("out", "__pycache__"))
    lines: list[str] = []
    failed = pipeline.reproduce(root, quick=True, trials=TRIALS, echo=lines.append)
    assert failed == [], "\n".join(lines)
    return root


def caption(repo: Path, name: str) -> str:
    """The figure's caption with its line breaks folded into spaces."""
    return " ".join((repo / "paper_figures" / "out" / f"{name}.txt").read_text().split())


def test_every_figure_has_its_study_and_outputs(repo: Path) -> None:
    assert {f"fig{i}" for i in range(1, 8)} <= {f.split("_")[0] for f in FIGS}
    for name in FIGS:
        assert (ROOT / "simulations" / f"{name}.py").exists(), f"{name} has no study"
        out = repo / "paper_figures" / "out"
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
        assert caption(repo, name).startswith("Figure ")


@pytest.mark.parametrize("name", FIGS)
def test_manifest_records_versions_seeds_parameters(repo: Path, name: str) -> None:
    st = pipeline.load_study(name, repo / pipeline.RESULTS)
    man = st.manifest
    assert {"align_theory", "numpy", "python"} <= set(man["versions"])
    assert man["parameters"] and man["tables"]
    assert man["fingerprint"]["config"] == {"quick": True, "trials": TRIALS}
    if man["trials"]:  # Monte Carlo studies
        assert man["trials"] == TRIALS and man["seeds"]
        assert f"{TRIALS} trials per point" in caption(repo, name)


def test_rerun_recomputes_nothing_and_redraws_every_figure(repo: Path) -> None:
    pngs = sorted((repo / "paper_figures" / "out").glob("*.png"))
    before = {p: p.stat().st_mtime_ns for p in pngs}
    lines: list[str] = []
    assert pipeline.reproduce(repo, quick=True, trials=TRIALS, echo=lines.append) == []
    assert sum(line.endswith(": current") for line in lines) == len(FIGS), lines
    assert all(p.stat().st_mtime_ns > before[p] for p in pngs)


def test_staleness_follows_script_and_configuration(repo: Path) -> None:
    study = next(s for s in pipeline.studies(repo) if s.name == "fig5_majority")
    config = {"quick": True, "trials": TRIALS}
    assert pipeline.stale_reason(study, config) is None
    assert pipeline.stale_reason(study, {"quick": False, "trials": TRIALS}) == (
        "configuration changed"
    )
    text = study.script.read_text()
    study.script.write_text(text + "\n# edited\n")
    try:
        assert pipeline.stale_reason(study, config) == "study script changed"
    finally:
        study.script.write_text(text)
    assert pipeline.stale_reason(study, config) is None


@pytest.mark.parametrize("name", ["fig1_budget", "fig2_correlation", "fig6_diversity"])
def test_monte_carlo_points_agree_with_closed_forms(repo: Path, name: str) -> None:
    st = pipeline.load_study(name, repo / pipeline.RESULTS)
    keys = [k for k in ("model", "scaled", "rho", "rho_b", "n") if k in st["mc"][0]]
    exact = {(tuple(r.get(k) for k in keys if k in r), r["name"]): r["mean"] for r in st["exact"]}
    checked = 0
    for r in st["mc"]:
        ref = exact.get((tuple(r[k] for k in keys), r["name"]))
        if ref is None or r["stderr"] == 0:
            continue
        checked += 1
        # a Bernoulli mean near 1 can have an estimated s.e. of 0: floor it at the s.e. the
        # closed form implies
        floor = (ref * (1.0 - ref) / r["trials"]) ** 0.5 if r.get("model") == "B" else 0.0
        assert abs(r["mean"] - ref) <= 4.5 * max(r["stderr"], floor) + 1e-9, (r, ref)
    assert checked >= 6


def _floats(pattern: str, text: str) -> list[float]:
    m = re.search(pattern, " ".join(text.split()))
    assert m, f"caption lacks {pattern!r}"
    return [float(g) for g in m.groups()]


def test_fig3_caption_kstar_range_is_the_crossover(repo: Path) -> None:
    lo, hi = _floats(
        r"kappa\* ranges over \[([\d.]+), ([\d.]+)\]", caption(repo, "fig3_noise_heatmap")
    )
    assert lo == 0.0
    assert hi == pytest.approx(crossover_kappa(GaussianModel(tau=3.0), 4, 4), abs=0.006)
    (kmax,) = _floats(r"judge noise kappa in \[0, ([\d.]+)\]", caption(repo, "fig3_noise_heatmap"))
    assert kmax >= hi  # the kappa axis covers the crossover


def test_fig4_caption_switch_points(repo: Path) -> None:
    text = " ".join(caption(repo, "fig4_split").split())
    switches = re.findall(r"([\d.]+)->(\d+)", text)
    assert switches
    for kappa, m in switches:
        model = GaussianModel(tau=1.0, kappa=float(kappa))
        best = max(
            (d for d in range(1, 65) if 64 % d == 0),
            key=lambda d: expected_utility(model, Align(d, 64 // d, "judge")),
        )
        assert best == int(m), (kappa, m, best)


def test_fig5_caption_peak_of_the_mixture(repo: Path) -> None:
    peak, n_peak = _floats(r"accuracy peak ([\d.]+)% at N = (\d+)", caption(repo, "fig5_majority"))
    ver = {"agent_tpr": 0.7, "agent_fpr": 0.2, "principal_tpr": 0.85, "principal_fpr": 0.1}
    comps = [BernoulliModel(17.0, 3.0, **ver), BernoulliModel(12.0, 18.0, **ver)]
    acc = [
        100 * np.mean([expected_utility(c, MajorityVote(n)) for c in comps]) for n in range(1, 129)
    ]
    assert peak == pytest.approx(max(acc), abs=0.051)
    assert acc[int(n_peak) - 1] == pytest.approx(max(acc), abs=1e-9)


def test_fig6_caption_crossing(repo: Path) -> None:
    (cross,) = _floats(r"Align wins for rho_b below ([\d.]+)", caption(repo, "fig6_diversity"))

    def gap(rb: float) -> float:
        m = GaussianModel(rho_between=rb, rho_within=0.5, tau=1.0)
        return expected_utility(m, Align(4, 4, "exact")) - expected_utility(
            m, Shortlist(16, 4, "exact")
        )

    assert cross == pytest.approx(brentq(gap, 0.0, 0.5), abs=6e-4)
    flat = expected_utility(GaussianModel(rho_between=0.5, rho_within=0.5, tau=1.0), Oracle(16))
    assert f"{flat:.4f}" in caption(repo, "fig6_diversity")


def test_fig7_caption_values_are_the_stored_equilibria(repo: Path) -> None:
    st = pipeline.load_study("fig7_incentives", repo / pipeline.RESULTS)
    text = " ".join(caption(repo, "fig7_incentives").split())
    for r in pipeline.records(st["schemes"], principal="best trust"):
        assert f"{r['scheme']}: {r['mean']:.3f} ± {r['stderr']:.3f}" in text
    sa = expected_utility(GaussianModel(tau=1.0, kappa=1.0), SingleAgent(16))
    assert f"SingleAgent ({sa:.4f})" in text


def test_fig2_caption_gain_at_zero(repo: Path) -> None:
    (g0,) = _floats(r"gain at rho = 0: ([\d.]+)", caption(repo, "fig2_correlation"))
    m = GaussianModel(tau=1.0, kappa=0.5)
    ref = expected_utility(m, Align(4, 4, "judge")) - expected_utility(m, SingleAgent(16))
    assert g0 == pytest.approx(ref, abs=6e-5)


def test_figure_args_trials_precedence() -> None:
    assert figure_args("x", default_trials=10, quick_trials=3, argv=[]).trials == 10
    assert figure_args("x", default_trials=10, quick_trials=3, argv=["--quick"]).trials == 3
    args = figure_args("x", default_trials=10, quick_trials=3, argv=["--quick", "--trials", "7"])
    assert args.trials == 7 and args.quick
    with pytest.raises(SystemExit):
        figure_args("x", default_trials=10, quick_trials=3, argv=["--trials", "1"])


def test_load_study_names_the_missing_study(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape("simulations/fig9.py")):
        pipeline.load_study("fig9", tmp_path)


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
def test_crossover_kappa_is_the_sign_change(tau: float) -> None:
    model = GaussianModel(tau=tau)
    kstar = crossover_kappa(model, 4, 4)
    sa = expected_utility(model, SingleAgent(16))

    def gap(kappa: float) -> float:
        return expected_utility(replace(model, kappa=kappa), Align(4, 4, "judge")) - sa

    assert 0.0 < kstar < 10.0
    assert abs(gap(kstar)) < 1e-6
    assert gap(0.9 * kstar) > 0.0 > gap(1.1 * kstar)


def test_crossover_kappa_edge_cases() -> None:
    assert crossover_kappa(GaussianModel(tau=0.0), 4, 4) == 0.0
    assert crossover_kappa(GaussianModel(tau=1.0), 1, 16) == 0.0  # Align(1, 16) is SA
