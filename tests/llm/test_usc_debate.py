"""USC and debate prompts, and the USC reply parser on real and hand-built replies."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from align_theory.llm.agents import default_agents, prompt_hash
from align_theory.llm.debate import debate_messages
from align_theory.llm.usc import (
    USC_PROMPT_VERSION,
    Choice,
    parse_choice,
    presentation_order,
    usc_messages,
)

RUN = Path(__file__).resolve().parents[2] / "runs" / "gsm8k-qwen0.5b-m4k4"


@pytest.mark.parametrize("version", [1, 2, 3], ids=["v1", "v2", "v3"])
def test_usc_prompt_numbers_responses_and_keeps_tails(version):
    msgs = usc_messages("Q?", ["x" * 1000 + "\\boxed{5}", "short \\boxed{6}"], 50, version)
    user = msgs[-1]["content"]
    assert "Response 1: …" in user and "\\boxed{5}" in user and "Response 2: short" in user
    assert "x" * 60 not in user
    # the new prompt has no placeholder to copy and names the range of valid numbers
    assert ("Response X" in user) == (version == 1)
    assert ("number from 1 to 2" in user) == (version >= 2)


@pytest.mark.parametrize("n", [2, 4, 8], ids=["n2", "n4", "n8"])
def test_presentation_order_shows_each_response_first_uniformly(n):
    """Over 4,000 pools of fresh keys, version 3 shows each pooled response first about
    1/n of the time (each count within 4.5 binomial sd) and its rank is a permutation fixed
    by the keys; versions 1 and 2 show the pool as drawn."""
    import hashlib

    import numpy as np

    trials = 4000
    firsts = np.zeros(n)
    for t in range(trials):
        keys = [hashlib.sha256(f"{t}/{i}".encode()).hexdigest() for i in range(n)]
        order = presentation_order(keys, version=3)
        assert sorted(order) == list(range(n)) and order == presentation_order(keys, 3)
        firsts[order[0]] += 1
        assert presentation_order(keys, 1) == presentation_order(keys, 2) == tuple(range(n))
    sd = np.sqrt(trials * (1 / n) * (1 - 1 / n))
    assert np.all(np.abs(firsts - trials / n) < 4.5 * sd), firsts
    with pytest.raises(ValueError, match="version must be one of"):
        presentation_order(["a"], version=4)
    with pytest.raises(ValueError, match="keys must name at least one response"):
        presentation_order([])


def test_usc_prompt_refuses_an_unknown_version():
    with pytest.raises(ValueError, match="version must be one of"):
        usc_messages("Q?", ["a"], version=7)


@pytest.mark.parametrize(
    ("text", "n", "want"),
    [
        ("The most consistent response is Response 3.", 4, (2,)),
        ("I pick response #2", 4, (1,)),
        ("Response three", 4, (2,)),
        ("The most consistent response is response four.", 4, (3,)),
        ("the third response", 4, (2,)),
        ("the 2nd one", 4, (1,)),
        ("#3", 4, (2,)),
        ("3", 4, (2,)),
        (' "4". ', 4, (3,)),
        ("**2**", 4, (1,)),
        ("Response 12", 16, (11,)),
        ("response seventeen", 20, (16,)),
        # out of range, a placeholder, nothing: no pick
        ("The most consistent response is Response 9", 4, ()),
        ("The most consistent response is Response X.", 4, ()),
        ("none of them", 4, ()),
        ("The answer is 3.", 4, ()),  # an answer value is no response number
    ],
    ids=lambda v: repr(v)[:30] if isinstance(v, str) else None,
)
def test_number_rule(text, n, want):
    got = parse_choice(text, n)
    assert got.indices == want and got.rule == ("number" if want else "none")


# real tails of runs/gsm8k-qwen0.5b-m4k4 (question 29, k = 1), each cut as shown (300 chars)
BOOTS = [
    "ions:\n\n1. \\( b = h_1 + h_2 - 5 = 33 + 66 - 5 = 104 \\).\n\nSince both equations "
    "represent the same cost of the boots, we can conclude that the cost of the boots is "
    "\\( 104 \\) dollars.\n\nLet's confirm this by writing the Python code.\n```",
    "5. **Conclusion:**\n   The cost of the second pair of high heels is $0.\n\nTherefore, "
    "the cost of the boots is \\(\\boxed{0}\\).",
    "ract \\( C \\) from both sides:\n   \\[\n   61 = 0\n   \\]\n   Since this equation is "
    "incorrect, we need to re-evaluate the problem setup.\n\n5. **Re",
    "3. **Sum the costs of both pairs of heels:**\n   \\[\n   \\text{Total cost of the "
    "boots} = 33 + 66 = 109\n   \\]\n\nTherefore, the total cost of the boots is \\boxed{109}.",
]
BOOTS_ANSWERS = ["104", "0", "5", "109"]


def _cut(tails: list[str]) -> list[str]:
    """Full responses whose last 300 characters are ``tails`` (so each is shown cut)."""
    return ["x" * 400 + t.rjust(300) for t in tails]


@pytest.mark.parametrize(
    ("reply", "want"),
    [
        # real replies of the stored run (the template's placeholder, then a quote)
        (
            "The most consistent response is Response X: The cost of the boots is \\( 104 \\) "
            "dollars.",
            Choice((0,), "quote"),
        ),
        # a reply that opens like a shown tail ("…" + its start) and drifts after it
        (
            "The most consistent response is Response X: …ract \\( C \\) from both sides: so "
            "the total is 61",
            Choice((2,), "quote"),
        ),
        # completing the tail's cut first word ("ract" -> "subtract") still opens it
        ("Response X: …subtract \\( C \\) from both sides:\n \\[ 61", Choice((2,), "quote")),
        # the placeholder and the template again: unusable (126 + 6 of the stored replies)
        ("The most consistent response is Response X.", Choice((), "none")),
        (
            'The most consistent response is Response X: "The most consistent response is '
            'Response X".',
            Choice((), "none"),
        ),
        ("The most consistent", Choice((), "none")),  # cut at max_tokens
        # a stated answer: the responses with that final answer
        ("The answer is \\boxed{109}.", Choice((3,), "answer")),
        ("The answer is 12.", Choice((), "none")),  # no response has it
        # a number wins over a quote of another response (it names one)
        (
            "The most consistent response is Response 2: …ract \\( C \\) from both sides",
            Choice((1,), "number"),
        ),
    ],
    ids=[
        "quote-inside",
        "opening-drift",
        "opening-completed-word",
        "placeholder",
        "template-echo",
        "cut-off",
        "answer-boxed",
        "answer-absent",
        "number-first",
    ],
)
def test_quote_and_answer_rules_on_real_tails(reply, want):
    assert parse_choice(reply, _cut(BOOTS), BOOTS_ANSWERS) == want


def test_a_quote_or_answer_shared_by_several_responses():
    tails = ["so the total is 7 dozens. \\boxed{7}", "other \\boxed{6}"]
    texts = [tails[0], tails[1], "again: so the total is 7 dozens. \\boxed{7}"]
    # the span is in responses 1 and 3, which share the answer 7: a pick among both
    got = parse_choice('"so the total is 7 dozens"', texts, ["7", "6", "7"])
    assert got == Choice((0, 2), "quote") and got.unique is None
    # ... unless their answers differ: ambiguous, no pick
    assert parse_choice('"so the total is 7 dozens"', texts, ["7", "6", "8"]).rule == "none"
    # a quote too short to tell responses apart is no pick
    assert parse_choice('"7 dozens"', texts, ["7", "6", "8"]).rule == "none"
    # the stated answer 7 (normalised: "7.00") picks every response giving it
    assert parse_choice("\\boxed{7.00}", texts, ["7", "6", "7"]) == Choice((0, 2), "answer")
    with pytest.raises(ValueError, match="answers must hold one entry per response"):
        parse_choice("1", texts, ["7"])


def _stored_usc() -> list[tuple[dict, list[dict]]]:
    samples = {}
    for line in (RUN / "samples.jsonl").open():
        r = json.loads(line)
        samples[r["key"]] = r
    out = []
    for line in (RUN / "extras.jsonl").open():
        r = json.loads(line)
        if r.get("kind") == "usc" and not r.get("error"):
            out.append((r, [samples[k] for k in r["key_fields"]["sample_keys"]]))
    return out


def test_every_stored_reply_read_as_classified_by_hand():
    """The 198 answered USC calls of the stored run, read by hand (docs/empirical.md):
    53 name a response by number; 12 quote the start of one shown tail after the
    placeholder ("…is Response X: …<tail>"), 11 of them the opening of that tail and one a
    sentence inside it; 133 are unusable: 126 the bare placeholder, 6 the placeholder and
    the template again, 1 cut at "The most consistent"."""
    stored = _stored_usc()
    assert len(stored) == 198
    rules: Counter[str] = Counter()
    quoted = {}
    for rec, pool in stored:
        got = parse_choice(rec["text"], [p["text"] for p in pool], [p["answer"] for p in pool])
        rules[got.rule] += 1
        if got.rule == "number":  # the old parser's picks are kept
            assert got.unique == rec["choice"]
        elif got.rule == "quote":
            quoted[(rec["qid"], rec["k"])] = got.indices
        else:
            assert rec["choice"] is None and rec["text"].startswith("The most consistent")
            assert "Response X" in rec["text"] or rec["text"] == "The most consistent"
    assert rules == {"number": 53, "quote": 12, "none": 133}
    # the response each quote was read by hand to come from (1-based as shown)
    by_hand = {("3", 1): 1, ("5", 1): 1, ("5", 2): 1, ("6", 1): 1, ("13", 1): 1,
               ("18", 1): 2, ("22", 1): 1, ("22", 2): 2, ("29", 1): 1, ("35", 1): 1,
               ("37", 1): 1, ("47", 3): 1}  # fmt: skip
    assert quoted == {key: (i - 1,) for key, i in by_hand.items()}
    placeholder = Counter(r["text"] for r, _ in stored)
    assert placeholder["The most consistent response is Response X."] == 126


def test_prompt_version_1_still_identifies_the_stored_records():
    """Replaying or resuming the stored run finds its USC records: the version-1 prompt
    rebuilt from the stored samples hashes to each record's stored prompt hash."""
    questions = {}
    for line in (RUN / "questions.jsonl").open():
        q = json.loads(line)
        questions[q["qid"]] = q["text"]
    stored = _stored_usc()
    for rec, pool in stored[:20]:
        msgs = usc_messages(questions[rec["qid"]], [p["text"] for p in pool], version=1)
        assert prompt_hash(msgs) == rec["key_fields"]["prompt"]
        new = usc_messages(questions[rec["qid"]], [p["text"] for p in pool])
        assert prompt_hash(new) != rec["key_fields"]["prompt"]  # new runs: new keys
    assert USC_PROMPT_VERSION == 3


def test_debate_prompt_shows_others():
    agent = default_agents(3)[0]
    msgs = debate_messages(agent, "Q?", "mine \\boxed{1}", ["a \\boxed{2}", "b \\boxed{3}"])
    user = msgs[-1]["content"]
    assert "Agent 1: a \\boxed{2}" in user and "Agent 2: b \\boxed{3}" in user
    assert "mine \\boxed{1}" in user and "\\boxed{}" in user
    assert "rewarded only when" in msgs[0]["content"]
