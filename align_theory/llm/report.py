"""Replay and report a stored run: estimates, tables and a figure, without any model.

:func:`replay` grades the stored samples (once: the verdicts are stored in the run folder,
:mod:`.scoring`), builds the run's :class:`~align_theory.models.EmpiricalPool` (written as
``candidates.parquet`` and ``candidates.csv``), and evaluates every protocol at every budget
with the one pool engine, :func:`align_theory.exact.empirical.pool_values` (the exact
average over sub-pools), with bootstrap CIs over questions from
:func:`align_theory.results.bootstrap`; it writes ``results.json``. :func:`report` renders
``report.md`` (protocol × budget with 95% bootstrap intervals and costs) and ``report.png``
from the stored ``results.json`` (replaying only when it is absent or asked).

The run's agents rank their candidates by the vote share of the answer among their own
samples, ties broken by the mean token log-probability (``vote_share="primary"``); the
report r is that share. ``bayes`` is fitted by 2-fold cross-fitting over questions. The
theory's SingleAgent reads those same scores on the same pool (T1); the pooled-vote variant
(one pipeline voting over all the candidates it holds, uniform n-subsets of the N) is
reported separately and named as such, as is Shortlist (one pipeline's top M by pooled vote).

When the run has self-verification calls (``--self-verify``), the protocols that use the
agent score are also evaluated under the other agent scores of :data:`AGENT_SCORES` on the
same candidates, with paired differences against the default ``vote`` score.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from align_theory.exact.empirical import cross_fit_bayes, is_sampled, pool_values_many
from align_theory.llm.scoring import GradedRun, QuestionTable, grade_run, load_run
from align_theory.llm.store import write_json_atomic
from align_theory.llm.usc import PARSER_VERSION
from align_theory.models import EmpiricalPool
from align_theory.protocols import (
    Align,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    Shortlist,
    SingleAgent,
)
from align_theory.results import bootstrap as bootstrap_ci

__all__ = [
    "AGENT_SCORES",
    "PROTOCOL_ORDER",
    "auc",
    "pass_at_k",
    "pool_of",
    "protocol_costs",
    "replay",
    "report",
]

AGENT_SCORES: tuple[str, ...] = ("vote", "vote+verify", "verify")
"""Agent scores of a run: ``vote`` y = vote share within the agent, log-prob tie-break;
``vote+verify`` the same with the agent's self-verification P(yes) as tie-break; ``verify``
y = P(yes), vote share as tie-break (a missing P(yes) counts as 1/2)."""

PROTOCOL_ORDER: tuple[str, ...] = (
    "Align-judge",
    "Align-bayes",
    "Align-vote",
    "SingleAgent",
    "SingleAgent-pooled",
    "MajorityVote",
    "Shortlist",
    "PrincipalBestOfN",
    "RandomPick",
    "Align-exact",
    "Oracle",
)
REFERENCES: tuple[str, ...] = ("Align-exact", "Oracle")
"""Upper bounds that read the gold answer: drawn as references, not methods."""
PAIRS: tuple[tuple[str, str], ...] = (
    ("Align-judge", "SingleAgent"),
    ("Align-bayes", "SingleAgent"),
    ("Align-vote", "SingleAgent"),
    ("Align-judge", "MajorityVote"),
    ("Align-bayes", "MajorityVote"),
    ("Align-judge", "Shortlist"),
    ("Align-judge", "PrincipalBestOfN"),
)
SCORE_PROTOCOLS: tuple[str, ...] = (
    "Align-judge",
    "Align-bayes",
    "Align-vote",
    "SingleAgent",
    "Shortlist",
)
"""The protocols whose outcome depends on the agent score y (the others do not)."""
UNIFORM: tuple[str, ...] = (
    "RandomPick",
    "SingleAgent",
    "MajorityVote",
    "Shortlist",
    "PrincipalBestOfN",
    "Oracle",
)
TRUNCATION_WARN = 0.1
"""Share of samples stopped at ``max_tokens`` above which the report warns."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k) (Chen et al.).

    Examples
    --------
    >>> pass_at_k(4, 1, 2)
    0.5
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def protocol_costs(
    pool: EmpiricalPool, judge_tokens: float, name: str, n: int, m: int
) -> dict[str, float]:
    """Mean per-question cost at budget n (m = proposals / shortlist size).

    Candidates generated n; judge calls: Align m (Align-exact 0), Shortlist m,
    PrincipalBestOfN n, else 0; tokens: n × mean generation tokens (prompt + completion) +
    judge calls × mean judge tokens.

    Examples
    --------
    >>> z = np.ones((1, 1, 2))
    >>> protocol_costs(EmpiricalPool(z, z, z, z, tokens=100 * z), 10.0, "Align-judge", 2, 1)
    {'candidates': 2, 'judge_calls': 1, 'tokens': 210.0}
    """
    gen = float(pool.tokens.mean()) if pool.tokens is not None else 0.0
    if name.startswith("Align") or name == "Shortlist":
        calls = 0 if name == "Align-exact" else m
    elif name == "PrincipalBestOfN":
        calls = n
    else:
        calls = 0
    return {"candidates": n, "judge_calls": calls, "tokens": n * gen + calls * judge_tokens}


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(v, -50, 50)))


