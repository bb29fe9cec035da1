"""The built wheel installs (not editable) into a fresh virtual environment and runs from outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_TABLES = ("breast-cancer-gbm", "digits-mlp")


def run(cmd: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, REPO], cwd=dist)
    (path,) = dist.glob("hpo_mab-*.whl")
    return path


def test_the_wheel_holds_one_import_name_and_the_bundled_data(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
        assert archive.read(info).decode().split() == ["hpo_mab", "hpo_runner"]
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"hpo_mab", "hpo_runner.py"}
    for data in (
        "hpo_mab/hp_conf/digits-mlp.json",
        "hpo_mab/hp_conf/breast-cancer-gbm.json",
        "hpo_mab/run_conf/arms.yaml",
        "hpo_mab/surrogates/data/digits-mlp.csv.gz",
        "hpo_mab/surrogates/data/digits-mlp.meta.json",
        "hpo_mab/surrogates/data/breast-cancer-gbm.csv.gz",
        "hpo_mab/optimizers/gp.py",
        "hpo_mab/arms/catalog.py",
        "hpo_mab/server/web/templates/experiment.html",
        "hpo_mab/server/web/static/experiment.js",
        "hpo_mab/server/web/static/app.css",
    ):
        assert data in names, data


def borrow_dependencies(venv: Path) -> None:
    """Put the locked environment's site-packages after the fresh venv's own, as a plain path.

    The dependencies are not downloaded and built again (that took two minutes of the suite); the
    package itself comes from the wheel only: the editable install's finder there is not run, since
    a path listed in a ``.pth`` file is not a site directory, and the fresh venv's own site-packages
    comes first on ``sys.path``. ``pip check`` then checks the wheel's declared requirements.
    """
    (site,) = (venv / "lib").glob("python*/site-packages")
    (site / "locked-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def test_the_installed_wheel_replays_every_bundled_table_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    borrow_dependencies(venv)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "install", "--quiet", "--no-deps", wheel], cwd=tmp_path)
    assert "No broken requirements found" in run([*pip, "check"], cwd=tmp_path).stdout
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    runner = venv / "bin" / "hpo-runner"
    where = run([venv / "bin" / "python", "-c", "import hpo_mab, hpo_mab.optimizers; print(hpo_mab.__file__)"], outside)
    assert where.stdout.strip().startswith(str(venv)), where.stdout
    assert "Usage: hpo-runner [OPTIONS] CONFIG NUM_TRIALS" in run([runner, "--help"], outside).stdout
    listing = run([runner, "surrogates", "list"], outside).stdout
    for name in BUNDLED_TABLES:
        assert name in listing
    for name in BUNDLED_TABLES:
        out = run([runner, name, "1", "-et", "12h", "--seed", "1", "--results", outside / "results"], outside).stdout
        assert "run #" in out and f"{name} DIV-TS, seed 1, 1 repetition(s)" in out
        trace = json.loads((outside / "results" / name / "T43200S" / "DIV-TS(1).json").read_text())
        assert len(trace["0"]["model_idx"]) > 20
    assert not any(p.name == "hpo.sqlite" for p in REPO.glob("*"))
