"""Generate ``exercises/`` from ``solutions/`` with nbgrader's own preprocessors.

``solutions/<assignment>/<notebook>.ipynb`` is the source, laid out as nbgrader's
``source`` folder (see ``nbgrader_config.py``): an instructor who runs
``nbgrader generate_assignment`` gets the same student notebooks.  This command
runs the same preprocessors without a gradebook database::

    python -m neuronlab.tools.exercises           # write exercises/
    python -m neuronlab.tools.exercises --check   # exit 1 if exercises/ is out of date

Before generating, each solution notebook is checked: every ``### BEGIN SOLUTION``
has its ``### END SOLUTION`` in the same cell, and markers sit only in cells that
nbgrader knows as solution cells.  See :class:`ExerciseVersion` for the course's
one step on top of nbgrader's.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from neuronlab.tools import stamp

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTIONS_ONLY = ("<!-- solutions-only -->", "<!-- /solutions-only -->")
EXERCISES_ONLY = ("<!-- exercises-only", "-->")


class ExerciseVersion(NbGraderPreprocessor):  # enabled by default, as nbgrader's own steps
    """nbgrader preprocessor: turn the solution notebook's own words into the exercise's.

    - The title's first word "Solutions" becomes "Exercises".
    - Markdown between ``<!-- solutions-only -->`` and ``<!-- /solutions-only -->`` is dropped.
    - Markdown hidden in an ``<!-- exercises-only … -->`` comment is revealed (the solutions
      page does not show it).
    - Every code cell from the first answer cell on is tagged ``raises-exception``: in the
      exercise, anything that uses an unwritten answer raises ``NotImplementedError``.  The
      solution notebook itself runs strictly, so a wrong solution fails its checks.

    ``nbgrader_config.py`` adds this step to ``nbgrader generate_assignment`` too, so both
    commands give the same notebook.
    """

    def preprocess(self, nb, resources):
        self._answers_started = False
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            source = re.sub(r"^# Solutions\b", "# Exercises", cell.source)
            source = re.sub(rf"\n?{re.escape(SOLUTIONS_ONLY[0])}.*?{re.escape(SOLUTIONS_ONLY[1])}\n?", "\n",
                            source, flags=re.DOTALL)
            source = re.sub(rf"{re.escape(EXERCISES_ONLY[0])}\n?(.*?)\n?{re.escape(EXERCISES_ONLY[1])}", r"\1",
                            source, flags=re.DOTALL)
            cell.source = source.strip("\n")
        elif cell.cell_type == "code":
            self._answers_started |= bool(cell.metadata.get("nbgrader", {}).get("solution"))
            if self._answers_started and "raises-exception" not in cell.metadata.get("tags", []):
                cell.metadata["tags"] = [*cell.metadata.get("tags", []), "raises-exception"]
        return cell, resources


class SolutionNotebookError(ValueError):
    """A solution notebook cannot be turned into an exercise; the message names the cell."""


def validate(notebook: nbformat.NotebookNode, name: str) -> None:
    """Check the solution markers of ``notebook`` (called ``name`` in messages)."""
    for index, cell in enumerate(notebook.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        depth, has_markers = 0, False
        for number, line in enumerate(cell.source.splitlines(), 1):
            # A marker is any line holding the words, exactly as nbgrader's ClearSolutions sees it.
            if "BEGIN SOLUTION" in line:
                has_markers = True
                if depth:
                    raise SolutionNotebookError(f"{where}, line {number}: a second {BEGIN} before {END}")
                depth = 1
            elif "END SOLUTION" in line:
                has_markers = True
                if not depth:
                    raise SolutionNotebookError(f"{where}, line {number}: {END} without a {BEGIN} before it")
                depth = 0
        if depth:
            raise SolutionNotebookError(f"{where}: {BEGIN} has no {END}; the exercise would lose the rest of the cell")
        grading = cell.metadata.get("nbgrader", {})
        if has_markers and not grading.get("solution"):
            raise SolutionNotebookError(f"{where}: has solution markers (a line with BEGIN/END SOLUTION) but no "
                                        "nbgrader metadata with solution: true; reword it or make it a solution cell")


def generate(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a solution notebook (a new notebook; the input is unchanged)."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                        ClearSolutions, ComputeChecksums, LockCells)

    student = nbformat.from_dict(notebook)
    resources: dict = {}
    # nbgrader's GenerateAssignment order (see nbgrader_config.py), less the steps that need its
    # database or a header file.
    for step in (ExerciseVersion, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
                 ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata):
        student, resources = step().preprocess(student, resources)
    student.metadata.pop(stamp.KEY, None)  # the stamp describes the solution's run, not this notebook
    return student


def solution_notebooks(root: Path = SOLUTIONS) -> list[Path]:
    return sorted(root.glob("*/*.ipynb"))


def target_for(source: Path) -> Path:
    return EXERCISES / source.relative_to(SOLUTIONS)


def render(source: Path) -> str:
    """The exercise notebook for ``source``, as the text that belongs on disk."""
    notebook = nbformat.read(source, as_version=4)
    name = str(source.relative_to(ROOT))
    validate(notebook, name)
    try:
        return nbformat.writes(generate(notebook)) + "\n"
    except RuntimeError as error:  # nbgrader's own complaints, with the notebook named
        raise SolutionNotebookError(f"{name}: nbgrader could not generate the exercise: {error}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.tools.exercises",
                                     description="Generate exercises/ from solutions/.")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    args = parser.parse_args(argv)
    sources = solution_notebooks()
    expected = {target_for(s): s for s in sources}
    stale = []
    try:
        for target, source in expected.items():
            text = render(source)
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
                if not args.check:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
    except SolutionNotebookError as error:
        print(f"✘ {error}", file=sys.stderr)
        return 2
    orphans = [p for p in EXERCISES.glob("*/*.ipynb") if p not in expected]
    for orphan in orphans:
        stale.append(orphan)
        if not args.check:
            orphan.unlink()
    for path in stale:
        verb = "out of date" if args.check else "written"
        print(f"{path.relative_to(ROOT)}: {verb}" if path.exists() or args.check else
              f"{path.relative_to(ROOT)}: removed (no solution notebook)")
    if args.check and stale:
        print("exercises/ is out of sync with solutions/: run `python -m neuronlab.tools.exercises`", file=sys.stderr)
        return 1
    if not stale:
        print(f"exercises/ is up to date ({len(sources)} notebook(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
