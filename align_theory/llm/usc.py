"""Universal self-consistency (USC): the model itself picks the most consistent answer.

Chen et al. (2023), "Universal Self-Consistency for Large Language Model Generation": the n
candidate responses are shown to the model, which names the one most consistent with the
others. Here each response is shown by its last ``tail_chars`` characters (where the final
answer is), so 16 responses fit a 2,048-token context for most GSM8K questions; a call the
server refuses as too long counts as a uniform pick (:mod:`.scoring`, which reports how
many there were). One USC call per (question, sub-pool);
its accuracy at budget n is estimated by ``reps`` random grid sub-pools per question (an
unbiased estimate of the average over sub-pools).

Prompt versions (:data:`USC_PROMPTS`; a run records its version, ``RunConfig.usc_prompt``):

* **1** (runs before the field existed): the responses, then "Reply with: \"The most
  consistent response is Response X\"". A 0.5B model copies the placeholder: 126 of the
  198 answered calls of ``runs/gsm8k-qwen0.5b-m4k4`` reply exactly "The most consistent
  response is Response X."
* **2**: the instruction before the responses and again after them, asking for the number
  alone (a whole number from 1 to n), with no placeholder letter and no example number to
  copy. The offline 0.5B model then names a response in 20 of 20 trial calls, but
  "1" in 16 of them: a position bias, and under version 2 position 1 is always the first
  agent's sample.
* **3** (new runs): version 2's wording, the responses shown in the order
  :func:`presentation_order` permutes them to, fixed by the pooled samples' keys. A reply
  names a position; the record's ``sample_keys`` (and so its ``choice``) are in the order
  shown, so position j maps back to the pooled sample ``sample_keys[j]`` and scoring is
  unchanged. A model that always answers "1" then picks each pooled response with
  probability 1/n over the permutations (its expected accuracy is the sub-pool's mean, a
  uniform pick) instead of always the first agent's sample.

The reply is read by :func:`parse_choice` (versioned by :data:`PARSER_VERSION`), the one
parser of the runner (the stored ``choice``) and of scoring, which re-parses the stored
reply so that an older run gains from a better parser without new model calls. Its rules,
in order: *number* (the response named by its number, number word or ordinal), *quote*
(the reply quotes a span of exactly one shown tail, or of several tails that share one
final answer), *answer* (the reply states a final answer, boxed or "the answer is …", that
some responses give). When several responses match (one answer shared), the choice is the
set of them: scoring counts a uniform pick among them (their mean correctness, equal to
each one's when the set is one answer). A reply no rule reads is *unusable*: a uniform
pick among all n (the sub-pool's mean correctness).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from align_theory.llm.answers import extract_answer, normalize_answer

__all__ = [
    "PARSER_VERSION",
    "USC_PROMPTS",
    "USC_PROMPT_VERSION",
    "USC_SYSTEM",
    "Choice",
    "parse_choice",
    "presentation_order",
    "usc_messages",
]

USC_SYSTEM = "You compare candidate solutions to one math problem."
USC_PROMPT_VERSION = 3
"""The prompt of new runs (versions 1 and 2 stay available to resume and replay older runs)."""
USC_PROMPTS = (1, 2, 3)
PARSER_VERSION = 2
"""Bumped whenever :func:`parse_choice` reads some reply differently (1: "Response N" only)."""

Rule = Literal["number", "quote", "answer", "none"]


def presentation_order(keys: Sequence[str], version: int = USC_PROMPT_VERSION) -> tuple[int, ...]:
    """The order in which a USC call shows its n pooled responses.

    Shown position j (0-based) holds pooled response ``order[j]``. Versions 1 and 2 show the
    pool as drawn (agent by agent: the identity). Version 3 sorts the positions by
    ``SHA-256(pool | i)``, where ``pool`` joins every pooled key in the drawn order and ``i``
    is the position in it: a permutation fixed by the call's key fields (a resume rebuilds
    the same prompt and key) and, the sample keys being hashes, unrelated to the agents, so
    over the calls of a run each pooled response comes first with probability 1/n.

    Parameters
    ----------
    keys : sequence of str
        The pooled samples' keys in the drawn order (one per response, n >= 1).
    version : int
        Prompt version, one of :data:`USC_PROMPTS`.

    Examples
    --------
    >>> presentation_order(["a", "b", "c"], version=2)
    (0, 1, 2)
    >>> order = presentation_order(["a", "b", "c"])
    >>> sorted(order), order == presentation_order(["a", "b", "c"])
    ([0, 1, 2], True)
    """
    if version not in USC_PROMPTS:
        raise ValueError(f"version must be one of {USC_PROMPTS}, got {version!r}")
    if not keys:
        raise ValueError("keys must name at least one response, got none")
    n = len(keys)
    if version < 3:
        return tuple(range(n))
    pool = "|".join(keys)
    rank = [hashlib.sha256(f"{pool}|{i}".encode()).hexdigest() for i in range(n)]
    return tuple(sorted(range(n), key=rank.__getitem__))


def usc_messages(
    question: str,
    responses: list[str],
    tail_chars: int = 300,
    version: int = USC_PROMPT_VERSION,
) -> list[dict[str, str]]:
    """Chat messages asking which of ``responses`` (numbered from 1) is most consistent.

    Parameters
    ----------
    question : str
        The problem.
    responses : list of str
        The n candidate responses; each is shown by its last ``tail_chars`` characters
        (prefixed with "…" when cut).
    tail_chars : int
        Characters of each response shown.
    version : int
        Prompt version, one of :data:`USC_PROMPTS` (the module docstring describes them);
        ``responses`` are shown in the order given (version 3's caller orders them by
        :func:`presentation_order`).

    Examples
    --------
    >>> msgs = usc_messages("Q?", ["a \\\\boxed{5}", "b \\\\boxed{6}"])
    >>> user = msgs[-1]["content"]
    >>> "Response 2: b" in user and "number from 1 to 2" in user and "Response X" not in user
    True
    >>> "Response X" in usc_messages("Q?", ["a", "b"], version=1)[-1]["content"]
    True
    """
    if version not in USC_PROMPTS:
        raise ValueError(f"version must be one of {USC_PROMPTS}, got {version!r}")
    n = len(responses)
    shown = []
    for i, text in enumerate(responses, start=1):
        tail = text[-tail_chars:]
        prefix = "…" if len(text) > tail_chars else ""
        shown.append(f"\nResponse {i}: {prefix}{tail}")
    if version == 1:
        parts = [f"Problem:\n{question}\n\nCandidate responses:", *shown]
        parts.append(
            "\nSelect the response whose final answer agrees with the majority of the "
            'responses. Reply with: "The most consistent response is Response X".'
        )
    else:
        ask = (
            "Find the final answer that most of the responses agree on and reply with the "
            f"number of one response that gives it: a whole number from 1 to {n}, nothing else."
        )
        parts = [f"Problem:\n{question}\n\n{ask}\n\nCandidate responses:", *shown]
        parts.append(
            "\nWhich response's final answer agrees with the majority of the responses? "
            f"Reply with its number only (a whole number from 1 to {n})."
        )
    return [
        {"role": "system", "content": USC_SYSTEM},
        {"role": "user", "content": "\n".join(parts)},
    ]


@dataclass(frozen=True)
class Choice:
    """The responses a USC reply picks (0-based; a uniform pick among them) and the rule.

    ``indices`` is empty when no rule reads the reply (``rule == "none"``: unusable).
    """

    indices: tuple[int, ...]
    rule: Rule

    @property
    def unique(self) -> int | None:
        """The one index picked, or None (no pick, or a set of several)."""
        return self.indices[0] if len(self.indices) == 1 else None


_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_VALUE = {w: i for i, w in enumerate(_WORDS, start=1)} | {
    w: i for i, w in enumerate(_ORDINALS, start=1)
}
_NUMWORD = r"\d+|" + "|".join(_WORDS[::-1])  # longest first: "seventeen" before "seven"
_ORDWORD = r"\d+(?:st|nd|rd|th)|" + "|".join(_ORDINALS[::-1])
_NUMBER_RULES = (
    # the template's phrase, then a reply that is only a number, then a response named
    # anywhere in the reply's first line ("I pick response #2", "the third response")
    re.compile(rf"most consistent response is\s*(?:response\s*)?#?\s*\b({_NUMWORD})\b", re.I),
    re.compile(rf"^[\s\"'`*(\[]*(?:response\s*)?#?\s*({_NUMWORD})[\s\"'`*)\].:]*$", re.I),
    re.compile(rf"\bresponse\s*(?:number\s*|no\.\s*)?#?\s*\b({_NUMWORD})\b", re.I),
    re.compile(rf"\b({_ORDWORD})\s+(?:response|one)\b", re.I),
    re.compile(r"(?:^|\s)#(\d+)\b"),
)
_TEMPLATE = re.compile(
    r"^(?:the most consistent response is\s*)?(?:response\s*(?:x|#?\s*\d+)\b)?\s*:?\s*", re.I
)
_QUOTE_CHARS = "\"'`“”‘’ "
_MIN_QUOTE = 12  # a shorter span (a number, "= 8") found inside a tail says nothing
_OPENING = 20  # a reply that opens like a shown tail: this many characters in common,
_MIN_OPENING = 4  # or the whole (shorter) span, at least this long


def _value(word: str) -> int:
    w = word.lower()
    if w in _VALUE:
        return _VALUE[w]
    return int(re.sub(r"(st|nd|rd|th)$", "", w))


def _flat(text: str) -> str:
    """Lower case, whitespace collapsed: the form quotes are matched in."""
    return " ".join(text.split()).lower()


def _by_number(text: str, n: int) -> int | None:
    head = text.strip().split("\n", 1)[0]
    for rule in _NUMBER_RULES:
        m = rule.search(head)
        if m:
            idx = _value(m.group(1)) - 1
            return idx if 0 <= idx < n else None
    return None


def _same_answer(idx: list[int], answers: Sequence[str | None]) -> bool:
    keys = {None if answers[i] is None else normalize_answer(str(answers[i])) for i in idx}
    return len(keys) == 1 and None not in keys


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _opening_match(span: str, tail: str) -> int:
    """Characters the reply's span shares with the start of a cut tail, allowing the reply
    to complete or drop the tail's cut first word ("…imes 5" quoted as "…times 5")."""
    whole = _common_prefix(span, tail)
    if whole == len(span):
        return whole  # the whole span opens the tail (a short one counts too)
    first_s, first_t = len(span.split(" ", 1)[0]), len(tail.split(" ", 1)[0])
    shifted = [_common_prefix(span[a:], tail) for a in range(1, first_s + 1)]
    shifted += [_common_prefix(span, tail[b:]) for b in range(1, first_t + 1)]
    best = max([whole, *shifted])
    return best if best >= _OPENING else 0


