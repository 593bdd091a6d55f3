"""Benchmark group ``grading``: a class of hand-ins graded, one at a time and in parallel, in sandboxes.

Issue 23's figures, measured with ``python -m neuronlab.tools.grade``'s own function in temporary course
folders:

- a class of 200 chapter-02 hand-ins (honest, plausibly wrong, and two of each hostile kind) graded with
  one worker per core, each in its sandbox, with the command's default limits: the whole run, and
  hand-ins per minute;
- a sample of honest and wrong chapter-02 hand-ins graded one at a time, in sandboxes and without:
  hand-ins per minute, and the sandbox's cost per hand-in over the whole grading;
- the sandbox's own cost per hand-in, measured closely: a kernel started, run and stopped in the sandbox
  minus the same without (``repeat`` times);
- a few honest hand-ins of chapter 04 (Keras) in quick mode, in parallel: seconds per hand-in.

The class run and the samples are measured once (they take minutes); their budgets and notes are in
:data:`neuronlab.tools.bench.BUDGETS`.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from neuronlab.tools.bench import Figure, Stopwatch, group

CLASS = 200
SAMPLE = 16
KERAS_CHAPTER, KERAS_HAND_INS = "04_keras_mlps", 4


def write_class(folder: Path, count: int, *, course: Path, chapter: str = "02_perceptrons",
                hostile: bool = True) -> dict[str, int]:
    """``count`` hand-ins of ``chapter`` in ``folder``: 65 % honest, 25 % wrong, 10 % hostile (each kind in turn).

    Returns how many of each kind. Without ``hostile``, honest and wrong only (about 72 % and 28 %).
    """
    from neuronlab.tools import hand_ins

    canary = folder.parent / "canary"
    canary.mkdir(exist_ok=True)
    (canary / "keep.txt").write_text("the instructor's file\n")
    listener_port = 9  # nothing need listen: the sandbox's network has no way out in any case
    probes, _ = hand_ins.probes(chapter, {"canary": str(canary), "home": str(Path.home()), "course": str(course),
                                          "inbox": str(folder), "other": str(course / "submitted" / "s000" / chapter /
                                                                             f"{chapter}.ipynb"),
                                          "marker": "bench-probe"}, listener_port, os.getpid())
    kinds = {"probes": probes, **hand_ins.HOSTILE, "cannot be graded": hand_ins.strip_graded}
    if chapter == "02_perceptrons":
        kinds["loop, exit, 5 MB, deletions, edited tests"] = hand_ins.hostile_02
    honest = hand_ins.hand_in(chapter)
    wrong = hand_ins.hand_in(chapter, **hand_ins.WRONG.get(chapter, {}))
    made: dict[str, int] = {}
    hostile_turn = 0
    for number in range(count):
        share = number % 20
        if hostile and share >= 18:  # 2 in 20
            name = list(kinds)[hostile_turn % len(kinds)]
            hostile_turn += 1
            notebook = hand_ins.hand_in(chapter, kinds[name])
        elif share % 4 == 3 and chapter in hand_ins.WRONG:  # 5 in 20 (wrong answers)
            name, notebook = "wrong", wrong
        else:
            name, notebook = "honest", honest
        made[name] = made.get(name, 0) + 1
        nbformat.write(notebook, folder / f"s{number:03d}.ipynb")
    return made


def _grade(chapter: str, count: int, *, workers: int | None, sandboxed: bool = True, hostile: bool = True,
           quick: bool = False) -> tuple[float, float, dict, list]:
    """(seconds, load, kinds, results) of grading ``count`` hand-ins in a fresh course folder."""
    from neuronlab.tools import grade

    with tempfile.TemporaryDirectory(prefix="neuronlab-bench-grading-") as base:
        inbox, course = Path(base, "hand-ins"), Path(base, "course")
        inbox.mkdir()
        kinds = write_class(inbox, count, course=course, chapter=chapter, hostile=hostile)
        with Stopwatch(cpu=False) as watch:
            results = grade.grade(chapter, inbox, course, quick=quick, workers=workers,
                                  sandbox=grade.Limits() if sandboxed else None, out=io.StringIO())
    return watch.seconds, watch.load, kinds, results


def _kernel_round_trip(sandboxed: bool) -> float:
    """Seconds to start a kernel, run one cell in it and stop it."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    from neuronlab.tools.sandbox import SandboxedKernelManager

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    with tempfile.TemporaryDirectory(prefix="neuronlab-bench-kernel-") as folder:
        client = NotebookClient(notebook, timeout=60, resources={"metadata": {"path": folder}},
                                kernel_manager_class=SandboxedKernelManager if sandboxed else AsyncKernelManager)
        start = time.perf_counter()
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up chatter is not the table's
        return time.perf_counter() - start


