"""--command placeholders: a bare {name} is shell-quoted safely; one inside quotes is refused (exit 2)."""

import json
import shlex
import sys

import pytest

from hpo_mab.objectives.shell import quoted_placeholders


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("python train.py --lr {lr}", []),
        ("echo '{x}'", [("x", "'")]),
        ('echo "{x}"', [("x", '"')]),
        ('echo "--x={x}" {y}', [("x", '"')]),
        ("echo 'a'{x}'b'", []),
        ('echo "it\'s" {x}', []),
        ("echo \\'{x}\\'", []),
        ("echo $'{x}'", [("x", "'")]),
        ('echo "$(cat {x})"', [("x", '"')]),
        ("echo ${x} '${y}' {z}", []),
    ],
)
def test_placeholders_inside_quotes_are_found_by_the_shell_rules(template, expected):
    assert quoted_placeholders(template) == expected


def injection_space(tmp_path, target):
    values = [f"'; touch {target}", f'"; touch {target}', f"$(touch {target})", f"`touch {target}`",
              f"; touch {target}", f"' && touch {target} #", f"x\n touch {target}"]  # fmt: skip
    conf = {
        "dataset": "inject",
        "model": "shell",
        "config": {"metric": "accuracy"},
        "hyperparams": {"v": {"type": "str", "value_type": "categorical", "range": values}},
        "param_order": ["v"],
    }
    path = tmp_path / "inject.json"
    path.write_text(json.dumps(conf))
    return path, values


@pytest.mark.parametrize("field", ["'{v}'", '"{v}"', '"--v={v}"', "$'{v}'"])
def test_a_placeholder_inside_quotes_is_refused_before_anything_runs(cli, tmp_path, field):
    target, ran = tmp_path / "INJECTED", tmp_path / "RAN"
    space, _ = injection_space(tmp_path, target)
    command = f"touch {shlex.quote(str(ran))}; echo {field}; echo '{{\"accuracy\": 0.5}}'"
    result = cli(str(space), "1", "-m", "RANDOM", "--command", command, "--max-trials", "7", "--seed", "1")
    assert result.code == 2
    assert result.err.splitlines() == [
        f"error: --command: {{v}} stands inside {field[-1]}...{field[-1]}: values are shell-quoted already, so a"
        " quoted field lets a value end the quotes; write a bare {v}"
    ]
    assert not ran.exists() and not target.exists()


def test_bare_placeholders_pass_every_injection_value_literally(cli, tmp_path):
    target, log = tmp_path / "INJECTED", tmp_path / "values.jsonl"
    space, values = injection_space(tmp_path, target)
    record = f"{shlex.quote(sys.executable)} -c 'import json, sys; print(json.dumps(sys.argv[1]))'"
    command = f"{record} {{v}} >> {shlex.quote(str(log))}; echo '{{\"accuracy\": 0.5}}'"
    result = cli(str(space), "1", "-m", "RANDOM", "--command", command, "--max-trials", "7", "--seed", "1")
    assert result.code == 0, result.err
    assert not target.exists()
    assert sorted(json.loads(line) for line in log.read_text().splitlines()) == sorted(values)