def _by_quote(
    text: str, responses: Sequence[str], answers: Sequence[str | None], tail_chars: int
) -> tuple[int, ...]:
    body = _TEMPLATE.sub("", text.strip(), count=1).strip(_QUOTE_CHARS)
    opens = body.startswith(("…", "..."))  # copies a cut tail as shown: "…" + its start
    span = _flat(body.lstrip("…").removeprefix("...").strip(_QUOTE_CHARS))
    span = span.rstrip(".")  # a sentence's full stop the reply may add or drop
    if not span or "most consistent response" in span:
        return ()
    tails = [_flat(r[-tail_chars:]) for r in responses]
    hits = [i for i, t in enumerate(tails) if len(span) >= _MIN_QUOTE and span in t]
    if not hits and opens and len(span) >= _MIN_OPENING:
        # the reply opens like a shown (cut) tail and may drift after it: the tails it
        # shares the longest opening with (the whole span, or at least _OPENING characters)
        best = {
            i: _opening_match(span, tails[i])
            for i, r in enumerate(responses)
            if len(r) > tail_chars
        }
        top = max(best.values(), default=0)
        if top:
            hits = [i for i, v in best.items() if v == top]
    if len(hits) == 1 or (hits and _same_answer(hits, answers)):
        return tuple(hits)
    return ()


