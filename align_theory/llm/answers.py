"""Final-answer extraction and equivalence checking.

Extraction, in order of preference: the last ``\\boxed{…}`` (balanced braces), then
"the answer is X" / "#### X", then the last number in the text. Nothing found → ``None``
(an unparsed answer counts as wrong; callers report the unparsed rate).

Equivalence uses ``math-verify`` (``parse`` then ``verify``) in a worker process pool with
its own timeout, so a pathological expression can neither hang nor crash the caller. Each
check returns ``"equal"``, ``"not_equal"`` or ``"error"`` (timeout, worker crash, parse
failure); only ``"equal"`` counts as correct.
"""

from __future__ import annotations

import multiprocessing as mp
import re
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Literal

__all__ = [
    "AnswerChecker",
    "Verdict",
    "extract_answer",
    "last_boxed",
    "normalize_answer",
]

Verdict = Literal["equal", "not_equal", "error"]

_NUM = r"-?\$?\d[\d,]*(?:\.\d+)?(?:/\d+)?"
_ANSWER_IS = re.compile(
    r"(?:the\s+(?:final\s+)?answer\s+is|####)\s*:?\s*\$?\s*(" + _NUM + ")", re.I
)
_LAST_NUM = re.compile(_NUM)


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{…}`` (or ``\\fbox{…}``) with balanced braces."""
    for marker in ("\\boxed", "\\fbox"):
        start = text.rfind(marker + "{")
        if start < 0:
            continue
        i = start + len(marker) + 1
        depth = 1
        j = i
        while j < len(text) and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        if depth == 0:
            return text[i : j - 1].strip()
    return None


def extract_answer(text: str) -> tuple[str | None, str]:
    """(answer, method): method is ``boxed``, ``answer_is``, ``last_number`` or ``none``."""
    boxed = last_boxed(text)
    if boxed:
        return boxed, "boxed"
    matches = _ANSWER_IS.findall(text)
    if matches:
        return matches[-1], "answer_is"
    nums = _LAST_NUM.findall(text)
    if nums:
        return nums[-1], "last_number"
    return None, "none"


_TEXT_WRAP = re.compile(r"\\(?:text|mathrm|textbf)\{([^{}]*)\}")


def normalize_answer(ans: str) -> str:
    """A canonical string used to group identical answers before math-verify merges.

    Strips ``$``, spaces, thousands separators, ``\\text{…}`` wrappers, a trailing period or
    comma (``$0,`` → ``0``) and
    units words after a number; an integral float prints as an integer (``18.00`` → ``18``).
    """
    s = _TEXT_WRAP.sub(r"\1", ans).replace("$", "").replace("\\!", "").replace("\\,", "")
    s = s.replace("dfrac", "frac").replace("tfrac", "frac").strip().rstrip(".,").strip()
    m = re.fullmatch(r"(-?[\d,]*\.?\d+)\s*(?:%|[a-zA-Z ]*)", s)
    if m:
        num = m.group(1).replace(",", "")
        try:
            val = float(num)
        except ValueError:
            return s.replace(" ", "")
        if val.is_integer() and abs(val) < 1e15:
            return str(int(val))
        return repr(val)
    return s.replace(" ", "")


def _verify_worker(args: tuple[str, str]) -> Verdict:
    """Runs in a worker process: math-verify's parse and verify (gold first)."""
    gold, pred = args
    try:
        from math_verify import parse, verify

        g = parse("$" + gold + "$")
        p = parse("$" + pred + "$")
        if not g or not p:
            return "error"
        return "equal" if verify(g, p) else "not_equal"
    except Exception:
        return "error"


class AnswerChecker:
    """math-verify in a process pool with a per-check timeout.

    A timed-out check returns ``"error"`` and the pool is terminated and recreated, so a
    hung worker cannot block later checks. Identical normalized strings are ``"equal"``
    without a worker call; results are memoized per (gold, pred).
    """

    def __init__(self, processes: int = 1, timeout_s: float = 5.0) -> None:
        self.processes = processes
        self.timeout_s = timeout_s
        self._pool: Pool | None = None
        self._memo: dict[tuple[str, str], Verdict] = {}

    def _get_pool(self) -> Pool:
        if self._pool is None:
            self._pool = mp.get_context("spawn").Pool(self.processes)
        return self._pool

    def check(self, gold: str, pred: str | None) -> Verdict:
        """Verdict for one prediction (``None`` → ``"not_equal"``: unparsed is wrong)."""
        if pred is None:
            return "not_equal"
        key = (gold, pred)
        if key in self._memo:
            return self._memo[key]
        if normalize_answer(gold) == normalize_answer(pred):
            verdict: Verdict = "equal"
        else:
            pool = self._get_pool()
            res = pool.apply_async(_verify_worker, ((gold, pred),))
            try:
                verdict = res.get(timeout=self.timeout_s)
            except mp.TimeoutError:
                verdict = "error"
                self._reset()
            except Exception:
                verdict = "error"
                self._reset()
        self._memo[key] = verdict
        return verdict

    def _reset(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> AnswerChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
