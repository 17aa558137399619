"""Agents, prompts, the judge prompt, and per-sample seeds.

An agent is a (role system prompt, temperature, optional model) triple. Every agent's
system prompt states the team incentive (docs/design.md T7): it is rewarded only when the final
answer the principal selects is correct. The user turn is the question followed by
"Please reason step by step, and put your final answer within \\boxed{}."

The judge (the principal) sees the question and one proposed solution and answers "yes" or
"no"; x̂ = P(yes) is read from the first token's log-probabilities (see
:func:`yes_probability`). Optionally each agent also verifies its own candidates
(:func:`verify_messages`): its confidence v = P(yes) can break vote-share ties or be the
agent score itself (``AGENT_SCORES`` in :mod:`.report`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from align_theory.llm.store import canonical_json

__all__ = [
    "INCENTIVE",
    "JUDGE_SYSTEM",
    "ROLES",
    "AgentSpec",
    "agent_messages",
    "default_agents",
    "judge_messages",
    "prompt_hash",
    "sample_seed",
    "verify_messages",
    "yes_probability",
]

INCENTIVE = (
    "You are one of several agents solving the same problem. A principal will select one "
    "proposed solution; every agent is rewarded only when the selected final answer is correct."
)
STEP_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

ROLES: tuple[tuple[str, str], ...] = (
    ("careful", "You are a careful mathematician who double-checks each arithmetic step."),
    ("teacher", "You are a patient math teacher who explains each step plainly."),
    ("skeptic", "You are a skeptical problem solver who re-reads the question before answering."),
    ("concise", "You are an efficient solver who writes short, precise solutions."),
)
TEMPERATURES: tuple[float, ...] = (0.6, 0.8, 0.7, 0.9)

JUDGE_SYSTEM = (
    "You are a strict grader. You check whether a proposed solution to a math problem "
    "reaches the correct final answer. Reply with exactly one word: yes or no."
)


@dataclass(frozen=True)
class AgentSpec:
    """One agent: a name, a role (system prompt), a temperature, an optional model."""

    name: str
    role: str
    temperature: float
    model: str | None = None


def default_agents(m: int) -> list[AgentSpec]:
    """M agents cycling through the roles and temperatures above."""
    if m < 1:
        raise ValueError("need at least one agent")
    out = []
    for i in range(m):
        name, role = ROLES[i % len(ROLES)]
        out.append(AgentSpec(f"a{i}-{name}", role, TEMPERATURES[i % len(TEMPERATURES)]))
    return out


def agent_messages(agent: AgentSpec, question: str) -> list[dict[str, str]]:
    """Chat messages for one agent sample."""
    return [
        {"role": "system", "content": f"{agent.role} {INCENTIVE}"},
        {"role": "user", "content": f"{question}\n\n{STEP_PROMPT}"},
    ]


def judge_messages(question: str, solution: str) -> list[dict[str, str]]:
    """Chat messages for one judge call on one proposed solution."""
    user = (
        f"Problem:\n{question}\n\nProposed solution:\n{solution}\n\n"
        "Is the final answer of the proposed solution correct? Answer yes or no."
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


VERIFY_PROMPT = (
    "Check your solution above. Is its final answer correct? Reply with exactly one word: "
    "yes or no."
)


def verify_messages(agent: AgentSpec, question: str, solution: str) -> list[dict[str, str]]:
    """Chat messages for the agent's self-verification of one of its own candidates.

    The agent's own conversation (its system prompt and question, its solution as the
    assistant turn) continued by :data:`VERIFY_PROMPT`; the agent's confidence
    v = P(yes) / (P(yes) + P(no)) is read from the reply's first-token log-probabilities
    (:func:`yes_probability`). Keeping the sample's prefix lets a server's prompt cache
    reuse the sample's KV state when it still holds it.
    """
    return [
        *agent_messages(agent, question),
        {"role": "assistant", "content": solution},
        {"role": "user", "content": VERIFY_PROMPT},
    ]


def prompt_hash(messages: list[dict[str, str]]) -> str:
    """SHA-256 of the canonical JSON of the messages (part of the store key)."""
    return hashlib.sha256(canonical_json(messages).encode()).hexdigest()


def sample_seed(run_seed: int, dataset: str, qid: str, agent: str, index: int) -> int:
    """Per-sample seed in [0, 2^31): a hash of (run seed, dataset, question, agent, index).

    Distinct sample indices get distinct seeds (up to hash collisions, 2^-31), so a server
    that honours seeds never returns the same sample for two indices.
    """
    text = f"{run_seed}|{dataset}|{qid}|{agent}|{index}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


def yes_probability(top_logprobs: dict[str, float]) -> float | None:
    """x̂ = P(yes) / (P(yes) + P(no)) from the first token's top log-probabilities.

    Tokens are matched after stripping spaces/punctuation and lower-casing ("Yes", " yes"
    both count as yes). Renormalizing over {yes, no} removes the mass on formatting tokens.
    None when neither word is among the alternatives.
    """
    p_yes = p_no = 0.0
    for tok, lp in top_logprobs.items():
        word = tok.strip().strip(".,:;!\"'*").lower()
        if word == "yes":
            p_yes += math.exp(lp)
        elif word == "no":
            p_no += math.exp(lp)
    total = p_yes + p_no
    return p_yes / total if total > 0 else None