def pool_of(graded: GradedRun, agent_score: str = "vote") -> EmpiricalPool:
    """The run's pool: (Q, M, K) candidates, answer classes, agent score, judge x̂, tokens.

    ``agent_score`` (:data:`AGENT_SCORES`): ``vote`` ranks by vote share with σ(mean
    log-prob) as tie-break; ``vote+verify`` by vote share with self-verification v;
    ``verify`` by v with vote share as tie-break.
    """
    if agent_score not in AGENT_SCORES:
        raise ValueError(f"agent_score must be one of {AGENT_SCORES}, got {agent_score!r}")
    tabs = graded.tables
    if not tabs:
        raise ValueError("the run has no complete question")
    st = np.stack
    if agent_score == "vote":
        y = st([_sigmoid(t.logprob) for t in tabs])
        mode = "primary"
    else:
        y = st([np.where(np.isfinite(t.verify), t.verify, 0.5) for t in tabs])
        mode = "primary" if agent_score == "vote+verify" else "tiebreak"
    cfg_agents = graded.config.get("agents") or []
    names = tuple(a["name"] for a in cfg_agents) if len(cfg_agents) == tabs[0].shape[0] else None
    return EmpiricalPool(
        st([t.correct for t in tabs]),
        st([t.cls for t in tabs]),
        y,
        st([t.xhat for t in tabs]),
        name=str(graded.config.get("dataset", "run")),
        tokens=st([t.gen_tokens for t in tabs]),
        questions=tuple(t.qid for t in tabs),
        agents=names,
        vote_share=mode,
    )


def _grid_protocols(m: int, k: int, m_all: int) -> dict[str, Protocol]:
    n = m * k
    return {
        "Align-judge": Align(m, k, "judge"),
        "Align-bayes": Align(m, k, "bayes"),
        "Align-vote": Align(m, k, "vote"),
        "Align-exact": Align(m, k, "exact"),
        "SingleAgent": SingleAgent(n, agents=m),
        "MajorityVote": MajorityVote(n, agents=m),
        "PrincipalBestOfN": PrincipalBestOfN(n, agents=m),
        "RandomPick": RandomPick(n, agents=m),
        "Oracle": Oracle(n, agents=m),
    }


def _pooled_protocols(n: int, size: int) -> dict[str, Protocol]:
    """One pipeline over uniform n-subsets of the N candidates (pooled vote shares)."""
    return {
        "SingleAgent-pooled": SingleAgent(n),
        "Shortlist": Shortlist(n, min(size, n), "judge"),
    }


