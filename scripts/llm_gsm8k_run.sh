#!/usr/bin/env bash
# The stored real run: 50 GSM8K test questions, M = K = 4 (N = 16), judge on every
# candidate, on the offline Qwen2.5-Coder-0.5B-Instruct served on 127.0.0.1 by llama.cpp's
# C++ llama-server (continuous batching over 16 slots; built once by
# scripts/build_llama_server.sh). Resumable: rerun after any interruption and only missing
# samples and judge calls are issued. Then the report is regenerated.
# Measured on an idle 2-core machine: about 1.5 h (docs/empirical.md).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/gsm8k-qwen0.5b-m4k4}
PY=.venv/bin/python
BIN=${LLAMA_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/align-theory/bin/llama-server}
[ -x "$BIN" ] || PYTHON=$PY scripts/build_llama_server.sh "$BIN"
$PY -m align_theory.llm llm run --dataset gsm8k --limit 50 --agents 4 --per-agent 4 \
    --serve-local --llama-server "$BIN" --parallel 16 --threads 2 --concurrency 32 \
    --max-tokens 320 --out "$RUN"
$PY -m align_theory.llm llm report "$RUN"
$PY scripts/empirical_doc.py "$RUN"
