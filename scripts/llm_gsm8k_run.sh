#!/usr/bin/env bash
# The stored real run: 50 GSM8K test questions, M = K = 4, judge, on the offline
# Qwen2.5-Coder-0.5B-Instruct served by llama.cpp on 127.0.0.1. Resumable: rerun after any
# interruption and only missing samples are issued. Then the report is regenerated.
# On an otherwise idle 2-core machine it takes about 1-1.5 h; other jobs on the CPU slow it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=runs/gsm8k-qwen0.5b-m4k4
PY=.venv/bin/python
$PY -m align_theory.llm llm run --dataset gsm8k --limit 50 --agents 4 --per-agent 4 \
    --serve-local --servers 2 --threads 1 --concurrency 2 --max-tokens 320 --no-sample-logprobs --out "$RUN"
$PY -m align_theory.llm llm report "$RUN"