def _evaluate(
    pool: EmpiricalPool, bayes: np.ndarray, seed: int
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray], list[str]]:
    """Per-question values: grid[m×k][name], uniform n [name], and the sampled cells."""
    _, m_all, k_all = pool.shape
    pooled = pool.pooled()
    grid: dict[str, dict[str, np.ndarray]] = {}
    sampled: list[str] = []
    cells = [(m, k) for m in range(1, m_all + 1) for k in range(1, k_all + 1)]
    every = [p for m, k in cells for p in _pooled_protocols(m * k, m).values()]
    every += [Shortlist(n, min(m_all, n), "judge") for n in range(1, m_all * k_all + 1)]
    pv = pool_values_many(pooled, every, seed=seed, bayes=bayes)
    for m in range(1, m_all + 1):
        for k in range(1, k_all + 1):
            protos = _grid_protocols(m, k, m_all)
            vals = pool_values_many(pool, protos.values(), seed=seed, bayes=bayes)
            grid[f"{m}x{k}"] = {name: vals[p] for name, p in protos.items()}
            extra = _pooled_protocols(m * k, m)
            grid[f"{m}x{k}"] |= {name: pv[p] for name, p in extra.items()}
            sampled += [f"{m}x{k} {nm}" for nm, p in protos.items() if is_sampled(pool, p)]
            sampled += [f"{m}x{k} {nm}" for nm, p in extra.items() if is_sampled(pooled, p)]
    uniform: dict[str, np.ndarray] = {}
    for n in range(1, m_all * k_all + 1):
        sl = Shortlist(n, min(m_all, n), "judge")
        uniform[f"{n}|Shortlist"] = pv[sl]
        protos = {
            "RandomPick": RandomPick(n),
            "SingleAgent": SingleAgent(n),
            "MajorityVote": MajorityVote(n),
            "PrincipalBestOfN": PrincipalBestOfN(n),
            "Oracle": Oracle(n),
        }
        vals = pool_values_many(pooled, protos.values(), seed=seed)
        for name, p in protos.items():
            uniform[f"{n}|{name}"] = vals[p]
            if is_sampled(pooled, p):
                sampled.append(f"uniform {n} {name}")
    return grid, uniform, sampled


def _record_span(run_dir: Path) -> dict[str, float]:
    """Wall time and completion tokens/s from the records' own timestamps (robust to
    interrupted invocations): span = last finish − first start over samples and judge calls."""
    _, _, samples, judges = load_run(run_dir)
    outs = [r.output for r in samples if r.output is not None]
    times = [(o.finished_at, o.latency_s) for o in outs]
    times += [(j.output.finished_at, j.output.latency_s) for j in judges if j.output is not None]
    if not times:
        return {}
    start = min(end - lat for end, lat in times)
    span = max(end for end, _ in times) - start
    toks = sum(o.completion_tokens for o in outs)
    return {"records_wall_s": span, "sample_tokens_per_s": toks / span if span > 0 else 0.0}


def _throughput(graded: GradedRun) -> dict[str, float]:
    inv = graded.manifest.invocations
    wall = float(sum(i.wall_s for i in inv))
    comp = float(sum(i.completion_tokens for i in inv))
    gen_comp = float(sum(t.completion_tokens.sum() for t in graded.tables))
    return {
        "wall_s": wall,
        "completion_tokens_all_calls": comp,
        "completion_tokens_samples": gen_comp,
        "tokens_per_s": comp / wall if wall else 0.0,
    }


def _model_name(graded: GradedRun) -> str:
    """The served model's name; the offline server's ``local`` is named by its file."""
    name = str(graded.config.get("model") or "model")
    sha = graded.manifest.model_file_sha256
    if name == "local":
        from align_theory.llm.local_model import MODEL_FILENAME

        return MODEL_FILENAME.removesuffix(".gguf") + (f" ({str(sha)[:8]})" if sha else "")
    return name


def _estimates(vals: dict[str, np.ndarray], reps: int, seed: int) -> dict[str, dict[str, Any]]:
    return {k: vars(e) for k, e in bootstrap_ci(vals, reps=reps, seed=seed).items()}


