"""The grading fork server runs nbgrader commands as the nbgrader executable would, with the same limits."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from neuronlab.tools.forkserver import ForkServer

ADD = ["db", "student", "add", "alice"]  # a command that succeeds anywhere (it makes a gradebook.db)


@pytest.fixture
def server():
    server = ForkServer(dict(os.environ))
    yield server
    server.close()


def _env(**extra) -> dict[str, str]:
    # nbgrader runs `alembic` from PATH: this environment's, as the grader's environment() does
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, **extra}


def test_a_command_runs_in_its_folder_with_its_environment_and_log(server, tmp_path):
    # nbgrader reads nbgrader_config.py from the folder it runs in: the config reports what it sees
    (tmp_path / "nbgrader_config.py").write_text(
        "import os, tempfile\n"
        "open('seen.txt', 'w').write(os.getcwd() + '|' + os.environ['GRADING_MARK'] + '|' + tempfile.gettempdir())\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = tmp_path / "logs" / "add.log"
    status, seconds = server.run(ADD, tmp_path, _env(GRADING_MARK="mark-1", TMPDIR=str(scratch)), log)
    assert status == 0 and seconds > 0
    assert (tmp_path / "seen.txt").read_text() == f"{tmp_path}|mark-1|{scratch}"
    assert log.exists()
    # the next command gets its own environment, not the last one's
    status, _ = server.run(ADD, tmp_path, _env(GRADING_MARK="mark-2", TMPDIR=str(scratch)), log)
    assert status == 0 and (tmp_path / "seen.txt").read_text().split("|")[1] == "mark-2"


def test_a_failing_command_gives_its_exit_status_and_a_log(server, tmp_path):
    log = tmp_path / "bad.log"
    status, _ = server.run(["db", "student", "remove", "nobody"], tmp_path, _env(), log)
    assert status not in (0, None)
    assert "nobody" in log.read_text()


def test_a_hung_command_is_stopped_at_the_limit_with_everything_it_started(server, tmp_path):
    # the config starts a process in a session of its own (as a kernel is started), then hangs
    (tmp_path / "nbgrader_config.py").write_text(
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "time.sleep(300)\n")
    start = time.perf_counter()
    status, seconds = server.run(ADD, tmp_path, _env(), tmp_path / "hung.log", limit=3)
    assert status is None and 3 <= seconds < 60 and time.perf_counter() - start < 60
    child = int((tmp_path / "child.pid").read_text())
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    # and the server goes on with the next command
    (tmp_path / "nbgrader_config.py").unlink()
    status, _ = server.run(ADD, tmp_path, _env(), tmp_path / "after.log")
    assert status == 0


def test_a_server_that_stopped_says_so(tmp_path):
    server = ForkServer(dict(os.environ))
    server.process.kill()
    server.process.wait()
    with pytest.raises((RuntimeError, OSError)):
        server.run(ADD, tmp_path, _env(), tmp_path / "x.log")
    server.close()
