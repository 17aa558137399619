"""Universal self-consistency (USC): the model itself picks the most consistent answer.

Chen et al. (2023), "Universal Self-Consistency for Large Language Model Generation": the n
candidate responses are shown to the model, which names the one most consistent with the
others. Here each response is shown by its last ``tail_chars`` characters (where the final
answer is), so 16 responses fit a 2,048-token context for most GSM8K questions; a call the
server refuses as too long counts as a uniform pick (:mod:`.scoring`, which reports how
many there were). One USC call per (question, sub-pool);
its accuracy at budget n is estimated by ``reps`` random grid sub-pools per question (an
unbiased estimate of the average over sub-pools). An unparseable choice counts as a uniformly
random pick among the n (its expected correctness is the sub-pool's mean).
"""

from __future__ import annotations

import re

__all__ = ["USC_SYSTEM", "parse_choice", "usc_messages"]

USC_SYSTEM = "You compare candidate solutions to one math problem."
_CHOICE = re.compile(r"most consistent response is\s*(?:response\s*)?#?\s*(\d+)", re.I)
_ANY = re.compile(r"response\s*#?\s*(\d+)", re.I)


def usc_messages(
    question: str, responses: list[str], tail_chars: int = 300
) -> list[dict[str, str]]:
    """Chat messages asking which of ``responses`` (numbered from 1) is most consistent."""
    parts = [f"Problem:\n{question}\n\nCandidate responses:"]
    for i, text in enumerate(responses, start=1):
        tail = text[-tail_chars:]
        prefix = "…" if len(text) > tail_chars else ""
        parts.append(f"\nResponse {i}: {prefix}{tail}")
    parts.append(
        "\nSelect the response whose final answer agrees with the majority of the responses. "
        'Reply with: "The most consistent response is Response X".'
    )
    return [
        {"role": "system", "content": USC_SYSTEM},
        {"role": "user", "content": "\n".join(parts)},
    ]


def parse_choice(text: str, n: int) -> int | None:
    """0-based index of the chosen response, or None when no valid number is named."""
    m = _CHOICE.search(text) or _ANY.search(text)
    if not m:
        return None
    idx = int(m.group(1)) - 1
    return idx if 0 <= idx < n else None
