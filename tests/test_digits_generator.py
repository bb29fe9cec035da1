"""The digits-mlp generator: stable configurations, real training, resume after a kill, final files."""

import json

import pandas as pd

from hpo_mab.inputs.hp_conf import load_hp_conf
from hpo_mab.surrogates.generators.digits_mlp import HP_CONF, generate, sample_configs


def test_configurations_are_a_stable_sobol_sample():
    conf = load_hp_conf(HP_CONF)
    first = sample_configs(conf, 3)
    assert sample_configs(conf, 12000)[:3] == first
    assert first[0]["n_layers"] in (1, 2, 3) and first[0]["n_units"] in (16, 32, 64, 128, 256)
    assert all(conf.hyperparams[i].contains(v) for c in first for i, v in enumerate(c.values()))


def test_generator_resumes_after_a_cut_line_and_finalizes(tmp_path, capsys):
    generate(rows=2, jobs=1, out_dir=tmp_path)
    first = pd.read_csv(tmp_path / "digits-mlp.csv.gz")
    assert len(first) == 2 and list(first.columns)[-1] == "train_time"
    assert list(first.columns[:8]) == load_hp_conf(HP_CONF).param_names
    partial = tmp_path / ".digits-mlp.partial.csv"
    lines = partial.read_text().splitlines(keepends=True)
    partial.write_text("".join(lines[:-1]) + lines[-1][:30])  # a kill in the middle of the last row
    capsys.readouterr()
    out = generate(rows=3, jobs=1, out_dir=tmp_path)
    assert "1 rows done, 2 to train with 1 processes" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert len(table) == 3
    accuracies = [f"acc_{e}" for e in range(1, 31)]
    pd.testing.assert_frame_equal(table[accuracies].head(2), first[accuracies])  # retrained row is identical
    meta = json.loads((tmp_path / "digits-mlp.meta.json").read_text())
    assert meta["rows"] == 3 and meta["epochs"] == 30
    assert meta["optimum_accuracy"] == table[accuracies].max(axis=1).max()
