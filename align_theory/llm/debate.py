"""Multi-agent debate (Du et al. 2023, "Improving Factuality and Reasoning in Language Models
through Multiagent Debate").

Round 0 is each agent's first sample (index 0 of the stored run). In round r ≥ 1 every agent
sees the question, its own previous solution and the other agents' previous solutions (each
by its last ``tail_chars`` characters) and writes an updated solution. The protocol's output
is the plurality answer of the agents' last round (ties uniformly at random). Cost: M·(R+1)
generated candidates for R rounds, with longer prompts from round 1 on.
"""

from __future__ import annotations

from align_theory.llm.agents import INCENTIVE, STEP_PROMPT, AgentSpec

__all__ = ["debate_messages"]


def debate_messages(
    agent: AgentSpec, question: str, own: str, others: list[str], tail_chars: int = 300
) -> list[dict[str, str]]:
    """Messages for one agent's debate round given the previous round's solutions."""
    shown = "\n\n".join(
        f"Agent {i}: " + ("…" if len(t) > tail_chars else "") + t[-tail_chars:]
        for i, t in enumerate(others, start=1)
    )
    own_tail = ("…" if len(own) > tail_chars else "") + own[-tail_chars:]
    user = (
        f"{question}\n\nYour previous solution ended: {own_tail}\n\n"
        f"The other agents' solutions ended:\n\n{shown}\n\n"
        "Use their reasoning as additional information and give an updated solution. "
        f"{STEP_PROMPT}"
    )
    return [
        {"role": "system", "content": f"{agent.role} {INCENTIVE}"},
        {"role": "user", "content": user},
    ]
