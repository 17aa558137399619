#!/usr/bin/env bash
# The stored real run: 50 GSM8K test questions, M = K = 4 (N = 16), judge on every
# candidate, universal self-consistency (one call per question and k), one round of
# multi-agent debate and every agent's self-verification of its candidates, on the offline
# Qwen2.5-Coder-0.5B-Instruct served on 127.0.0.1 by llama.cpp's C++ llama-server
# (continuous batching over 16 slots; built once by scripts/build_llama_server.sh).
# Resumable: rerun after any interruption and only missing calls are issued. Then the
# report is regenerated and spliced into docs/empirical.md.
# Measured on the 2-core machine (docs/empirical.md): samples + judge 2 h 12 min, USC +
# debate 1 h 14 min, self-verification 53 min.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/gsm8k-qwen0.5b-m4k4}
PY=.venv/bin/python
BIN=${LLAMA_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/align-theory/bin/llama-server}
[ -x "$BIN" ] || PYTHON=$PY scripts/build_llama_server.sh "$BIN"
$PY -m align_theory.llm llm run --dataset gsm8k --limit 50 --agents 4 --per-agent 4 \
    --serve-local --llama-server "$BIN" --parallel 16 --threads 2 --concurrency 32 \
    --max-tokens 320 --usc-reps 1 --debate-rounds 1 \
    --self-verify --out "$RUN"
$PY -m align_theory.llm llm report "$RUN"
$PY scripts/empirical_doc.py "$RUN"
