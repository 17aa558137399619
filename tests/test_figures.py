"""Paper figure scripts and the shared style helpers."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.exact import crossover_kappa
from align_theory.plotting import figure_args

ROOT = Path(__file__).resolve().parents[1]
FIGS = ROOT / "paper_figures"


def _run(script: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(FIGS / script), "--quick", "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("script", ["fig3_noise_heatmap.py", "fig4_split.py", "fig5_majority.py"])
def test_closed_form_figure_writes_png_pdf_and_caption(script: str, tmp_path: Path) -> None:
    res = _run(script, tmp_path)
    assert res.returncode == 0, res.stderr
    stem = script.removesuffix(".py")
    png, pdf, txt = (tmp_path / f"{stem}.{ext}" for ext in ("png", "pdf", "txt"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    caption = txt.read_text()
    assert caption.startswith("Figure ") and "trials" in caption


def test_monte_carlo_figure_states_its_trial_count(tmp_path: Path) -> None:
    res = _run("fig2_correlation.py", tmp_path, "--trials", "1024")
    assert res.returncode == 0, res.stderr
    assert "1024 trials per point" in (tmp_path / "fig2_correlation.txt").read_text()


def test_reproduce_glob_picks_every_figure() -> None:
    picked = {p.name.split("_")[0] for p in FIGS.glob("fig*.py")}
    assert {f"fig{i}" for i in range(1, 8)} <= picked


def test_incentives_figure_writes_png_and_states_trials(tmp_path: Path) -> None:
    res = _run("fig7_incentives.py", tmp_path, "--trials", "3000")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "fig7_incentives.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    caption = (tmp_path / "fig7_incentives.txt").read_text()
    assert "3000 trials per point" in caption


def test_figure_args_trials_precedence() -> None:
    assert figure_args("x", default_trials=10, quick_trials=3, argv=[]).trials == 10
    assert figure_args("x", default_trials=10, quick_trials=3, argv=["--quick"]).trials == 3
    args = figure_args("x", default_trials=10, quick_trials=3, argv=["--quick", "--trials", "7"])
    assert args.trials == 7 and args.quick
    with pytest.raises(SystemExit):
        figure_args("x", default_trials=10, quick_trials=3, argv=["--trials", "1"])


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
