"""Generate ``exercises/`` from ``solutions/`` with nbgrader's own preprocessors.

``solutions/<assignment>/<notebook>.ipynb`` is the source, laid out as nbgrader's
``source`` folder (see ``nbgrader_config.py``): an instructor who runs
``nbgrader generate_assignment`` gets the same student notebooks.  This command
runs the same preprocessors without a gradebook database::

    python -m neuronlab.tools.exercises           # write exercises/
    python -m neuronlab.tools.exercises --check   # exit 1 if exercises/ is out of date
    python -m neuronlab.tools.exercises --validate [NOTEBOOK ...]   # check solution notebooks for grading

Before generating, each solution notebook is checked: every ``### BEGIN SOLUTION``
has its ``### END SOLUTION`` in the same cell, and markers sit only in cells that
nbgrader knows as solution cells.  See :class:`ExerciseVersion` for the course's
one step on top of nbgrader's.

``--validate`` goes further, for anyone writing a solution notebook (every one of
``solutions/`` by default, or the notebooks named, wherever they are): it lists every
problem that would stop nbgrader from grading it fairly (:func:`grading_problems`:
markers, hidden tests, grade ids, points, locked tests), then runs the solution (each
test must pass without writing to stderr) and the generated exercise (each test must
raise ``NotImplementedError``, and only cells tagged ``raises-exception`` may fail),
both in a temporary copy of the notebook's folder, in quick mode.  ``--no-run`` skips
the two runs.
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
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
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
    - The executor's stamp (the solution's run time) is dropped from the metadata.

    ``nbgrader_config.py`` adds this step to ``nbgrader generate_assignment`` too, so both
    commands give the same notebook.
    """

    def preprocess(self, nb, resources):
        self._answers_started = False
        nb.metadata.pop(stamp.KEY, None)  # the stamp describes the solution's run, not the exercise
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
        problem = _marker_problem(cell, f"{name}, cell {index} (id {cell.get('id', '?')})")
        if problem:
            raise SolutionNotebookError(problem)


def _marker_problem(cell, where: str) -> str | None:
    """What is wrong with the solution markers of ``cell`` (``where`` names it), or None."""
    depth, has_markers = 0, False
    for number, line in enumerate(cell.source.splitlines(), 1):
        # A marker is any line holding the words, exactly as nbgrader's ClearSolutions sees it.
        if "BEGIN SOLUTION" in line:
            has_markers = True
            if depth:
                return f"{where}, line {number}: a second {BEGIN} before {END}"
            depth = 1
        elif "END SOLUTION" in line:
            has_markers = True
            if not depth:
                return f"{where}, line {number}: {END} without a {BEGIN} before it"
            depth = 0
    if depth:
        return f"{where}: {BEGIN} has no {END}; the exercise would lose the rest of the cell"
    grading = cell.metadata.get("nbgrader", {})
    if has_markers and not grading.get("solution"):
        return (f"{where}: has solution markers (a line with BEGIN/END SOLUTION) but no "
                "nbgrader metadata with solution: true; reword it or make it a solution cell")
    return None


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
    return student


_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _hidden_problem(cell, where: str) -> str | None:
    """What is wrong with the hidden-test markers of ``cell``, or None (as nbgrader's ClearHiddenTests reads them)."""
    inside, found = False, False
    for number, line in enumerate(cell.source.splitlines(), 1):
        if "BEGIN HIDDEN TESTS" in line:
            if inside:
                return f"{where}, line {number}: a second {HIDDEN_BEGIN} before {HIDDEN_END}"
            inside = found = True
        elif "END HIDDEN TESTS" in line:
            if not inside:
                return f"{where}, line {number}: {HIDDEN_END} without a {HIDDEN_BEGIN} before it"
            inside = False
    if inside:
        return f"{where}: {HIDDEN_BEGIN} has no {HIDDEN_END}; nbgrader would refuse the notebook"
    grading = cell.metadata.get("nbgrader", {})
    if found and not (cell.cell_type == "code" and grading.get("grade") and not grading.get("solution")):
        return (f"{where}: hidden tests belong in a test cell (a code cell with grade: true and solution: false); "
                "anywhere else nbgrader cannot restore them when it grades")
    return None


