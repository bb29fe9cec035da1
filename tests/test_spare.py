"""The server's warm experiment process: it runs the CLI once its order arrives, ends when told nothing."""

import os
import signal
import subprocess
import sys

from hpo_mab.server.spare import Spare
from tests.processes import alive, wait_for

RUN = ["digits-mlp", "2", "-m", "RANDOM", "-et", "1h", "--seed", "3"]


def test_a_warm_process_runs_the_cli_with_the_order_it_is_given(tmp_path):
    spare = Spare(tmp_path / "spare.log")
    spare.warm()
    log = tmp_path / "output.log"
    process = spare.take([*RUN, "--results", str(tmp_path / "results")], log)
    assert process is not None
    try:
        assert process.wait(300) == 0
    finally:
        process.kill()
    cli = subprocess.run([sys.executable, "hpo_runner.py", *RUN, "--results", str(tmp_path / "cli")],
                         capture_output=True, text=True, check=True)  # fmt: skip
    trace = "digits-mlp/T3600S/RANDOM-RANDOM(2).json"
    assert (tmp_path / "results" / trace).read_bytes() == (tmp_path / "cli" / trace).read_bytes()
    assert log.read_text() == cli.stdout.replace(str(tmp_path / "cli"), str(tmp_path / "results"))
    assert spare.take(RUN, log) is None  # it was handed over: there is none until the next warm()
    spare.close()


def test_a_warm_process_ends_with_the_server_and_is_not_started_again(tmp_path):
    spare = Spare(tmp_path / "spare.log")
    spare.warm()
    process = spare._process
    spare.close()
    assert process.returncode == -signal.SIGKILL
    assert not alive(process.pid)
    spare.warm()  # closed: no new warm process
    assert spare._process is None
    assert spare.take(RUN, tmp_path / "output.log") is None


def test_a_warm_process_whose_stdin_closes_exits_without_running(tmp_path):
    spare = Spare(tmp_path / "spare.log")
    spare.warm()
    process = spare._process
    process.stdin.close()
    assert process.wait(300) == 0
    assert not (tmp_path / "results").exists()


def test_a_warm_process_refuses_a_bad_command_line():
    answer = subprocess.run([sys.executable, "-m", "hpo_mab.server.child", "--parent", "x", "--spare"],
                            capture_output=True, text=True)  # fmt: skip
    assert answer.returncode == 2
    assert answer.stderr == "usage: python -m hpo_mab.server.child --parent PID (-- ARGS... | --spare)\n"


def test_a_warm_process_whose_parent_is_gone_ends_itself():
    # a process starts the warm process and exits; its stdin stays open here, so only its parent is gone
    read_end, write_end = os.pipe()
    code = (
        "import os, subprocess, sys; print(subprocess.Popen([sys.executable, '-m', 'hpo_mab.server.child', "
        "'--parent', str(os.getpid()), '--spare'], stdin=int(sys.argv[1]), pass_fds=(int(sys.argv[1]),)).pid)"
    )
    try:
        started = subprocess.run([sys.executable, "-c", code, str(read_end)], capture_output=True, text=True,
                                 check=True, pass_fds=(read_end,))  # fmt: skip
        pid = int(started.stdout)
        wait_for(lambda: not alive(pid), "the orphaned warm process to end")
    finally:
        os.close(read_end)
        os.close(write_end)
