"""Loaded by pytest before the tests' own conftest imports numpy: pins numpy's and OpenBLAS's CPU paths."""

from tests.cpu_paths import pin_cpu_paths

pin_cpu_paths()
