"""The README's usage examples that continue each other do so as written."""

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def usage_commands() -> list[list[str]]:
    """The ``python hpo_runner.py ...`` lines of the first code block of the Usage section, as argv."""
    usage = README.read_text().split("## Usage", 1)[1]
    block = usage.split("```bash", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.startswith("python")]
    return [shlex.split(line)[2:] for line in lines]


def test_the_extending_example_extends_the_run_above_it(cli):
    commands = usage_commands()
    first = commands[0]
    extend = next(c for c in commands if "-r" in c)
    assert first[:2] == ["digits-mlp", "10"] and extend[:2] == ["digits-mlp", "20"]
    assert cli(*first).code == 0
    extended = cli(*extend)
    assert extended.code == 0, extended.err
    assert extended.err.splitlines() == ["note: extending run #1 from 10 to 20 repetitions"]
    assert extended.out.startswith("run #1: digits-mlp RANDOM-RANDOM, seed 7, 20 repetition(s)")


def test_the_hp_conf_example_replays_the_bundled_table(cli, tmp_path):
    section = README.read_text().split("## Configuration files", 1)[1]
    (tmp_path / "digits.yaml").write_text(section.split("```yaml", 1)[1].split("```", 1)[0])
    run = ["1", "-m", "RANDOM", "-et", "2h", "--seed", "3", "--results"]
    mine = cli(str(tmp_path / "digits.yaml"), *run, str(tmp_path / "a"))
    bundled = cli("digits-mlp", *run, str(tmp_path / "b"))
    assert mine.code == 0 and bundled.code == 0, mine.err
    best = [next(line for line in r.out.splitlines() if line.startswith("best")) for r in (mine, bundled)]
    assert best[0] == best[1] and best[0].startswith("best: error ")  # the same trials as the bundled space