@group("grading", "a class of 200 chapter-02 hand-ins graded in sandboxes, sequential vs parallel, a Keras chapter")
def grading(repeat: int) -> list[Figure]:
    from neuronlab.tools import grade

    problem = grade.sandbox_problem()
    if problem:
        raise RuntimeError(problem)
    workers = grade.default_workers()
    figures = []

    # The sandbox's own cost: a kernel's round trip, in the sandbox and without, interleaved.
    inside, outside = [], []
    for _ in range(max(3, repeat)):
        inside.append(_kernel_round_trip(True))
        outside.append(_kernel_round_trip(False))
    overhead = [a - b for a, b in zip(inside, outside)]
    figures.append(Figure("grading · sandbox overhead per hand-in", overhead,
                          note="a kernel started, run and stopped in bubblewrap, minus without",
                          extra={"sandboxed_seconds": inside, "unsandboxed_seconds": outside}))

    # One at a time, a sample of honest and wrong hand-ins, with the sandbox and without.
    seconds, load, kinds, _ = _grade("02_perceptrons", SAMPLE, workers=1, hostile=False)
    plain, plain_load, _, _ = _grade("02_perceptrons", SAMPLE, workers=1, sandboxed=False, hostile=False)
    figures.append(Figure("grading · ch02 hand-ins per minute, sequential", [SAMPLE / seconds * 60], unit="/min",
                          load=load, note=f"{SAMPLE} honest and wrong hand-ins, one worker, measured once",
                          extra={"seconds": seconds, "kinds": kinds}))
    figures.append(Figure("grading · ch02 sandbox cost per hand-in, whole grading", [(seconds - plain) / SAMPLE],
                          load=max(load, plain_load), note=f"sequential, {SAMPLE} hand-ins: sandboxed minus "
                          "unsandboxed run, per hand-in (noisy on a busy machine)",
                          extra={"sandboxed_seconds": seconds, "unsandboxed_seconds": plain}))

    # The class, in parallel.
    seconds, load, kinds, results = _grade("02_perceptrons", CLASS, workers=workers)
    statuses = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    figures.append(Figure(f"grading · {CLASS} hand-ins of ch02, parallel", [seconds], load=load,
                          note=f"{workers} workers, sandboxed, default limits; measured once",
                          extra={"kinds": kinds, "statuses": statuses, "workers": workers}))
    figures.append(Figure("grading · ch02 hand-ins per minute, parallel", [CLASS / seconds * 60], unit="/min",
                          load=load, note=f"{CLASS} hand-ins, {workers} workers"))

    # A Keras chapter, quick mode.
    seconds, load, kinds, results = _grade(KERAS_CHAPTER, KERAS_HAND_INS, workers=workers, hostile=False, quick=True)
    figures.append(Figure("grading · ch04 (quick) seconds per hand-in, parallel", [seconds / KERAS_HAND_INS],
                          load=load, note=f"{KERAS_HAND_INS} honest hand-ins, {workers} workers, measured once",
                          extra={"scores": [r.score for r in results]}))
    return figures
