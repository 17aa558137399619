"""The judge's server class returns the same completion log-probabilities as logits_all=True.

Needs the ``llm`` extra and the offline model, like tests/llm/test_e2e_local.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from llama_cpp import Llama

from align_theory.llm.agents import judge_messages
from align_theory.llm.llama_server import GeneratedLogitsLlama
from align_theory.llm.local_model import assemble_model

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does he have?"
SOLUTIONS = ("3 + 4 = 7. The answer is \\boxed{7}.", "3 * 4 = 12. The answer is \\boxed{12}.")


def _top(llm: Llama, messages: list[dict[str, str]], max_tokens: int) -> list[dict[str, float]]:
    out = llm.create_chat_completion(
        messages, max_tokens=max_tokens, temperature=0.0, logprobs=True, top_logprobs=5
    )
    content = out["choices"][0]["logprobs"]["content"]
    assert len(content) == out["usage"]["completion_tokens"] > 0
    return [{d["token"]: d["logprob"] for d in pos["top_logprobs"]} for pos in content]


@pytest.fixture(scope="module")
def models() -> tuple[Llama, Llama]:
    path = str(assemble_model())
    kw = dict(model_path=path, n_threads=2, n_ctx=1024, verbose=False, seed=0)
    return GeneratedLogitsLlama(**kw), Llama(logits_all=True, **kw)


def test_generated_logprobs_equal_logits_all(models):
    fast, full = models
    # several calls in a row exercise the prompt-prefix cache (only a suffix is decoded)
    for solution in SOLUTIONS:
        for max_tokens in (1, 4):
            msgs = judge_messages(QUESTION, solution)
            a, b = _top(fast, msgs, max_tokens), _top(full, msgs, max_tokens)
            assert [list(p) for p in a] == [list(p) for p in b]  # same tokens, same order
            for pa, pb in zip(a, b, strict=True):
                np.testing.assert_allclose(list(pa.values()), list(pb.values()), atol=1e-4)


def test_prompt_logprobs_are_refused_not_wrong(models):
    fast, _ = models
    with pytest.raises(ValueError, match="echo=True"):
        fast.create_completion("1 + 1 =", max_tokens=1, echo=True, logprobs=3)
