"""llama.cpp's OpenAI-compatible server with log-probabilities of generated tokens only.

Run as ``python -m align_theory.llm.llama_server`` with the arguments of
``python -m llama_cpp.server``. The judge needs log-probabilities of the one token it
generates (x̂ = P("yes") / (P("yes") + P("no")), docs/design.md's principal signal); stock
llama-cpp-python returns log-probabilities only when the model is loaded with
``logits_all=True``, which makes llama.cpp compute and copy the full vocabulary's logits
at *every prompt position* (a 500-token judge prompt × 151,936 tokens of vocabulary).
Servers such as vLLM and llama.cpp's own C++ server compute them for generated positions
only; this launcher does the same for llama-cpp-python:

* :class:`GeneratedLogitsLlama` asks llama.cpp for one row of logits per decoded batch (the
  row of the batch's last token: the distribution of the next token) and stores it in
  the score row ``n_past + n_tokens - 1``. During generation every batch is one token, so
  every generated position's row is exact; rows of earlier prompt positions are left unset.
* It therefore serves ``logprobs`` / ``top_logprobs`` of *completion* tokens exactly, as
  with ``logits_all=True``, but not prompt log-probabilities (``echo=True``), which are
  refused with an error rather than returned wrong.

``main`` sets ``llama_cpp.Llama`` to this subclass in its own process only (the server's
model loader looks the class up there), then hands over to llama-cpp-python's server
entry point. Measured on the 2-core machine of docs/empirical.md (idle, 2 threads, four
~500-token judge prompts): 4.5-7.2 s per judge call against 5.9-9.6 s with
``logits_all=True``, and agent samples need no ``logits_all`` penalty. The equality of the
log-probabilities with the ``logits_all=True`` ones is checked by tests/llm/test_llama_server.py.
"""

from __future__ import annotations

from typing import Any

import llama_cpp
import numpy as np

__all__ = ["GeneratedLogitsLlama", "main"]


class GeneratedLogitsLlama(llama_cpp.Llama):
    """``llama_cpp.Llama`` keeping the next-token logits of each decoded batch only."""

    n_tokens: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("draft_model") is not None:
            # speculative decoding samples at positions whose logits this class never asks for
            raise ValueError("draft_model is not supported by GeneratedLogitsLlama")
        kwargs["logits_all"] = False
        super().__init__(*args, **kwargs)
        # Scores are indexed by context position, as with logits_all=True.
        self.scores = np.zeros((self._n_ctx, self._n_vocab), dtype=np.single)
        # _create_completion refuses logprobs unless this flag is set; eval below keeps the
        # rows it reads (completion positions), see the module docstring.
        self._logits_all = True

    def eval(self, tokens: Any) -> None:
        """Decode ``tokens`` in batches; keep the logits of each batch's last token."""
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        tokens = list(tokens)
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            first = self.n_tokens
            self._batch.set_batch(batch=chunk, n_past=first, logits_all=False)
            self._ctx.decode(self._batch)
            last = first + len(chunk) - 1
            self.input_ids[first : last + 1] = chunk
            self.scores[last, :] = np.ctypeslib.as_array(
                self._ctx.get_logits(), shape=(self._n_vocab,)
            )
            self.n_tokens = last + 1
            self._requires_eval = False

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        """As ``llama_cpp.Llama.create_completion``; prompt log-probabilities are refused."""
        if kwargs.get("echo") and kwargs.get("logprobs") is not None:
            raise ValueError(
                "echo=True with logprobs (prompt log-probabilities) is not served by "
                "align_theory.llm.llama_server; use llama_cpp.server with --logits_all true"
            )
        return super().create_completion(*args, **kwargs)


def main() -> None:
    """Start llama-cpp-python's server with :class:`GeneratedLogitsLlama` as its model class."""
    from llama_cpp.server.__main__ import main as server_main

    setattr(llama_cpp, "Llama", GeneratedLogitsLlama)  # noqa: B010 (typed or untyped llama_cpp)
    server_main()


if __name__ == "__main__":
    main()
