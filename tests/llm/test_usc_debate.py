"""USC and debate prompts and parsing."""

from __future__ import annotations

from align_theory.llm.agents import default_agents
from align_theory.llm.debate import debate_messages
from align_theory.llm.usc import parse_choice, usc_messages


def test_usc_prompt_numbers_responses_and_keeps_tails():
    msgs = usc_messages("Q?", ["x" * 1000 + "\\boxed{5}", "short \\boxed{6}"], tail_chars=50)
    user = msgs[-1]["content"]
    assert "Response 1: …" in user and "\\boxed{5}" in user and "Response 2: short" in user
    assert "x" * 60 not in user


def test_parse_choice():
    assert parse_choice("The most consistent response is Response 3.", 4) == 2
    assert parse_choice("I pick response #2", 4) == 1
    assert parse_choice("The most consistent response is Response 9", 4) is None
    assert parse_choice("none of them", 4) is None


def test_debate_prompt_shows_others():
    agent = default_agents(3)[0]
    msgs = debate_messages(agent, "Q?", "mine \\boxed{1}", ["a \\boxed{2}", "b \\boxed{3}"])
    user = msgs[-1]["content"]
    assert "Agent 1: a \\boxed{2}" in user and "Agent 2: b \\boxed{3}" in user
    assert "mine \\boxed{1}" in user and "\\boxed{}" in user
    assert "rewarded only when" in msgs[0]["content"]