def replay(
    run_dir: Path,
    *,
    bootstrap: int = 2000,
    seed: int = 0,
    quiet: bool = True,
    regrade: bool = False,
) -> dict[str, Any]:
    """Re-score a stored run and write ``results.json`` (and the candidate tables).

    Grading reads the stored verdicts (``grading.json``) unless ``regrade``.
    """
    reps = bootstrap
    graded = grade_run(run_dir, regrade=regrade)
    tables = graded.tables
    if not tables:
        raise ValueError(f"{run_dir}: no question has all its samples recorded")
    pool = pool_of(graded)
    pool.to_table(run_dir / "candidates.parquet")
    pool.to_table(run_dir / "candidates.csv")
    _, m_all, k_all = pool.shape
    bayes, fits = cross_fit_bayes(pool)
    grid_vals, uni_vals, sampled = _evaluate(pool, bayes, seed)
    judge_tokens = float(np.mean([t.judge_tokens.mean() for t in tables]))
    grid: dict[str, Any] = {}
    for key, vals in grid_vals.items():
        m, k = (int(v) for v in key.split("x"))
        vals = dict(vals) | {f"{a} - {b}": vals[a] - vals[b] for a, b in PAIRS}
        grid[key] = {
            "m": m,
            "k": k,
            "n": m * k,
            "estimates": _estimates(vals, reps, seed),
            "costs": {p: protocol_costs(pool, judge_tokens, p, m * k, m) for p in PROTOCOL_ORDER},
        }
    uniform: dict[str, Any] = {}
    n_all = m_all * k_all
    for n in range(1, n_all + 1):
        vals = {name: uni_vals[f"{n}|{name}"] for name in UNIFORM}
        vals["pass@k"] = np.array(
            [pass_at_k(n_all, int(t.correct.sum()), n) for t in tables], dtype=float
        )
        uniform[str(n)] = _estimates(vals, reps, seed)
    usc: dict[str, Any] = {}
    for k in range(1, k_all + 1):
        have = [t.usc[k] for t in tables if k in t.usc]
        if have:
            u_est = _estimates({"USC": np.array(have)}, reps, seed)["USC"]
            usc[str(k)] = {
                "n": m_all * k,
                "questions": len(have),
                "estimate": u_est,
                "calls": sum(t.usc_calls.get(k, 0) for t in tables),
                "unusable": sum(t.usc_unusable.get(k, 0) for t in tables),
                # answered calls by the rule that read the reply (parse_choice)
                "rules": {
                    rule: sum(t.usc_rules.get(k, {}).get(rule, 0) for t in tables)
                    for rule in ("number", "quote", "answer", "none")
                },
                "parser": PARSER_VERSION,
            }
    variants = _score_variants(graded, reps, seed) if graded.verified else {}
    debate: dict[str, Any] = {}
    rounds = sorted({r for t in tables for r in t.debate})
    for rnd in rounds:
        have = [t.debate[rnd] for t in tables if rnd in t.debate]
        debate[str(rnd)] = {
            "candidates": m_all * (rnd + 1),
            "questions": len(have),
            "estimate": _estimates({"Debate": np.array(have)}, reps, seed)["Debate"],
        }
    judge_aucs = _aucs(tables, "xhat")
    results = {
        "run": str(run_dir),
        "dataset": graded.config.get("dataset"),
        "model": _model_name(graded),
        "usc": usc,
        "debate": debate,
        "questions": len(tables),
        "incomplete_questions": graded.incomplete_questions,
        "M": m_all,
        "K": k_all,
        "candidates": graded.candidates,
        "failed_samples": graded.failed_samples,
        "unparsed": graded.unparsed,
        "unparsed_rate": graded.unparsed / max(graded.candidates, 1),
        "truncated": graded.truncated,
        "truncation_rate": graded.truncated / max(graded.candidates, 1),
        "max_tokens": graded.config.get("max_tokens"),
        "verify_errors": graded.verify_errors,
        "missing_judge": graded.missing_judge,
        "verified": graded.verified,
        "usc_context_exceeded": graded.usc_context_exceeded,
        "agent_score_variants": variants,
        "sample_accuracy": float(np.mean([t.correct.mean() for t in tables])),
        "judge_auc": judge_aucs["pooled"],
        "judge_auc_detail": judge_aucs,
        "verify_auc_detail": _aucs(tables, "verify") if graded.verified else None,
        "bayes_weights_by_fold": [vars(f) for f in fits],
        "sampled_cells": sampled,
        "throughput": _throughput(graded) | _record_span(run_dir),
        "model_file_sha256": graded.manifest.model_file_sha256,
        "config_hash": graded.manifest.config_hash,
        "grid": grid,
        "uniform": uniform,
    }
    write_json_atomic(run_dir / "results.json", results)
    if not quiet:
        print(
            f"{len(tables)} questions, {graded.candidates} candidates, "
            f"sample accuracy {results['sample_accuracy']:.3f}, "
            f"unparsed {results['unparsed_rate']:.3f}, {graded.checker_calls} new grading "
            f"verdicts -> {run_dir / 'results.json'}"
        )
    return results


