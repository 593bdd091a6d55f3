"""The run-time table of the chapters: what each notebook costs to run, from the executor's stamps.

For each chapter and solution notebook: how long its last full run took and the kernel's peak
resident memory during it (both stamped by ``python -m neuronlab.tools.execute``).

The site's ``{runtime-table}`` directive (``_ext/reading_aids.py``) builds its table with
:func:`chapter_runtimes` and :func:`runtime_table` at every build, so the landing page shows
the stamps as they are in the notebooks now. Both work without Sphinx: the first reads the
notebooks, the second only arranges what it found.

A chapter ``chapters/NN_name.ipynb`` has its exercises in ``solutions/NN_name/NN_name.ipynb``
(the source, with solutions and nbgrader metadata) and ``exercises/NN_name/NN_name.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from neuronlab.tools import stamp

__all__ = ["RunTime", "ChapterRuntime", "Cell", "notebook_runtime", "exercise_points", "chapter_runtimes",
           "format_seconds", "format_memory", "runtime_table", "HEADER"]


@dataclass(frozen=True)
class RunTime:
    """What a notebook's stamp says about its last run."""

    status: str  # "fresh", "changed" (stale: code, helpers, data or versions changed since),
    #              "quick" (no full run) or "never" (no stamp)
    seconds: float | None = None
    peak_memory_mib: float | None = None  # the kernel's peak resident memory, when the stamp has it


@dataclass(frozen=True)
class ChapterRuntime:
    chapter: str  # the chapter's document name: "chapters/01_logic_gate_neurons"
    run: RunTime
    exercises: str | None = None  # document name of the exercise notebook, if there is one
    solutions: str | None = None  # document name of the solution notebook, if there is one
    solutions_run: RunTime | None = None
    points: float | None = None  # nbgrader points of the exercises


@dataclass(frozen=True)
class Cell:
    """One table cell: ``text``, linked to the document ``doc`` when given.

    A link with empty ``text`` shows the document's own title.
    """

    text: str
    doc: str | None = None


HEADER = ("Chapter", "Chapter run time · peak memory", "Exercises", "Solutions run time · peak memory")


def notebook_runtime(path: str | Path) -> RunTime:
    """The run time the executor stamped on the notebook at ``path``, and whether it still holds."""
    found = stamp.freshness(path)
    if found.seconds is None and found.mode is None:
        return RunTime("never")
    if found.fresh:
        return RunTime("fresh", found.seconds, found.peak_memory_mib)
    if found.mode != "full":
        return RunTime("quick", found.seconds, found.peak_memory_mib)
    return RunTime("changed", found.seconds, found.peak_memory_mib)


def exercise_points(path: str | Path) -> float:
    """The points of a solution notebook: the sum over its graded cells (nbgrader ``points``)."""
    notebook = nbformat.read(Path(path), as_version=4)
    total = 0.0
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade"):
            total += float(grading.get("points", 0) or 0)
    return total


def chapter_runtimes(root: str | Path, chapters, documents=None) -> list[ChapterRuntime]:
    """Read the stamps of each chapter in ``chapters`` and of its solution notebook.

    Parameters
    ----------
    root : path
        The repository (the book's source folder).
    chapters : sequence of str
        Document names of the chapters, in the order of the table ("chapters/01_logic_gate_neurons").
    documents : collection of str, optional
        The documents the site builds. An exercise or solution notebook outside it is left
        out of the row (the site could not link to it). Default: every notebook found.
    """
    root = Path(root)
    rows = []
    for chapter in chapters:
        name = PurePosixPath(chapter).name
        path = root / f"{chapter}.ipynb"
        if not path.is_file():
            raise FileNotFoundError(f"chapter {chapter!r} has no notebook {path}")
        exercises, solutions = f"exercises/{name}/{name}", f"solutions/{name}/{name}"
        solution_path = root / f"{solutions}.ipynb"
        if not solution_path.is_file() or (documents is not None and solutions not in documents):
            solutions = None
        exercise_path = root / f"{exercises}.ipynb"
        if not exercise_path.is_file() or (documents is not None and exercises not in documents):
            exercises = None
        rows.append(ChapterRuntime(
            chapter=chapter, run=notebook_runtime(path), exercises=exercises, solutions=solutions,
            solutions_run=notebook_runtime(solution_path) if solutions else None,
            points=exercise_points(solution_path) if solutions else None))
    return rows


def format_seconds(seconds: float) -> str:
    """8.7 → "8.7 s", 125 → "2 min 5 s", 3725 → "1 h 2 min"."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    if seconds < 3570:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def format_memory(mib: float) -> str:
    """812.4 → "812 MiB", 1433.6 → "1.4 GiB" (MiB below one GiB, GiB to one decimal from there)."""
    if mib < 0:
        raise ValueError(f"mib must be >= 0, got {mib!r}")
    if round(mib) < 1024:
        return f"{mib:.0f} MiB"
    return f"{mib / 1024:.1f} GiB"


def _cost_text(run: RunTime) -> str:
    text = format_seconds(run.seconds)
    return text if run.peak_memory_mib is None else f"{text} · {format_memory(run.peak_memory_mib)}"


def _runtime_text(run: RunTime | None) -> str:
    if run is None:
        return "–"
    if run.status == "fresh":
        return _cost_text(run)
    if run.status == "changed":
        return f"{_cost_text(run)} (before later changes)"
    if run.status == "quick":
        return "not yet run on full data"
    return "not yet run"


def _points_text(points: float) -> str:
    value = f"{points:g}"
    return f"{value} point" if value == "1" else f"{value} points"


def runtime_table(rows: list[ChapterRuntime]) -> tuple[tuple[str, ...], list[tuple[Cell, ...]]]:
    """The header and the body of the run-time table: one row per chapter, then a total row.

    Times and peak memory are the stamps' (a full run on the authors' machine). A notebook never
    run by the executor says "not yet run"; one that is stale (its code, a helper it uses, its data
    or a library version changed after its run) shows the old figures with a note. The total row
    adds the fresh times, "at least …" when some are missing; memory is per notebook, so it has no
    total.
    """
    body = []
    for row in rows:
        exercises = (Cell(_points_text(row.points), row.exercises) if row.points is not None and row.exercises
                     else Cell(_points_text(row.points)) if row.points is not None else Cell("–"))
        body.append((Cell("", row.chapter), Cell(_runtime_text(row.run)), exercises,
                     Cell(_runtime_text(row.solutions_run))))
    if len(rows) > 1:
        runs = [row.run for row in rows]
        solution_runs = [row.solutions_run for row in rows if row.solutions_run is not None]
        points = [row.points for row in rows if row.points is not None]
        body.append((Cell(f"All {len(rows)} chapters"), Cell(_total(runs)),
                     Cell(_points_text(sum(points)) if points else "–"), Cell(_total(solution_runs))))
    return HEADER, body


def _total(runs: list[RunTime]) -> str:
    known = [run.seconds for run in runs if run.status == "fresh"]
    if not known:
        return "–"
    text = format_seconds(sum(known))
    return text if len(known) == len(runs) else f"at least {text}"
