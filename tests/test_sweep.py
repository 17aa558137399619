"""Tests of align_theory.sweep: tidy rows, vmapped batches, incremental files, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import align_theory.montecarlo.sweep as sw
from align_theory import Align, BernoulliModel, GaussianModel, MajorityVote, SingleAgent
from align_theory.montecarlo import compare, simulate_each
from align_theory.montecarlo.sweep import expand_grid, sweep

PROTOS = [Align(4, 4, "judge"), SingleAgent(16)]
GRID = {"kappa": [0.0, 0.5, 1.0], "tau": [0.5, 1.5]}


def g_factory(kappa: float, tau: float) -> GaussianModel:
    return GaussianModel(rho_between=0.3, rho_within=0.3, kappa=kappa, tau=tau)


def test_expand_grid() -> None:
    pts = expand_grid(GRID)
    assert pts[:2] == [{"kappa": 0.0, "tau": 0.5}, {"kappa": 0.0, "tau": 1.5}]
    assert len(pts) == 6
    assert expand_grid([{"a": 1}, {"a": 2}]) == [{"a": 1}, {"a": 2}]


def test_sweep_rows_equal_unbatched_runs() -> None:
    """Batched (vmapped) grid points give the numbers of separate runs with the same seed."""
    grid = {"kappa": [0.0, 1.0], "tau": [0.5, 1.5]}
    rows = sweep(g_factory, PROTOS, grid, trials=3000, seed=4, batch=4, progress=False)
    assert len(rows) == 4 * 2
    assert set(rows[0]) == {
        "kappa",
        "tau",
        "point",
        "protocol",
        "mean",
        "stderr",
        "trials",
        "sampler",
    }
    for i, pt in enumerate(expand_grid(grid)):
        ests = simulate_each(g_factory(**pt), PROTOS, trials=3000, seed=4, progress=False)
        for j, e in enumerate(ests):
            row = rows[2 * i + j]
            assert row["point"] == i and row["protocol"] == repr(PROTOS[j])
            assert row["sampler"] == "sufficient"
            assert row["mean"] == pytest.approx(e.mean, rel=1e-5, abs=1e-6)
            assert row["stderr"] == pytest.approx(e.stderr, rel=1e-4)


def test_sweep_candidates_shares_draws_like_compare() -> None:
    protos = [Align(2, 4, "exact"), MajorityVote(8)]
    grid = [{"a": 1.0}, {"a": 3.0}]
    rows = sweep(
        lambda a: BernoulliModel(a, 2.0, agent_tpr=0.7),
        protos,
        grid,
        trials=2048,
        seed=1,
        sampler="candidates",
        progress=False,
    )
    assert {r["sampler"] for r in rows} == {"candidates"}
    ref = compare(
        BernoulliModel(3.0, 2.0, agent_tpr=0.7), protos, trials=2048, seed=1, progress=False
    )
    assert rows[2]["mean"] == pytest.approx(ref.estimates[0].mean, rel=1e-6)
    assert rows[3]["mean"] == pytest.approx(ref.estimates[1].mean, rel=1e-6)


def test_sweep_resumes_after_interruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "runs" / "g.csv"
    full = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, progress=False)

    real = sw.run_stream
    calls: list[int] = []

    def dying(*args: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) == 3:  # third batch: the sweep is killed mid-way
            raise KeyboardInterrupt
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sw, "run_stream", dying)
    with pytest.raises(KeyboardInterrupt):
        sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 4 * 2  # header + two finished batches of two points
    manifest = json.loads((tmp_path / "runs" / "g.csv.manifest.json").read_text())
    assert manifest["trials"] == 2048 and len(manifest["points"]) == 6

    # a torn last line (killed while writing) is cut off on resume
    with out.open("a") as fh:
        fh.write("1.0,0.5,4,Align(")
    calls.clear()
    monkeypatch.setattr(sw, "run_stream", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    rows = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    assert len(calls) == 1  # only the last batch was evaluated
    assert len(rows) == len(full)
    for a, b in zip(rows, full, strict=True):
        assert a["point"] == b["point"] and a["protocol"] == b["protocol"]
        assert a["mean"] == pytest.approx(b["mean"], rel=1e-6)
    assert len(out.read_text().splitlines()) == 1 + 6 * 2

    # a finished sweep reruns from disk alone
    calls.clear()
    again = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    assert calls == [] and again == rows


def test_sweep_refuses_other_configuration(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    sweep(
        g_factory,
        PROTOS,
        {"kappa": [0.0], "tau": [1.0]},
        trials=1024,
        seed=0,
        out=out,
        progress=False,
    )
    with pytest.raises(ValueError, match="different configuration"):
        sweep(
            g_factory,
            PROTOS,
            {"kappa": [0.0], "tau": [1.0]},
            trials=2048,
            seed=0,
            out=out,
            progress=False,
        )


@pytest.mark.parametrize("left", ["", "rho,kap"], ids=["empty", "half-header"])
def test_sweep_csv_left_empty_or_half_written_by_a_kill_resumes(tmp_path: Path, left: str) -> None:
    out = tmp_path / "g.csv"
    full = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    out.write_text(left)  # the kill came while the header was being written
    rows = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    assert [(r["point"], r["protocol"]) for r in rows] == [
        (r["point"], r["protocol"]) for r in full
    ]
    again = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    assert len(again) == len(full)  # the rewritten file reads back whole


def test_sweep_with_a_torn_manifest_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    full = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    (tmp_path / "g.csv.manifest.json").write_text('{"format": "align')
    rows = sweep(g_factory, PROTOS, GRID, trials=2048, seed=2, batch=2, out=out, progress=False)
    assert len(rows) == len(full)
    assert json.loads((tmp_path / "g.csv.manifest.json").read_text())["trials"] == 2048


def test_short_last_batch_is_padded_to_one_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three points in batches of two: the last batch is padded (one compiled shape) and its
    row is still the point's own numbers; with padding too costly it runs unpadded."""
    from align_theory.montecarlo import run

    widths: list[int] = []
    real = run.run_stream

    def spy(specs, *a, **k):  # type: ignore[no-untyped-def]
        widths.append(len(specs))
        return real(specs, *a, **k)

    monkeypatch.setattr(sw, "run_stream", spy)
    grid = {"kappa": [0.0, 0.5, 1.0], "tau": [1.0]}
    rows = sweep(g_factory, PROTOS, grid, trials=2048, seed=3, batch=2, progress=False)
    assert widths == [2, 2]
    ests = simulate_each(g_factory(1.0, 1.0), PROTOS, trials=2048, seed=3, progress=False)
    for j, e in enumerate(ests):
        assert rows[4 + j]["point"] == 2
        assert rows[4 + j]["mean"] == pytest.approx(e.mean, rel=1e-5, abs=1e-6)
    widths.clear()
    monkeypatch.setattr(sw, "PAD_MAX_TRIALS", 100)
    sweep(g_factory, PROTOS, grid, trials=2048, seed=3, batch=2, progress=False)
    assert widths == [2, 1]