def _score_variants(graded: GradedRun, reps: int, seed: int) -> dict[str, Any]:
    """:data:`SCORE_PROTOCOLS` at n = M·k under every agent score, paired with ``vote``.

    ``{score: {"by_k": {k: {protocol or "protocol - protocol[vote]": estimate}},
    "bayes_weights_by_fold": …}}``; bootstrap resamples shared with the main table (same
    seed), so differences are paired over questions.
    """
    per_score: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    fits: dict[str, list[dict[str, float]]] = {}
    for score in AGENT_SCORES:
        pool = pool_of(graded, score)
        _, m_all, k_all = pool.shape
        w, f = cross_fit_bayes(pool)
        fits[score] = [vars(x) for x in f]
        per_score[score] = {}
        for k in range(1, k_all + 1):
            protos = _grid_protocols(m_all, k, m_all)
            protos = {nm: protos[nm] for nm in SCORE_PROTOCOLS if nm in protos}
            got = pool_values_many(pool, protos.values(), seed=seed, bayes=w)
            out = {nm: got[p] for nm, p in protos.items()}
            sl = Shortlist(m_all * k, min(m_all, m_all * k), "judge")
            out["Shortlist"] = pool_values_many(pool.pooled(), [sl], seed=seed)[sl]
            per_score[score][k] = out
    res: dict[str, Any] = {}
    for score in AGENT_SCORES:
        res[score] = {"bayes_weights_by_fold": fits[score], "by_k": {}}
        for k, vals0 in per_score[score].items():
            vals: dict[str, np.ndarray] = dict(vals0)
            if score != "vote":
                base = per_score["vote"][k]
                vals |= {f"{p} - {p}[vote]": vals[p] - base[p] for p in SCORE_PROTOCOLS}
            res[score]["by_k"][str(k)] = _estimates(vals, reps, seed)
    return res


def auc(score: np.ndarray, correct: np.ndarray) -> float | None:
    """P(score of a random correct candidate > that of a random wrong one), ties ½.

    None when either class is empty.
    """
    pos, neg = score[correct], score[~correct]
    if len(pos) == 0 or len(neg) == 0:
        return None
    gt = (pos[:, None] > neg[None, :]).mean()
    eq = (pos[:, None] == neg[None, :]).mean()
    return float(gt + 0.5 * eq)


def _aucs(tables: list[QuestionTable], attr: str) -> dict[str, float | int | None]:
    """Pooled AUC of a candidate score (``xhat`` or ``verify``) over all candidates, and
    the mean of the per-question AUCs over the questions with right and wrong candidates
    (how well the score ranks candidates *of one question*, which is what selection needs).
    """
    score = [np.nan_to_num(getattr(t, attr), nan=0.5).ravel() for t in tables]
    correct = [t.correct.ravel() for t in tables]
    within = [auc(s, c) for s, c in zip(score, correct, strict=True)]
    have = [w for w in within if w is not None]
    pooled = auc(np.concatenate(score), np.concatenate(correct)) if tables else None
    return {
        "pooled": pooled,
        "within_question": float(np.mean(have)) if have else None,
        "questions_mixed": len(have),
    }


