"""Principals as scorers: the chat judge, a reward model behind HTTP, or a Python callable.

A principal's evaluation x̂ of a candidate is any score of (question, response): the chat
judge's P(yes) the runner records, a reward model served over HTTP (vLLM serves reward
models with ``--task reward`` on its ``/pooling`` endpoint and cross-encoders with
``--task score`` on ``/score``), or a function. :func:`principal_scores` scores every stored
candidate of a run with one scorer, and ``pool.with_scores(principal_score=...)`` gives the
run's pool judged by it, so every protocol can be compared under another principal without
new sampling::

    vllm serve Qwen/Qwen2.5-Math-PRM-7B --task reward --port 8001   # one line: a reward model

    from align_theory.llm.principals import RewardModelScorer, principal_scores
    rm = RewardModelScorer("http://127.0.0.1:8001", "Qwen/Qwen2.5-Math-PRM-7B")
    x = principal_scores(run, rm)
    pool = EmpiricalPool.from_run(run).with_scores(principal_score=x)
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from align_theory.llm.scoring import load_run

__all__ = ["CallableScorer", "RewardModelScorer", "Scorer", "principal_scores"]


class Scorer(Protocol):
    """Scores the responses to one question (higher = more likely correct)."""

    def score(self, question: str, responses: Sequence[str]) -> list[float]: ...


class CallableScorer:
    """A Python function ``fn(question, response) -> float`` as a principal."""

    def __init__(self, fn: Callable[[str, str], float]) -> None:
        self.fn = fn

    def score(self, question: str, responses: Sequence[str]) -> list[float]:
        """``fn`` on each response."""
        return [float(self.fn(question, r)) for r in responses]


class RewardModelScorer:
    """A reward model behind vLLM's HTTP API.

    ``endpoint="pooling"`` (``vllm serve MODEL --task reward``): POST ``{base}/pooling`` with
    one input per response, the question and the response joined by a blank line; the score
    is the last number of each returned ``data[i].data`` (a reward model's output, or the
    last step's reward of a process reward model). ``endpoint="score"`` (``--task score``):
    POST ``{base}/score`` with ``text_1`` = question, ``text_2`` = responses; the score is
    ``data[i].score``.
    """

    def __init__(
        self, base_url: str, model: str, *, endpoint: str = "pooling", timeout_s: float = 120.0
    ) -> None:
        if endpoint not in ("pooling", "score"):
            raise ValueError(f"endpoint must be 'pooling' or 'score', got {endpoint!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.endpoint = endpoint
        self.timeout_s = timeout_s

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{self.base_url}/{self.endpoint}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            out: dict[str, Any] = json.loads(resp.read())
        return out

    def score(self, question: str, responses: Sequence[str]) -> list[float]:
        """One request per question; raises ``ValueError`` on a malformed reply."""
        if self.endpoint == "score":
            rep = self._post({"model": self.model, "text_1": question, "text_2": list(responses)})
            rows = sorted(rep.get("data", []), key=lambda d: d.get("index", 0))
            vals = [float(d["score"]) for d in rows]
        else:
            inputs = [f"{question}\n\n{r}" for r in responses]
            rep = self._post({"model": self.model, "input": inputs})
            rows = sorted(rep.get("data", []), key=lambda d: d.get("index", 0))
            vals = [float(np.ravel(np.asarray(d["data"], dtype=float))[-1]) for d in rows]
        if len(vals) != len(responses):
            raise ValueError(
                f"{self.base_url}/{self.endpoint} returned {len(vals)} scores for "
                f"{len(responses)} responses"
            )
        return vals


def principal_scores(
    run_dir: Path, scorer: Scorer, questions: Sequence[str] | None = None
) -> np.ndarray:
    """x̂ of every candidate of a stored run under ``scorer``: array (Q, M, K) in the order of
    the run's pool (``EmpiricalPool.from_run``; ``questions`` defaults to its ids). A failed
    sample scores like an empty response."""
    from align_theory.models import EmpiricalPool

    manifest, qs, samples, _ = load_run(Path(run_dir))
    agents = list(manifest.agent_names)
    k = int(manifest.config["per_agent"])
    qids = (
        list(questions)
        if questions is not None
        else list(EmpiricalPool.from_run(run_dir).questions or ())
    )
    text = {q.qid: q.text for q in qs}
    resp: dict[tuple[str, str, int], str] = {}
    for r in samples:
        if r.output is not None:
            resp[(r.qid, r.agent, r.index)] = r.output.text
    out = np.zeros((len(qids), len(agents), k))
    for i, qid in enumerate(qids):
        cand = [resp.get((qid, a, j), "") for a in agents for j in range(k)]
        out[i] = np.asarray(scorer.score(text[qid], cand), dtype=float).reshape(len(agents), k)
    return out
