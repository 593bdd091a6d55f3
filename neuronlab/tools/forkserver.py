"""Run nbgrader commands one after another without starting Python and importing nbgrader each time.

Grading a class runs ``nbgrader autograde`` once per hand-in. Starting Python and importing nbgrader,
nbconvert, SQLAlchemy and the rest costs about 3 s of CPU each time: a third of grading a short
chapter's hand-in. A fork server pays it once. It is a process of its own, started with the
environment of the grading, that imports all of that, then for each command it is sent forks a child
that runs the command as the ``nbgrader`` executable would: in its own session, working folder,
environment and log. The server watches the child exactly as :func:`run_limited` watches a command it
starts (the time limit, and every process the command started killed when it ends), then answers with
the exit status.

The server is single-threaded when it forks, so the child starts from a clean copy: no threads, no
event loop, no open database; nbgrader opens all of those in the child. One server runs one command
at a time; a grader with several workers starts one server per worker.

Protocol (JSON lines on the server's stdin and stdout)::

    → {"argv": ["autograde", …], "cwd": "...", "env": {...}, "log": "...", "limit": 900.0}
    ← {"status": 0, "seconds": 5.2}          (status null: stopped at the time limit)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

PRELOADED = (
    "nbgrader.apps.nbgraderapp", "nbgrader.apps.autogradeapp", "nbgrader.converters",
    "nbgrader.preprocessors", "nbgrader.api", "nbclient", "jupyter_client.manager", "nbconvert",
    "sqlalchemy", "neuronlab.tools.grade", "neuronlab.tools.sandbox", "psutil",
)
"""Imported once by the server, so that no child imports them again."""


def supervise(pid: int, wait, *, limit: float | None, start: float) -> tuple[int | None, float]:
    """Watch the process ``pid`` (leader of its own session) until it ends or ``limit`` seconds pass.

    ``wait(seconds)`` returns its exit status once it has ended, else None after at most ``seconds``.
    On time-out the whole session is killed; in any case every process it started that is still
    running when it ends (a kernel, which lives in a session of its own, and its children) is killed
    too. Returns (exit status, or None on time-out; seconds since ``start``).
    """
    import signal

    import psutil

    family: dict[int, psutil.Process] = {}
    status: int | None = None
    while True:  # note who it started as it runs: once it is gone, its children are orphans
        try:
            family.update((p.pid, p) for p in psutil.Process(pid).children(recursive=True))
        except psutil.Error:
            pass
        status = wait(0.5)
        if status is not None:
            break
        if limit is not None and time.perf_counter() - start > limit:
            break
    if status is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while wait(1.0) is None:
            pass
    for member in family.values():
        try:
            member.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(list(family.values()), timeout=5)
    return status, time.perf_counter() - start


def _child(argv: list[str], cwd: str, env: dict[str, str], log: str) -> None:
    """In the forked child: become the ``nbgrader ARGV`` command, then exit with its status."""
    code = 1
    try:
        os.setsid()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        import tempfile

        tempfile.tempdir = None  # chosen again from this command's TMPDIR
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.argv = ["nbgrader", *argv]
        from nbgrader.apps.nbgraderapp import main

        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _wait_for(pid: int):
    def wait(seconds: float) -> int | None:
        deadline = time.perf_counter() + seconds
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.perf_counter() >= deadline:
                return None
            time.sleep(0.05)
    return wait


def serve(requests=None, answers=None) -> None:
    """Answer each request line of ``requests`` (stdin) on ``answers`` (stdout), until end of input."""
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    from neuronlab.tools import sandbox

    sandbox.problem()  # checked once here (a trial sandbox, about 1 s): every child inherits the answer
    requests = requests or sys.stdin
    answers = answers or sys.stdout
    for line in requests:
        if not line.strip():
            continue
        job = json.loads(line)
        Path(job["log"]).parent.mkdir(parents=True, exist_ok=True)
        answers.flush()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(job["argv"], job["cwd"], job["env"], job["log"])
        status, seconds = supervise(pid, _wait_for(pid), limit=job.get("limit"), start=start)
        answers.write(json.dumps({"status": status, "seconds": seconds}) + "\n")
        answers.flush()


class ForkServer:
    """A fork server process (see the module's text), started with ``env``; :meth:`run` sends it a command."""

    def __init__(self, env: dict[str, str]):
        self.env = dict(env)
        self.process = subprocess.Popen([sys.executable, "-m", "neuronlab.tools.forkserver"], env=self.env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)

    def run(self, args: list[str], cwd: Path, env: dict[str, str], log: Path, *,
            limit: float | None = None) -> tuple[int | None, float]:
        """Run ``nbgrader ARGS`` as :func:`neuronlab.tools.grade.run_limited` would; (exit status or None, seconds)."""
        request = {"argv": list(args), "cwd": str(cwd), "env": dict(env), "log": str(log), "limit": limit}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the grading fork server stopped (exit {self.process.wait()})")
        reply = json.loads(answer)
        return reply["status"], reply["seconds"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    serve()