def grading_problems(notebook: nbformat.NotebookNode, name: str) -> list[str]:
    """Every problem that would stop nbgrader from grading ``notebook`` fairly; one message per problem.

    Solution and hidden-test markers balanced and in the right cells; every graded, answer or
    locked cell with a grade id (letters, digits, ``-`` and ``_``), unique in the notebook; every
    graded cell with points (a number > 0); test cells locked; written answers (markdown) both
    graded and answer cells; nbgrader's metadata schema 3; at least one graded cell. An empty list
    means none was found.
    """
    problems, ids, graded = [], {}, 0
    for index, cell in enumerate(notebook.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        problems += filter(None, [_marker_problem(cell, where), _hidden_problem(cell, where)])
        grading = cell.metadata.get("nbgrader")
        if not grading or grading.get("task"):
            continue
        grade, solution, locked = (bool(grading.get(key)) for key in ("grade", "solution", "locked"))
        if grading.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader metadata of schema_version {grading.get('schema_version')!r}; "
                            "this nbgrader reads version 3 (`nbgrader update` upgrades a notebook)")
        if grade or solution or locked:
            grade_id = grading.get("grade_id")
            if not grade_id:
                problems.append(f"{where}: an nbgrader cell with no grade_id (give every graded, answer and "
                                "read-only cell a short unique name)")
            elif not _GRADE_ID.match(str(grade_id)):
                problems.append(f"{where}: grade_id {grade_id!r}: use letters, digits, - and _ only")
            elif grade_id in ids:
                problems.append(f"{where}: grade_id {grade_id!r} is also the id of cell {ids[grade_id]}")
            else:
                ids[grade_id] = index
        if grade:
            graded += 1
            points = grading.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
                problems.append(f"{where}: graded cell {grading.get('grade_id')!r} has points {points!r}; "
                                "give it a number of points > 0")
            if cell.cell_type == "code" and not solution and not locked:
                problems.append(f"{where}: test cell {grading.get('grade_id')!r} is not locked (locked: true), "
                                "so learners can edit it")
        if cell.cell_type == "markdown" and grade != solution:
            problems.append(f"{where}: a written answer (markdown) must be both a graded cell and an answer cell "
                            "(grade: true, solution: true) with points")
    if not graded:
        problems.append(f"{name}: no graded cell (grade: true): nbgrader would have nothing to grade")
    return problems


def _run(notebook: nbformat.NotebookNode, folder: Path, *, timeout: int) -> nbformat.NotebookNode:
    """Run ``notebook`` in a temporary copy of ``folder``, in quick mode, errors kept as outputs."""
    import os
    import shutil
    import subprocess
    import tempfile

    from nbclient import NotebookClient

    from neuronlab import config

    with tempfile.TemporaryDirectory(prefix="neuronlab-validate-") as scratch:
        workdir = Path(scratch) / folder.name
        shutil.copytree(folder, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
        env[config.QUICK_ENV] = "1"
        client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=timeout,
                                resources={"metadata": {"path": str(workdir)}})
        client.execute(env=env, stderr=subprocess.DEVNULL)  # the kernel's start-up chatter, not a cell's output
    return notebook


def _errors(cell) -> list[str]:
    return [output.ename for output in cell.get("outputs", []) if output.output_type == "error"]


