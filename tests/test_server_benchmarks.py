"""The server's loaded benchmarks: reused while their files are unchanged, loaded again when one changes."""

import json
import os

import pytest

from hpo_mab.inputs.errors import InputError
from hpo_mab.server.benchmarks import MAX_KEPT, LoadedBenchmarks
from tests.conftest import SMALL_HP_CONF, make_table


def write_bench(folder, rows=50):
    folder.mkdir(exist_ok=True)
    make_table(rows=rows, seed=1).to_csv(folder / "t.csv", index=False)
    conf = {**SMALL_HP_CONF, "config": {**SMALL_HP_CONF["config"], "surrogate": "t.csv"}}
    (folder / "t.json").write_text(json.dumps(conf))
    return folder / "t.json"


def touch_later(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_benchmark_is_reused_while_its_files_are_unchanged(tmp_path):
    conf = write_bench(tmp_path / "b")
    loaded = LoadedBenchmarks()
    first = loaded.load(str(conf))
    assert loaded.load(str(conf)) is first
    assert loaded.load("digits-mlp") is loaded.load("digits-mlp")  # a bundled table too
    touch_later(conf)  # the hp_conf changed
    second = loaded.load(str(conf))
    assert second is not first
    assert loaded.load(str(conf)) is second


def test_a_changed_table_is_read_again_with_its_own_errors(tmp_path):
    conf = write_bench(tmp_path / "b", rows=50)
    loaded = LoadedBenchmarks()
    assert len(loaded.load(str(conf)).pool().ids) == 50
    write_bench(tmp_path / "b", rows=80)  # same name, other rows
    touch_later(tmp_path / "b" / "t.csv")
    assert len(loaded.load(str(conf)).pool().ids) == 80
    (tmp_path / "b" / "t.csv").write_text("x,lr\n1,2\n")
    touch_later(tmp_path / "b" / "t.csv")
    with pytest.raises(InputError, match="missing column"):
        loaded.load(str(conf))


def test_at_most_a_few_benchmarks_are_kept(tmp_path):
    loaded = LoadedBenchmarks()
    confs = [write_bench(tmp_path / f"b{i}") for i in range(MAX_KEPT + 1)]
    first = loaded.load(str(confs[0]))
    for conf in confs[1:]:
        loaded.load(str(conf))
    assert loaded.load(str(confs[0])) is not first  # the oldest was let go
    assert len(loaded._kept) == MAX_KEPT
