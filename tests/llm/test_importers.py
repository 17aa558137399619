"""Existing logs as pools: lm-evaluation-harness --log_samples and inspect_ai JSON logs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from align_theory.exact.empirical import pool_values
from align_theory.llm.cli import main
from align_theory.llm.importers import from_inspect, from_lm_eval
from align_theory.models import EmpiricalPool
from align_theory.protocols import MajorityVote, Oracle


class _Exact:
    """A checker without worker processes: equal normalized numbers."""

    def check(self, gold: str, pred: str | None) -> str:
        return "equal" if pred is not None and float(gold) == float(pred) else "not_equal"

    def close(self) -> None:
        return None


def _lm_eval_log(path: Path) -> Path:
    # the documented --log_samples record: doc_id, doc, target, arguments, resps (per
    # request a list of repeats), filtered_resps, metrics
    recs = [
        {
            "doc_id": 0,
            "doc": {"question": "1+1"},
            "target": "2",
            "arguments": [],
            "resps": [["so #### 2", "#### 3", "The answer is 2"]],
            "filtered_resps": ["2"],
            "filter": "maj@3",
            "metrics": ["exact_match"],
            "exact_match": 1.0,
        },
        {
            "doc_id": 1,
            "doc": {"question": "2+2"},
            "target": "#### 4",
            "arguments": [],
            "resps": [["#### 5", "#### 5", "#### 4"]],
            "filtered_resps": ["5"],
            "filter": "maj@3",
            "metrics": ["exact_match"],
            "exact_match": 0.0,
        },
    ]
    f = path / "samples_gsm8k-cot-self-consistency_2024-01-01T00-00-00.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return f


def _inspect_log(path: Path) -> Path:
    samples = []
    for sid, gold, outs in (("a", "7", ["7", "8"]), ("b", "1", ["2", "2"])):
        for e, text in enumerate(outs, start=1):
            samples.append(
                {
                    "id": sid,
                    "epoch": e,
                    "input": "q",
                    "target": gold,
                    "output": {"completion": f"The answer is {text}"},
                    "scores": {},
                }
            )
    f = path / "log.json"
    f.write_text(json.dumps({"version": 2, "eval": {"task": "toy"}, "samples": samples}))
    return f


def test_lm_eval_log_becomes_a_pool(tmp_path: Path) -> None:
    pool = from_lm_eval(_lm_eval_log(tmp_path), checker=_Exact())  # type: ignore[arg-type]
    assert pool.shape == (2, 1, 3)
    assert pool.correct[:, 0].tolist() == [[True, False, True], [False, False, True]]
    np.testing.assert_allclose(pool_values(pool, MajorityVote(3)), [1.0, 0.0])
    np.testing.assert_allclose(pool_values(pool, Oracle(3)), [1.0, 1.0])


def test_inspect_log_becomes_a_pool(tmp_path: Path) -> None:
    pool = from_inspect(_inspect_log(tmp_path), checker=_Exact())  # type: ignore[arg-type]
    assert pool.shape == (2, 1, 2) and pool.questions == ("a", "b")
    np.testing.assert_allclose(pool_values(pool, Oracle(2)), [1.0, 0.0])


def test_bad_logs_name_the_problem(tmp_path: Path) -> None:
    f = tmp_path / "samples_x.jsonl"
    f.write_text(json.dumps({"doc_id": 0, "target": "1"}) + "\n")
    with pytest.raises(ValueError, match="lacks 'resps'"):
        from_lm_eval(f, checker=_Exact())  # type: ignore[arg-type]
    g = tmp_path / "l.json"
    g.write_text("{}")
    with pytest.raises(ValueError, match="samples"):
        from_inspect(g)


def test_import_command_writes_the_tidy_table(tmp_path: Path, capsys) -> None:
    log = _inspect_log(tmp_path)
    assert (
        main(
            [
                "llm",
                "import",
                "inspect",
                str(log),
                "--out",
                str(tmp_path / "o"),
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    pool = EmpiricalPool.from_table(tmp_path / "o" / "candidates.parquet")
    assert pool.shape == (2, 1, 2) and pool.vote_share == "primary"
    assert EmpiricalPool.from_table(tmp_path / "o" / "candidates.csv").shape == (2, 1, 2)
    assert "MajorityVote(2)" in capsys.readouterr().out
