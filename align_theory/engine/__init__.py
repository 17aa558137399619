"""Internals of the Monte Carlo engine.

* :mod:`align_theory.engine.samplers` — JAX samplers (exact candidates and sufficient
  statistics) and the protocol rules, one block of trials at a time.
* :mod:`align_theory.engine.reference` — the first numpy engine, kept as an independent
  reference for the tests.

The public entry points are :mod:`align_theory.montecarlo` and :mod:`align_theory.sweep`.
"""
