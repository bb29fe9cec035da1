"""Benchmarks the server loaded to validate experiments, kept while their files are unchanged.

The form checks its body on every edit and creating the experiment validates it again: each is
``assemble``, which loads the benchmark (a table of thousands of rows: a few tenths of a second).
A loaded benchmark is reused while its hp_conf and table files keep their size and modification
time; at most ``MAX_KEPT`` are kept. Only validation reads them: an experiment's own process loads
its benchmark itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import suppress
from pathlib import Path
from typing import Any

from hpo_mab.inputs.errors import InputError
from hpo_mab.surrogates.registry import load_benchmark, resolve_hp_conf

MAX_KEPT = 8

Stats = tuple[tuple[str, int, int], ...]


def file_stats(paths: list[Path]) -> Stats | None:
    """(path, size, mtime in ns) of each file; None if one is gone."""
    try:
        stats = [(str(p), p.stat()) for p in paths]
    except OSError:
        return None
    return tuple((name, stat.st_size, stat.st_mtime_ns) for name, stat in stats)


def files_of(benchmark: Any, config: str, hp_dir: Path | None) -> list[Path]:
    """The files a loaded benchmark was read from: its hp_conf and its table (none for built-in models)."""
    paths = []
    with suppress(InputError):  # a built-in model (analytic, YAHPO) has no hp_conf file
        paths.append(Path(resolve_hp_conf(config, hp_dir)))
    table = getattr(benchmark, "table_path", None)
    if table is not None:
        paths.append(Path(table))
    return paths


class LoadedBenchmarks:
    """``load_benchmark`` with the last benchmarks kept while their files are unchanged (thread-safe)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple, tuple[list[Path], Stats, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, config: str, hp_dir: Path | None = None, pool: Any = None, yahpo_data: Path | None = None) -> Any:
        """The benchmark ``load_benchmark`` would load (the same object while its files are unchanged)."""
        key = (config, str(hp_dir), repr(pool), str(yahpo_data))
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and file_stats(kept[0]) == kept[1]:
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
            return kept[2]
        benchmark = load_benchmark(config, hp_dir, pool, yahpo_data)
        paths = files_of(benchmark, config, hp_dir)
        stats = file_stats(paths)
        if stats is not None:
            with self._lock:
                self._kept[key] = (paths, stats, benchmark)
                self._kept.move_to_end(key)
                while len(self._kept) > MAX_KEPT:
                    self._kept.popitem(last=False)
        return benchmark
