"""Final-answer extraction and equivalence checking.

Extraction, in order of preference: the last ``\\boxed{…}`` (balanced braces), then
"the answer is X" / "#### X", then the last number in the text. Nothing found → ``None``
(an unparsed answer counts as wrong; callers report the unparsed rate).

Equivalence uses ``math-verify`` (``parse`` then ``verify``) in a warm worker process with
a timeout on each check, so a pathological expression can neither hang nor crash the
caller. Each
check returns ``"equal"``, ``"not_equal"`` or ``"error"`` (timeout, worker crash, parse
failure); only ``"equal"`` counts as correct.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path
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
    """math-verify's parse and verify (gold first); runs in the worker process."""
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


# The worker is a plain ``python -c`` process: it never imports the caller's __main__
# (a multiprocessing pool's "spawn" start re-runs the user's script, which is why user code
# grading a run once needed an ``if __name__ == "__main__"`` guard; this one does not).
_WORKER = """
import json, sys
from align_theory.llm.answers import _verify_worker
_verify_worker(("1", "1"))  # import math-verify and warm its parser before 'ready'
sys.stdout.write("ready\\n"); sys.stdout.flush()
for line in sys.stdin:
    sys.stdout.write(json.dumps(_verify_worker(tuple(json.loads(line)))) + "\\n")
    sys.stdout.flush()
"""


class _Worker:
    """One warm math-verify process, spoken to by JSON lines over its stdin / stdout."""

    def __init__(self, startup_timeout_s: float) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=0,
        )
        if self._read(startup_timeout_s) != "ready":
            self.kill()
            raise RuntimeError("the math-verify worker did not start")

    def _read(self, timeout_s: float) -> str | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return line.decode().strip() if line else None

    def check(self, gold: str, pred: str, timeout_s: float) -> Verdict | None:
        """The verdict, or None when the check took longer than ``timeout_s``."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps([gold, pred]) + "\n").encode())
        except (BrokenPipeError, OSError):
            return "error"
        out = self._read(timeout_s)
        if out is None:
            return None
        try:
            verdict = json.loads(out)
        except ValueError:
            return "error"
        return verdict if verdict in ("equal", "not_equal", "error") else "error"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for fh in (self.proc.stdin, self.proc.stdout):
            if fh is not None:
                fh.close()


class AnswerChecker:
    """math-verify in a warm worker process with a per-check timeout.

    The worker starts (and imports math-verify) once, outside any timeout
    (``startup_timeout_s``); ``timeout_s`` times the check alone. A check that times out
    is retried once in a fresh worker before it is recorded as ``"error"``, so a loaded
    machine does not turn correct answers into errors. Identical normalized strings are
    ``"equal"`` without a worker call; results are memoized per (gold, pred). Works from a
    user script without an ``if __name__ == "__main__"`` guard.
    """

    def __init__(
        self, processes: int = 1, timeout_s: float = 5.0, startup_timeout_s: float = 300.0
    ) -> None:
        self.processes = processes  # kept for callers; one warm worker does the checks
        self.timeout_s = timeout_s
        self.startup_timeout_s = startup_timeout_s
        self.retries = 0  # checks retried in a fresh worker after a timeout
        self._worker: _Worker | None = None
        self._memo: dict[tuple[str, str], Verdict] = {}

    def _get_worker(self) -> _Worker:
        if self._worker is None or self._worker.proc.poll() is not None:
            self._worker = _Worker(self.startup_timeout_s)
        return self._worker

    def check(self, gold: str, pred: str | None) -> Verdict:
        """Verdict for one prediction (``None`` → ``"not_equal"``: unparsed is wrong)."""
        if pred is None:
            return "not_equal"
        key = (gold, pred)
        if key in self._memo:
            return self._memo[key]
        verdict: Verdict | None
        if normalize_answer(gold) == normalize_answer(pred):
            verdict = "equal"
        else:
            verdict = None
            for attempt in range(2):
                try:
                    verdict = self._get_worker().check(gold, pred, self.timeout_s)
                except RuntimeError:
                    verdict = "error"
                if verdict is not None:
                    break
                self._reset()  # a hung check: a fresh worker for the retry
                self.retries += attempt == 0
            verdict = verdict or "error"
        self._memo[key] = verdict
        return verdict

    def _reset(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None

    def close(self) -> None:
        """Stop the worker process."""
        self._reset()

    def __enter__(self) -> AnswerChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
