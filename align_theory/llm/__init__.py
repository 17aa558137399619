"""LLM adapter: run ALIGN and its baselines on real models (docs/design.md).

Sample each question's N = M·K candidates once through an OpenAI-compatible server, store
them append-only, judge them, and evaluate every protocol at every budget from the same
samples with unbiased subsampling estimators. Modules, one job each:

* :mod:`.local_model` assembles and verifies the offline GGUF model;
* :mod:`.server` starts and stops llama.cpp's OpenAI-compatible server on 127.0.0.1;
* :mod:`.client` is the async chat-completions client (retries, backoff, concurrency);
* :mod:`.store` is the append-only JSONL sample store and run manifest;
* :mod:`.datasets` loads GSM8K, GSM-Hard and MATH;
* :mod:`.answers` extracts final answers and checks equivalence with ``math-verify``;
* :mod:`.agents` defines agents, prompts, judge prompts and per-sample seeds;
* :mod:`.runner` issues the missing samples and judge calls of a run;
* :mod:`.scoring` grades a stored run and builds per-question candidate tables;
* :mod:`.report` builds the run's pool and evaluates every protocol at every budget with
  :mod:`align_theory.exact.empirical` (exact average over sub-pools) and bootstrap CIs;
* :mod:`.report` renders the table and figure; :mod:`.cli` wires ``align llm``.
"""
