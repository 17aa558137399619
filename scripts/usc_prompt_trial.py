"""USC prompt version 1 against version 2 on stored sub-pools, with the offline 0.5B model.

Rebuilds the USC prompts of the first N answered k = 1 calls of the stored run under both
versions (version 1's hash is checked against the stored key), asks the model in process
(llama-cpp-python, greedy, 48 tokens, as the run did), reads every reply with
``parse_choice`` and prints, per version, how many replies are usable, how many pick
Response 1, and the pick's accuracy (a uniform pick for an unusable reply)::

    python scripts/usc_prompt_trial.py [N] [OUT.jsonl]   # asks the model, writes OUT
    python scripts/usc_prompt_trial.py FILE.jsonl        # the summary of stored replies

``runs/gsm8k-qwen0.5b-m4k4/usc_prompt_trial.jsonl`` holds the 20 replies of
docs/empirical.md. On the 2-core machine of docs/empirical.md it takes 20-90 s per call under load.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from align_theory.llm.agents import prompt_hash
from align_theory.llm.local_model import assemble_model
from align_theory.llm.usc import parse_choice, usc_messages

RUN = Path(__file__).resolve().parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open() if line.strip()]


def main(n: int, out: Path | None) -> None:
    from llama_cpp import Llama

    samples = {r["key"]: r for r in _jsonl(RUN / "samples.jsonl")}
    questions = {q["qid"]: q["text"] for q in _jsonl(RUN / "questions.jsonl")}
    correct = {
        (row["question"], row["agent"], int(row["sample"])): row["correct"] == "true"
        for row in csv.DictReader((RUN / "candidates.csv").open())
    }
    calls = [
        r
        for r in _jsonl(RUN / "extras.jsonl")
        if r.get("kind") == "usc" and not r.get("error") and r["k"] == 1
    ][:n]
    llm = Llama(str(assemble_model()), n_ctx=4096, n_threads=2, verbose=False, seed=0)
    rows = []
    for rec in calls:
        pool = [samples[k] for k in rec["key_fields"]["sample_keys"]]
        texts = [p["text"] for p in pool]
        right = [correct[(p["qid"], p["agent"], int(p["index"]))] for p in pool]
        row = {"qid": rec["qid"], "k": rec["k"], "stored": rec["text"], "right": right}
        for v in (1, 2):
            msgs = usc_messages(questions[rec["qid"]], texts, version=v)
            if v == 1 and prompt_hash(msgs) != rec["key_fields"]["prompt"]:
                raise SystemExit(f"question {rec['qid']}: version 1 does not rebuild the prompt")
            chat: Any = msgs
            reply: Any = llm.create_chat_completion(chat, temperature=0.0, max_tokens=48, seed=0)
            row[f"v{v}"] = reply["choices"][0]["message"]["content"]
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if out:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    summarize(rows)


def summarize(rows: list[dict]) -> None:
    """Per reply source (stored, v1, v2): usable replies, Response 1 picks, accuracy."""
    samples = {r["key"]: r for r in _jsonl(RUN / "samples.jsonl")}
    calls = {
        (r["qid"], r["k"]): r
        for r in _jsonl(RUN / "extras.jsonl")
        if r.get("kind") == "usc" and not r.get("error")
    }
    for name in ("stored", "v1", "v2"):
        usable = first = 0
        acc = []
        for row in rows:
            rec = calls[(row["qid"], row["k"])]
            pool = [samples[k] for k in rec["key_fields"]["sample_keys"]]
            got = parse_choice(row[name], [p["text"] for p in pool], [p["answer"] for p in pool])
            usable += bool(got.indices)
            first += got.indices == (0,)
            acc.append(np.mean([row["right"][i] for i in got.indices or range(len(pool))]))
        print(
            f"{name}: usable {usable}/{len(rows)}, Response 1 picked {first}, "
            f"accuracy {np.mean(acc):.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].endswith(".jsonl"):
        summarize(_jsonl(Path(sys.argv[1])))
        sys.exit(0)
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 20,
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
