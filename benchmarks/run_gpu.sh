#!/usr/bin/env bash
# Monte Carlo benchmark on a GPU machine, as one prepared script (issue 3).
#
# Needs JAX with CUDA in the interpreter ($PYTHON, default .venv/bin/python), e.g.
#   .venv/bin/pip install -U "jax[cuda12]"
# Writes $OUT/bench_gpu.json and $OUT/bench_gpu.log (OUT defaults to benchmarks/out).
# The engine is unchanged on GPU except that each step of a chunk's map vmaps
# GPU_MAP_BATCH = 256 blocks (align_theory.montecarlo.run.map_batch), and with several GPUs a
# chunk's blocks are dealt over them (shard_map); the numpy and Python-loop
# baselines still run on the host CPU and are reported for scale only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-benchmarks/out}
mkdir -p "$OUT"
export XLA_PYTHON_CLIENT_PREALLOCATE=false   # so host RSS / device memory reflect real use
"$PY" - <<'PYEOF'
import jax
print("jax", jax.__version__, "backend", jax.default_backend(), jax.devices())
assert jax.default_backend() == "gpu", "JAX sees no GPU: install jax[cuda12] first"
PYEOF
nvidia-smi --query-gpu=name,memory.total,utilization.gpu --format=csv || true
# 1e8 trials on the device; baselines at 1e7 (numpy on the host CPU); peak RSS of 1e8, 1e9
timeout 540 "$PY" benchmarks/bench_montecarlo.py \
    --trials 1e8 --baseline-trials 1e7 --candidates-trials 1e7 --loop-trials 1e4 \
    --repeat 3 --rss-trials 1e6,1e8,1e9 --json "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/bench_gpu.log"
