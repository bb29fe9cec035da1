"""Benchmark objectives: lookup tables (and their bundled data), analytic functions, YAHPO-Gym surrogates."""
