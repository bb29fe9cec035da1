"""Pin numpy's SIMD paths and OpenBLAS's kernels before numpy is first imported.

The golden traces are compared byte for byte, and both round differently on CPUs with and without
AVX-512. Pinned, any x86-64 CPU with AVX2 takes the same paths, so a trace recorded on one machine
is reproduced on another. Processes the tests start inherit the setting.
"""

from __future__ import annotations

import os

PINNED = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "OPENBLAS_CORETYPE": "Haswell"}


def pin_cpu_paths() -> None:
    """Set the pinning variables that the environment does not already set."""
    for name, value in PINNED.items():
        os.environ.setdefault(name, value)