def _auc_lines(res: dict[str, Any]) -> list[str]:
    out = []
    for name, key in (
        ("Judge x̂", "judge_auc_detail"),
        ("Self-verification v", "verify_auc_detail"),
    ):
        d = res.get(key)
        if d and d["pooled"] is not None:
            within = "n/a" if d["within_question"] is None else f"{d['within_question']:.3f}"
            out += [
                f"{name}: AUC {d['pooled']:.3f} over all candidates, {within} on average within "
                f"the {d['questions_mixed']} questions that have right and wrong candidates.",
                "",
            ]
    return out


def _fmt(e: dict[str, float]) -> str:
    return f"{e['mean']:.3f} [{e['lo']:.3f}, {e['hi']:.3f}]"


def render_markdown(res: dict[str, Any]) -> str:
    """Markdown tables: grid(M, k) for all protocols, differences, uniform baselines."""
    m_all, k_all = res["M"], res["K"]
    trunc = res.get("truncation_rate", 0.0)
    warn = (
        [
            f"**Warning: {trunc:.0%} of the samples stopped at max_tokens = "
            f"{res.get('max_tokens')}** (cut before their final answer); accuracies are "
            "those of truncated reasoning. Raise `--max-tokens` for a fair run.",
            "",
        ]
        if trunc > TRUNCATION_WARN
        else []
    )
    sampled = res.get("sampled_cells") or []
    lines = [
        f"Run `{res['run']}`: {res['questions']} questions, M = {m_all} agents × K = {k_all}, "
        f"{res['candidates']} candidates ({res['failed_samples']} failed), sample accuracy "
        f"{res['sample_accuracy']:.3f}, unparsed rate {res['unparsed_rate']:.3f}, "
        f"verify errors {res['verify_errors']}, judge AUC "
        + (f"{res['judge_auc']:.3f}" if res["judge_auc"] is not None else "n/a")
        + f", missing judge verdicts {res['missing_judge']}, truncated at max_tokens "
        f"{res.get('truncated', 0)} ({trunc:.1%}).",
        "",
        *warn,
        (
            "Every cell is the exact average over all sub-pools (no sampling)."
            if not sampled
            else f"Sampled cells (a uniform sample of sub-pools): {', '.join(sampled)}."
        ),
        "",
        "SingleAgent is the theory's: argmax of the agents' own scores (vote share within "
        "each agent, log-prob tie-break) over the same candidates Align reads (T1). "
        "SingleAgent-pooled is one pipeline voting over all the candidates it holds, and "
        "Shortlist is that pipeline's top m by pooled vote judged by x̂ (both over uniform "
        "n-subsets of the N candidates).",
        "",
        *_auc_lines(res),
        (
            f"Throughput: {res['throughput']['tokens_per_s']:.1f} completion tokens/s over "
            f"{res['throughput']['wall_s']:.0f} s of wall time (all logged invocations, judge "
            "calls included)."
            if res["throughput"]["wall_s"] > 0
            else "Throughput: no invocation logged its wall time (killed runs log none)."
        ),
        "",
        f"From the records' timestamps: {res['throughput'].get('records_wall_s', 0.0):.0f} s "
        "from the first request to the last answer, "
        f"{res['throughput'].get('sample_tokens_per_s', 0.0):.1f} agent-sample completion "
        "tokens/s.",
        "",
        f"### Accuracy at budget n = M·k (all {m_all} agents, k samples each; 95% bootstrap CI)",
        "",
    ]
    ks = list(range(1, k_all + 1))
    head = "| protocol | " + " | ".join(f"n = {m_all * k}" for k in ks) + " |"
    lines += [head, "|---" * (len(ks) + 1) + "|"]
    for p in PROTOCOL_ORDER:
        cells = [_fmt(res["grid"][f"{m_all}x{k}"]["estimates"][p]) for k in ks]
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines += ["", "### Paired differences (same questions, same candidates)", "", head]
    lines.append("|---" * (len(ks) + 1) + "|")
    for a, b in PAIRS:
        key = f"{a} - {b}"
        cells = [_fmt(res["grid"][f"{m_all}x{k}"]["estimates"][key]) for k in ks]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += ["", "### Cost per question at n = M·k (candidates / judge calls / tokens)", ""]
    lines += [head, "|---" * (len(ks) + 1) + "|"]
    for p in PROTOCOL_ORDER:
        cells = []
        for k in ks:
            c = res["grid"][f"{m_all}x{k}"]["costs"][p]
            cells.append(f"{c['candidates']} / {c['judge_calls']} / {c['tokens']:.0f}")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines += ["", "### Align with m agents × k samples (judge rule / bayes rule)", ""]
    lines += ["| m \\ k | " + " | ".join(str(k) for k in ks) + " |", "|---" * (len(ks) + 1) + "|"]
    for m in range(1, m_all + 1):
        cells = []
        for k in ks:
            est = res["grid"][f"{m}x{k}"]["estimates"]
            cells.append(f"{est['Align-judge']['mean']:.3f} / {est['Align-bayes']['mean']:.3f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    if res.get("usc") or res.get("debate"):
        lines += ["", "### Universal self-consistency and multi-agent debate", ""]
        lines += ["| protocol | candidates | questions | accuracy [95% CI] |", "|---|---|---|---|"]
        for k, u in res.get("usc", {}).items():
            bad = (
                f"; {u['unusable']} of {u['calls']} replies named no response: uniform pick"
                if u.get("calls")
                else ""
            )
            rules = u.get("rules", {})
            if rules.get("quote") or rules.get("answer"):
                bad += (
                    f"; read by number {rules.get('number', 0)}, by quoted tail "
                    f"{rules.get('quote', 0)}, by stated answer {rules.get('answer', 0)}"
                )
            lines.append(
                f"| USC (k = {k} per agent; 1 selection call{bad}) | {u['n']} "
                f"| {u['questions']} | {_fmt(u['estimate'])} |"
            )
        for rnd, d in res.get("debate", {}).items():
            lines.append(
                f"| Debate, {rnd} round(s) (plurality of agents) | {d['candidates']} "
                f"| {d['questions']} | {_fmt(d['estimate'])} |"
            )
        if res.get("usc_context_exceeded"):
            lines += [
                "",
                f"{res['usc_context_exceeded']} USC call(s) were refused by the server because "
                "the responses did not fit its context window; each counts as a uniform pick "
                "among its responses (USC cannot run there).",
            ]
    if res.get("agent_score_variants"):
        lines += _variant_lines(res, ks)
    lines += [
        "",
        "### One pipeline at every budget n ≤ N (uniform n-subsets of the pool, pooled vote)",
        "",
    ]
    cols = ["RandomPick", "SingleAgent", "MajorityVote", "Shortlist", "PrincipalBestOfN"]
    cols += ["Oracle", "pass@k"]
    lines += ["| n | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for n, est in res["uniform"].items():
        lines.append(f"| {n} | " + " | ".join(_fmt(est[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _variant_lines(res: dict[str, Any], ks: list[int]) -> list[str]:
    m_all = res["M"]
    var = res["agent_score_variants"]
    lines = [
        "",
        "### Agent score: vote share vs self-verification (n = M·k; 95% bootstrap CI)",
        "",
        f"{res['verified']} of {res['candidates']} candidates carry the agent's own P(yes) "
        "(the rest count as 1/2). `vote`: y = vote share, log-prob tie-break; `vote+verify`: "
        "self-verification tie-break; `verify`: y = r = P(yes). Self-verification costs n "
        "extra one-token calls per question at budget n.",
        "",
        "| protocol [agent score] | " + " | ".join(f"n = {m_all * k}" for k in ks) + " |",
        "|---" * (len(ks) + 1) + "|",
    ]
    for p in SCORE_PROTOCOLS:
        for score in AGENT_SCORES:
            cells = [_fmt(var[score]["by_k"][str(k)][p]) for k in ks]
            lines.append(f"| {p} [{score}] | " + " | ".join(cells) + " |")
    for score in AGENT_SCORES[1:]:
        for p in SCORE_PROTOCOLS:
            key = f"{p} - {p}[vote]"
            cells = [_fmt(var[score]["by_k"][str(k)][key]) for k in ks]
            lines.append(f"| {p} [{score}] − [vote] | " + " | ".join(cells) + " |")
    return lines


PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Align: principal rules", ("Align-judge", "Align-bayes", "Align-vote")),
    (
        "Baselines on the same candidates",
        ("SingleAgent", "SingleAgent-pooled", "MajorityVote", "Shortlist", "PrincipalBestOfN"),
    ),
    ("References (read the gold answer)", ("RandomPick", "Align-exact", "Oracle")),
)
_STYLE = {  # colour-blind safe (Okabe–Ito), distinct markers
    "Align-judge": ("#0072B2", "o"),
    "Align-bayes": ("#D55E00", "s"),
    "Align-vote": ("#009E73", "^"),
    "SingleAgent": ("#CC79A7", "D"),
    "SingleAgent-pooled": ("#CC79A7", "d"),
    "MajorityVote": ("#E69F00", "v"),
    "Shortlist": ("#56B4E9", "P"),
    "PrincipalBestOfN": ("#000000", "X"),
    "RandomPick": ("#999999", "."),
    "Align-exact": ("#0072B2", ""),
    "Oracle": ("#000000", ""),
}


def render_figure(res: dict[str, Any], path: Path) -> None:
    """Accuracy vs budget n = M·k in three panels (Align's rules; baselines; references),
    x positions dodged within each panel, 95% bootstrap CIs; references are dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m_all, k_all = res["M"], res["K"]
    ks = range(1, k_all + 1)
    ns = np.array([m_all * k for k in ks], dtype=float)
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.4), sharey=True)
    for ax, (title, names) in zip(axes, PANELS, strict=True):
        width = 0.5 * m_all / max(len(names), 1)
        for j, p in enumerate(names):
            est = [res["grid"][f"{m_all}x{k}"]["estimates"].get(p) for k in ks]
            if any(e is None for e in est):
                continue
            mean = np.array([e["mean"] for e in est])
            err = np.array([[e["mean"] - e["lo"] for e in est], [e["hi"] - e["mean"] for e in est]])
            colour, marker = _STYLE.get(p, ("#444444", "o"))
            if p in REFERENCES:
                ax.plot(ns, mean, "--" if p == "Oracle" else ":", color=colour, lw=1.6, label=p)
                ax.fill_between(ns, mean - err[0], mean + err[1], color=colour, alpha=0.08)
                continue
            x = ns + (j - (len(names) - 1) / 2) * width
            ls = ":" if p.endswith("pooled") else "-"
            ax.errorbar(
                x, mean, yerr=err, fmt=marker, ls=ls, color=colour, capsize=3, ms=5, label=p
            )
        ax.set_title(title, fontsize=10)
        ax.set_xticks(ns)
        ax.set_xlabel("candidate budget n = M·k")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("accuracy (95% bootstrap CI over questions)")
    ds = res.get("dataset") or "run"
    model = res.get("model") or "model"
    fig.suptitle(
        f"{ds}, {model}: M = {m_all} agents × K = {k_all} samples, {res['questions']} questions"
        + (
            f"; {res['truncation_rate']:.0%} of samples truncated"
            if res.get("truncation_rate")
            else ""
        ),
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def report(run_dir: Path, *, bootstrap: int = 2000, seed: int = 0, replay_run: bool = False) -> str:
    """Write ``report.md`` and ``report.png`` from the stored ``results.json``; replay first
    only when it is absent (or ``replay_run``). Returns the markdown."""
    stored = run_dir / "results.json"
    if replay_run or not stored.exists():
        res = replay(run_dir, bootstrap=bootstrap, seed=seed)
    else:
        res = json.loads(stored.read_text())
        if "truncation_rate" not in res:  # written by an older version: replay
            res = replay(run_dir, bootstrap=bootstrap, seed=seed)
    text = render_markdown(res)
    (run_dir / "report.md").write_text(text)
    render_figure(res, run_dir / "report.png")
    return text