def _by_answer(text: str, answers: Sequence[str | None]) -> tuple[int, ...]:
    ans, method = extract_answer(text)
    if ans is None or method not in ("boxed", "answer_is"):
        return ()
    key = normalize_answer(ans)
    return tuple(
        i for i, a in enumerate(answers) if a is not None and normalize_answer(str(a)) == key
    )


def parse_choice(
    text: str,
    responses: int | Sequence[str],
    answers: Sequence[str | None] | None = None,
    *,
    tail_chars: int = 300,
) -> Choice:
    """The response(s) a USC reply picks, by the first rule that reads it.

    Parameters
    ----------
    text : str
        The model's reply.
    responses : int or sequence of str
        The n responses shown (their full texts; the tails shown are matched), or only n
        (then only the number rule applies).
    answers : sequence of str or None, optional
        Each response's extracted final answer (None: none), for the quote rule's shared
        answer and the answer rule; without it those need a unique match / do not apply.
    tail_chars : int
        Characters of each response the prompt showed (:func:`usc_messages`).

    Returns
    -------
    Choice
        ``indices`` (0-based, a uniform pick among them; empty: unusable) and ``rule``:
        ``number`` (a named response in 1..n), ``quote`` (the reply quotes a span of one
        shown tail, or of several tails with one shared final answer), ``answer`` (the
        reply's boxed or "the answer is" value equals some responses' final answer), or
        ``none``. A number outside 1..n is no pick by the number rule.

    Examples
    --------
    >>> parse_choice("The most consistent response is Response 3.", 4)
    Choice(indices=(2,), rule='number')
    >>> parse_choice("the third response", 4).unique, parse_choice(" 2 ", 4).unique
    (2, 1)
    >>> parse_choice("The most consistent response is Response X.", 4).rule
    'none'
    >>> tails = ["so she pays 5 dollars in all. \\\\boxed{5}", "the total is 7. \\\\boxed{7}"]
    >>> parse_choice('Response X: "…so she pays 5 dollars in all."', tails, ["5", "7"])
    Choice(indices=(0,), rule='quote')
    >>> parse_choice("The answer is 7.", tails + ["x \\\\boxed{7}"], ["5", "7", "7"])
    Choice(indices=(1, 2), rule='answer')
    """
    if isinstance(responses, int):
        n, texts = responses, None
    else:
        texts = list(responses)
        n = len(texts)
    if answers is not None and len(answers) != n:
        raise ValueError(f"answers must hold one entry per response ({n}), got {len(answers)}")
    idx = _by_number(text, n)
    if idx is not None:
        return Choice((idx,), "number")
    ans: Sequence[str | None] = answers if answers is not None else [None] * n
    if texts is not None:
        hits = _by_quote(text, texts, ans, tail_chars)
        if hits:
            return Choice(hits, "quote")
    if answers is not None:
        hits = _by_answer(text, answers)
        if hits:
            return Choice(hits, "answer")
    return Choice((), "none")