def run_problems(path: Path, *, timeout: int = 600) -> list[str]:
    """Run the solution notebook at ``path`` and its generated exercise; the problems found.

    The solution must pass each test cell without an error or a write to stderr (nbgrader scores
    either as 0). The exercise is run as by a learner who has written nothing yet: each test cell
    must raise ``NotImplementedError``, and a cell not tagged ``raises-exception`` must not fail.
    """
    name = _display(path)
    problems = []
    solution = _run(nbformat.read(path, as_version=4), path.parent, timeout=timeout)
    for index, cell in enumerate(solution.cells):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not grading.get("grade") or grading.get("solution"):
            continue
        where = f"{name} (the solution), cell {index} ({grading.get('grade_id')})"
        if _errors(cell):
            problems.append(f"{where}: the test fails on the solution ({', '.join(_errors(cell))})")
        elif any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs):
            problems.append(f"{where}: the test writes to stderr, which nbgrader scores as 0 (silence the warning)")
    exercise = _run(generate(nbformat.read(path, as_version=4)), path.parent, timeout=timeout)
    for index, cell in enumerate(exercise.cells):
        if cell.cell_type != "code":
            continue
        where, errors = f"{name} (the exercise), cell {index}", _errors(cell)
        grading = cell.metadata.get("nbgrader", {})
        if "raises-exception" not in cell.metadata.get("tags", []):
            if errors:
                problems.append(f"{where}: fails ({', '.join(errors)}) but is not tagged raises-exception")
        elif grading.get("grade") and not grading.get("solution") and errors != ["NotImplementedError"]:
            problems.append(f"{where} ({grading.get('grade_id')}): on an unwritten answer the test should raise "
                            f"NotImplementedError, got {errors or 'no error'}")
        elif errors not in ([], ["NotImplementedError"]):
            problems.append(f"{where}: unexpected error {errors}")
    return problems


def _summary(notebook: nbformat.NotebookNode) -> str:
    cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests = [c for c in cells if c.cell_type == "code" and not c.metadata["nbgrader"].get("solution")]
    hidden = sum(1 for c in tests if "BEGIN HIDDEN TESTS" in c.source)
    points = sum(float(c.metadata["nbgrader"].get("points", 0) or 0) for c in cells)
    return (f"{len(tests)} test cell(s), {hidden} with hidden tests, {len(cells) - len(tests)} written answer(s), "
            f"{points:g} points")


def _display(path: Path) -> str:
    """``path`` as short as it can be said: from the current folder, else from the repository, else whole."""
    path = Path(path).resolve()
    for base in (Path.cwd(), ROOT):
        if base in path.parents:
            return str(path.relative_to(base))
    return str(path)


def check_solutions(paths: list[Path], *, run: bool = True, out=None) -> int:
    """``--validate``: print what :func:`grading_problems` and :func:`run_problems` find; 1 if anything."""
    out = out or sys.stdout
    failed = False
    for path in paths:
        name = _display(path)
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # not a notebook nbformat can read
            print(f"✘ {name}: cannot be read as a notebook ({error})", file=out)
            failed = True
            continue
        problems = grading_problems(notebook, name)
        if not problems and run:
            try:
                problems = run_problems(Path(path))
            except Exception as error:  # nbgrader refused to generate it, or the kernel could not run
                problems = [f"{name}: could not be run: {type(error).__name__}: {error}"]
        if problems:
            failed = True
            print(f"✘ {name}: {len(problems)} problem(s)", file=out)
            for problem in problems:
                print(f"    - {problem}", file=out)
        else:
            ran = "; the solution passes every test and the exercise's tests say NotImplementedError" if run else ""
            print(f"✔ {name}: {_summary(notebook)}{ran}", file=out)
    return 1 if failed else 0


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
    parser.add_argument("--validate", nargs="*", type=Path, metavar="NOTEBOOK",
                        help="write nothing; check solution notebooks for grading (default: all of solutions/)")
    parser.add_argument("--no-run", action="store_true", help="with --validate: check the metadata only, run nothing")
    args = parser.parse_args(argv)
    if args.validate is not None:
        return check_solutions(args.validate or solution_notebooks(), run=not args.no_run)
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
