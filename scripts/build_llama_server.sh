#!/usr/bin/env bash
# Build llama.cpp's C++ `llama-server` from the llama.cpp sources vendored in the
# llama-cpp-python 0.3.36 sdist (the same engine the `llm` extra compiles), statically
# linked, and install it as ~/.cache/align-theory/bin/llama-server (or $1).
#
# Why: llama-cpp-python's server decodes one request at a time; llama-server decodes
# concurrent requests together (continuous batching over --parallel slots), which on this
# 2-core machine multiplies sampling throughput (docs/empirical.md). Needs cmake, a C++
# compiler and the package registry (pip download); about 15-20 min on 2 cores.
#
# CPU flags: portable AVX2 by default (the -march=native build dies with SIGILL on the
# machines this project runs on); set LLAMA_CPU_FLAGS to override, e.g.
#   LLAMA_CPU_FLAGS="-DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON" scripts/build_llama_server.sh
set -euo pipefail
VERSION=0.3.36
DEST=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/align-theory/bin/llama-server}
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$PY -m pip download --quiet --no-deps --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -d "$WORK"
tar -xzf "$WORK"/llama_cpp_python-"$VERSION".tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
 -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF ${LLAMA_CPU_FLAGS:-}"
# shellcheck disable=SC2086
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_APP=OFF $FLAGS >/dev/null
cmake --build "$WORK/build" --target llama-server -j "$(nproc)"
mkdir -p "$(dirname "$DEST")"
install -m 755 "$WORK/build/bin/llama-server" "$DEST"
echo "installed $DEST"
