"""Record the golden traces of ``cases.py`` with the code as it is now (run from the repository root).

    python tests/golden/make_golden.py [CASE ...]

Writes ``tests/golden/<case>/<files>``; ``tests/test_golden.py`` checks that every case still
produces them byte for byte (wall-time columns aside).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.cpu_paths import pin_cpu_paths  # noqa: E402

pin_cpu_paths()  # as the tests run

import hpo_runner  # noqa: E402
from tests.golden.cases import HERE, cases, produced  # noqa: E402


def record(name: str, case: dict) -> list[str]:
    """Run one case into a temporary folder and copy what it produced under ``HERE / name``."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        for argv in case["runs"]:
            code = hpo_runner.main([*argv, "--results", str(results)])
            if code != 0:
                raise SystemExit(f"{name}: {' '.join(argv)} exited {code}")
        files = produced(results)
    target = HERE / name
    shutil.rmtree(target, ignore_errors=True)
    for rel, data in files.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    return sorted(files)


def main(names: list[str]) -> None:
    """Record the named cases (all by default)."""
    matrix = cases()
    for name in names or list(matrix):
        print(name, record(name, matrix[name]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
