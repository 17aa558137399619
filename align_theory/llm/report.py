"""Replay and report a stored run: estimates, tables and a figure, without any model.

:func:`replay` grades the stored samples, fits the ``bayes`` rule by 2-fold cross-fitting
over questions (weights fitted on one half of the questions score the other half, so no
question's own labels choose its weights), evaluates every protocol at every budget
(:mod:`.estimators`) and writes ``results.json``. :func:`report` renders ``report.md``
(protocol × budget with 95% bootstrap intervals and costs) and ``report.png``.

When the run has self-verification calls (``--self-verify``), the protocols that use the
agent score (Align's rules, SingleAgent, Shortlist) are also evaluated under the other agent
scores of :data:`~align_theory.llm.estimators.AGENT_SCORES` on the same candidates, with
paired differences against the default ``vote`` score.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from align_theory.llm.estimators import (
    AGENT_SCORES,
    BayesWeights,
    evaluate_grid,
    evaluate_uniform,
    fit_bayes,
    pass_at_k,
    protocol_costs,
)
from align_theory.llm.estimators import (
    bootstrap as bootstrap_ci,
)
from align_theory.llm.scoring import GradedRun, QuestionTable, grade_run, load_run
from align_theory.llm.store import write_json_atomic

__all__ = ["PROTOCOL_ORDER", "auc", "replay", "report"]

PROTOCOL_ORDER: tuple[str, ...] = (
    "Align-judge",
    "Align-bayes",
    "Align-vote",
    "SingleAgent",
    "MajorityVote",
    "Shortlist",
    "PrincipalBestOfN",
    "RandomPick",
    "Align-exact",
    "Oracle",
)
PAIRS: tuple[tuple[str, str], ...] = (
    ("Align-judge", "SingleAgent"),
    ("Align-bayes", "SingleAgent"),
    ("Align-vote", "SingleAgent"),
    ("Align-judge", "MajorityVote"),
    ("Align-bayes", "MajorityVote"),
    ("Align-judge", "Shortlist"),
    ("Align-judge", "PrincipalBestOfN"),
)


def _fold(qid: str) -> int:
    return hashlib.sha256(qid.encode()).digest()[0] & 1


SCORE_PROTOCOLS: tuple[str, ...] = (
    "Align-judge",
    "Align-bayes",
    "Align-vote",
    "SingleAgent",
    "Shortlist",
)
"""The protocols whose outcome depends on the agent score y (the others do not)."""


def _cross_fit(
    tables: list[QuestionTable], agent_score: str = "vote"
) -> tuple[list[BayesWeights], list[dict[str, float]]]:
    folds = [[t for t in tables if _fold(t.qid) == f] for f in (0, 1)]
    fitted = [fit_bayes(folds[1 - f] or folds[f], agent_score=agent_score) for f in (0, 1)]
    per_q = [fitted[_fold(t.qid)] for t in tables]
    return per_q, [vars(w) for w in fitted]


def _record_span(run_dir: Path) -> dict[str, float]:
    """Wall time and completion tokens/s from the records' own timestamps (robust to
    interrupted invocations): span = last finish − first start over samples and judge calls."""
    _, _, samples, judges = load_run(run_dir)
    recs = [r for r in samples + judges if not r.get("error") and "finished_at" in r]
    if not recs:
        return {}
    start = min(r["finished_at"] - r.get("latency_s", 0.0) for r in recs)
    span = max(r["finished_at"] for r in recs) - start
    toks = sum(int(r.get("completion_tokens", 0)) for r in samples if "finished_at" in r)
    return {"records_wall_s": span, "sample_tokens_per_s": toks / span if span > 0 else 0.0}


def _throughput(graded: GradedRun) -> dict[str, float]:
    inv = graded.manifest.get("invocations", [])
    wall = float(sum(i.get("wall_s", 0.0) for i in inv))
    comp = float(sum(i.get("completion_tokens", 0) for i in inv))
    gen_comp = float(sum(t.completion_tokens.sum() for t in graded.tables))
    return {
        "wall_s": wall,
        "completion_tokens_all_calls": comp,
        "completion_tokens_samples": gen_comp,
        "tokens_per_s": comp / wall if wall else 0.0,
    }


def replay(
    run_dir: Path, *, bootstrap: int = 2000, seed: int = 0, quiet: bool = True
) -> dict[str, Any]:
    """Re-score a stored run and write ``results.json``; returns the results dict."""
    reps = bootstrap
    graded = grade_run(run_dir)
    tables = graded.tables
    if not tables:
        raise ValueError(f"{run_dir}: no question has all its samples recorded")
    m_all, k_all = tables[0].shape
    n_all = m_all * k_all
    weights, fitted = _cross_fit(tables)
    grid: dict[str, Any] = {}
    for m in range(1, m_all + 1):
        for k in range(1, k_all + 1):
            rows = [
                evaluate_grid(t, m, k, w, seed=seed) for t, w in zip(tables, weights, strict=True)
            ]
            vals = {p: np.array([r[p] for r in rows]) for p in rows[0]}
            vals |= {f"{a} - {b}": vals[a] - vals[b] for a, b in PAIRS}
            est = bootstrap_ci(vals, reps=reps, seed=seed)
            grid[f"{m}x{k}"] = {
                "m": m,
                "k": k,
                "n": m * k,
                "estimates": {p: vars(e) for p, e in est.items()},
                "costs": {p: protocol_costs(tables, p, m * k, m) for p in rows[0]},
            }
    uniform: dict[str, Any] = {}
    for n in range(1, n_all + 1):
        rows = [evaluate_uniform(t, n, m_all, seed=seed) for t in tables]
        vals = {p: np.array([r[p] for r in rows]) for p in rows[0]}
        vals["pass@k"] = np.array(
            [pass_at_k(n_all, int(t.correct.sum()), n) for t in tables], dtype=float
        )
        est = bootstrap_ci(vals, reps=reps, seed=seed)
        uniform[str(n)] = {p: vars(e) for p, e in est.items()}
    usc: dict[str, Any] = {}
    for k in range(1, k_all + 1):
        have = [t.usc[k] for t in tables if k in t.usc]
        if have:
            u_est = bootstrap_ci({"USC": np.array(have)}, reps=reps, seed=seed)["USC"]
            usc[str(k)] = {"n": m_all * k, "questions": len(have), "estimate": vars(u_est)}
    variants = _score_variants(tables, m_all, k_all, reps, seed) if graded.verified else {}
    debate: dict[str, Any] = {}
    rounds = sorted({r for t in tables for r in t.debate})
    for rnd in rounds:
        have = [t.debate[rnd] for t in tables if rnd in t.debate]
        d_est = bootstrap_ci({"Debate": np.array(have)}, reps=reps, seed=seed)["Debate"]
        debate[str(rnd)] = {
            "candidates": m_all * (rnd + 1),
            "questions": len(have),
            "estimate": vars(d_est),
        }
    judge_aucs = _aucs(tables, "xhat")
    results = {
        "run": str(run_dir),
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
        "verify_errors": graded.verify_errors,
        "missing_judge": graded.missing_judge,
        "verified": graded.verified,
        "usc_context_exceeded": graded.usc_context_exceeded,
        "agent_score_variants": variants,
        "sample_accuracy": float(np.mean([t.correct.mean() for t in tables])),
        "judge_auc": judge_aucs["pooled"],
        "judge_auc_detail": judge_aucs,
        "verify_auc_detail": _aucs(tables, "verify") if graded.verified else None,
        "bayes_weights_by_fold": fitted,
        "throughput": _throughput(graded) | _record_span(run_dir),
        "model_file_sha256": graded.manifest.get("model_file_sha256"),
        "config_hash": graded.manifest.get("config_hash"),
        "grid": grid,
        "uniform": uniform,
    }
    write_json_atomic(run_dir / "results.json", results)
    if not quiet:
        print(
            f"{len(tables)} questions, {graded.candidates} candidates, "
            f"sample accuracy {results['sample_accuracy']:.3f}, "
            f"unparsed {results['unparsed_rate']:.3f} -> {run_dir / 'results.json'}"
        )
    return results


def _score_variants(
    tables: list[QuestionTable], m_all: int, k_all: int, reps: int, seed: int
) -> dict[str, Any]:
    """:data:`SCORE_PROTOCOLS` at n = M·k under every agent score, paired with ``vote``.

    ``{score: {k: {"estimates": {protocol or "protocol - protocol[vote]": estimate},
    "bayes_weights_by_fold": …}}}``; bootstrap resamples shared with the main table (same
    seed), so differences are paired over questions.
    """
    out: dict[str, Any] = {}
    per_score: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    fits: dict[str, list[dict[str, float]]] = {}
    for score in AGENT_SCORES:
        weights, fits[score] = _cross_fit(tables, score)
        per_score[score] = {}
        for k in range(1, k_all + 1):
            rows = [
                evaluate_grid(t, m_all, k, w, seed=seed, agent_score=score)
                for t, w in zip(tables, weights, strict=True)
            ]
            per_score[score][k] = {p: np.array([r[p] for r in rows]) for p in SCORE_PROTOCOLS}
    for score in AGENT_SCORES:
        out[score] = {"bayes_weights_by_fold": fits[score], "by_k": {}}
        for k in range(1, k_all + 1):
            vals = dict(per_score[score][k])
            if score != "vote":
                base = per_score["vote"][k]
                vals |= {f"{p} - {p}[vote]": vals[p] - base[p] for p in SCORE_PROTOCOLS}
            est = bootstrap_ci(vals, reps=reps, seed=seed)
            out[score]["by_k"][str(k)] = {p: vars(e) for p, e in est.items()}
    return out


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
    lines = [
        f"Run `{res['run']}`: {res['questions']} questions, M = {m_all} agents × K = {k_all}, "
        f"{res['candidates']} candidates ({res['failed_samples']} failed), sample accuracy "
        f"{res['sample_accuracy']:.3f}, unparsed rate {res['unparsed_rate']:.3f}, "
        f"verify errors {res['verify_errors']}, judge AUC "
        + (f"{res['judge_auc']:.3f}" if res["judge_auc"] is not None else "n/a")
        + f", missing judge verdicts {res['missing_judge']}.",
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
            lines.append(
                f"| USC (k = {k} per agent; 1 selection call) | {u['n']} | {u['questions']} "
                f"| {_fmt(u['estimate'])} |"
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
    lines += ["", "### Baselines at every budget n ≤ N (uniform n-subsets of the pool)", ""]
    cols = ["RandomPick", "SingleAgent", "MajorityVote", "PrincipalBestOfN", "Oracle", "pass@k"]
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


def render_figure(res: dict[str, Any], path: Path) -> None:
    """Accuracy vs budget: protocols on grid(M, k) with CIs, baselines on uniform n."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m_all, k_all = res["M"], res["K"]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ns = [m_all * k for k in range(1, k_all + 1)]
    for p in PROTOCOL_ORDER:
        est = [res["grid"][f"{m_all}x{k}"]["estimates"][p] for k in range(1, k_all + 1)]
        mean = np.array([e["mean"] for e in est])
        err = np.array([[e["mean"] - e["lo"] for e in est], [e["hi"] - e["mean"] for e in est]])
        style = "-o" if p.startswith("Align") else "--s"
        ax.errorbar(ns, mean, yerr=err, fmt=style, capsize=3, label=p, markersize=4)
    n_uni = [int(n) for n in res["uniform"]]
    ax.plot(
        n_uni,
        [res["uniform"][str(n)]["MajorityVote"]["mean"] for n in n_uni],
        ":",
        color="gray",
        label="MajorityVote, every n",
    )
    ax.set_xlabel("candidate budget n")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{res['questions']} questions, M={m_all}, K={k_all} (95% bootstrap CI)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(run_dir: Path, *, bootstrap: int = 2000, seed: int = 0) -> str:
    """Replay, then write ``report.md`` and ``report.png``; returns the markdown."""
    res = replay(run_dir, bootstrap=bootstrap, seed=seed)
    text = render_markdown(res)
    (run_dir / "report.md").write_text(text)
    render_figure(res, run_dir / "report.png")
    return text
