"""Exercise generation: nbgrader's machinery, in sync, with stubs that raise where tagged."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from neuronlab.tools import exercises

ROOT = Path(__file__).resolve().parents[2]


def _solution(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source, grading, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if grading:
            cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "task": False, **grading}
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    return notebook


ANSWER = {"solution": True, "grade": False, "grade_id": "answer"}
TEST = {"solution": False, "grade": True, "grade_id": "test", "points": 1, "locked": True}
RAISES = ["raises-exception"]


def test_exercises_folder_is_in_sync_with_solutions():
    assert exercises.main(["--check"]) == 0, "run: python -m neuronlab.tools.exercises"


def test_every_solution_has_its_exercise():
    sources = exercises.solution_notebooks()
    assert sources
    for source in sources:
        assert exercises.target_for(source).exists()


def test_generation_replaces_solutions_with_nbgrader_stubs_and_keeps_tags():
    notebook = _solution(("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION", ANSWER, RAISES),
                         ("assert f() == 42", TEST, RAISES))
    exercises.validate(notebook, "demo.ipynb")
    student = exercises.generate(notebook)
    assert "return 42" not in student.cells[0].source
    assert "raise NotImplementedError()" in student.cells[0].source
    assert student.cells[0].metadata["tags"] == RAISES
    assert "checksum" in student.cells[1].metadata["nbgrader"], "nbgrader's checksums are computed"
    assert "return 42" in notebook.cells[0].source, "the solution notebook itself is not modified"


def test_solution_block_without_end_marker_names_notebook_and_cell():
    notebook = _solution(("x = 1", None, None), ("### BEGIN SOLUTION\ny = 2", ANSWER, RAISES))
    with pytest.raises(exercises.SolutionNotebookError, match=r"demo\.ipynb, cell 1 .*has no ### END SOLUTION"):
        exercises.validate(notebook, "demo.ipynb")


def test_end_marker_without_begin_is_an_error():
    notebook = _solution(("y = 2\n### END SOLUTION", ANSWER, RAISES))
    with pytest.raises(exercises.SolutionNotebookError, match="without a ### BEGIN SOLUTION"):
        exercises.validate(notebook, "demo.ipynb")


def test_markers_without_nbgrader_metadata_are_an_error():
    notebook = _solution(("### BEGIN SOLUTION\ny = 2\n### END SOLUTION", None, RAISES))
    with pytest.raises(exercises.SolutionNotebookError, match="no nbgrader metadata"):
        exercises.validate(notebook, "demo.ipynb")


def test_exercise_version_tags_cells_from_the_first_answer_on_and_leaves_the_solution_strict():
    notebook = _solution(("import math", None, None),
                         ("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION", ANSWER, None),
                         ("assert f() == 42", TEST, None), ("print(f())", None, None))
    student = exercises.generate(notebook)
    assert "tags" not in student.cells[0].metadata or not student.cells[0].metadata["tags"]
    assert all("raises-exception" in c.metadata["tags"] for c in student.cells[1:])
    assert all("tags" not in c.metadata for c in notebook.cells), "the solution notebook stays untagged"


def test_exercise_version_retitles_and_swaps_the_notes():
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "# Solutions 09 · Demo\n\nShared text.\n<!-- solutions-only -->\nSee the answers.\n<!-- /solutions-only -->\n"
        "<!-- exercises-only\nFill in the stubs.\n-->"))
    text = exercises.generate(notebook).cells[0].source
    assert text.startswith("# Exercises 09 · Demo") and "Shared text." in text
    assert "See the answers" not in text and "Fill in the stubs." in text and "<!--" not in text


def test_generated_stubs_raise_not_implemented_error_where_tagged(tmp_path):
    """Run each exercise notebook as a learner who has written nothing yet would."""
    from nbclient import NotebookClient

    for path in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=600,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute(env={**os.environ, "NEURONLAB_QUICK": "1"})
        tests = 0
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            names = [o.ename for o in cell.outputs if o.output_type == "error"]
            where = f"{path.name} cell {index}"
            grading = cell.metadata.get("nbgrader", {})
            if "raises-exception" not in cell.metadata.get("tags", []):
                assert not names, f"{where} fails ({names}) but is not tagged raises-exception"
            elif grading.get("grade") and not grading.get("solution"):
                tests += 1  # a check on an unwritten answer must say "not implemented", not crash otherwise
                assert names == ["NotImplementedError"], f"{where}: the check should raise NotImplementedError, got {names}"
            else:
                assert names in ([], ["NotImplementedError"]), f"{where}: unexpected error {names}"
        assert tests, f"{path.name} has no test cells"


def test_nbgrader_generate_assignment_gives_the_same_student_notebooks(tmp_path):
    """An instructor's own `nbgrader generate_assignment` on solutions/ yields exercises/ as committed."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    nbgrader = Path(sys.executable).with_name("nbgrader")
    for source in exercises.solution_notebooks():
        assignment = source.parent.name
        subprocess.run([str(nbgrader), "generate_assignment", assignment, "--no-db"], cwd=tmp_path,
                       check=True, capture_output=True)
        theirs = nbformat.read(tmp_path / "exercises" / assignment / source.name, as_version=4)
        ours = nbformat.read(exercises.target_for(source), as_version=4)
        theirs.metadata.pop("neuronlab", None)  # the one difference: ours drops the solution's run stamp
        assert theirs.cells == ours.cells and theirs.metadata == ours.metadata


@pytest.mark.parametrize("source", ["## BEGIN SOLUTION\ny = 2", "y = 1  # BEGIN SOLUTION here\ny = 2"])
def test_markers_are_found_as_nbgrader_finds_them_anywhere_in_a_line(source):
    notebook = _solution((source, ANSWER, None))
    with pytest.raises(exercises.SolutionNotebookError, match="has no ### END SOLUTION"):
        exercises.validate(notebook, "demo.ipynb")


def test_a_marker_mentioned_in_a_markdown_cell_is_named_before_nbgrader_trips_on_it():
    notebook = _solution(("x = 1", None, None))
    notebook.cells.append(nbformat.v4.new_markdown_cell("Write your answer after ### BEGIN SOLUTION ..."))
    with pytest.raises(exercises.SolutionNotebookError, match=r"demo\.ipynb, cell 1 .*BEGIN SOLUTION"):
        exercises.validate(notebook, "demo.ipynb")
