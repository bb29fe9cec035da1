"""The pinning of ``tests/cpu_paths.py`` is in effect in the test process (the golden traces depend on it)."""

from __future__ import annotations

import os
import platform

import pytest
from threadpoolctl import threadpool_info

from tests.cpu_paths import PINNED

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 CPU paths only")


def test_numpy_dispatches_no_avx512_path():
    from numpy._core._multiarray_umath import __cpu_features__

    assert os.environ["NPY_DISABLE_CPU_FEATURES"] == PINNED["NPY_DISABLE_CPU_FEATURES"]
    assert [name for name in PINNED["NPY_DISABLE_CPU_FEATURES"].split() if __cpu_features__.get(name)] == []


def test_every_openblas_runs_the_haswell_kernels():
    import scipy.linalg  # noqa: F401  (scipy's own OpenBLAS, loaded with it)

    found = [info for info in threadpool_info() if info["internal_api"] == "openblas"]
    assert found and {info["architecture"] for info in found} == {"Haswell"}
