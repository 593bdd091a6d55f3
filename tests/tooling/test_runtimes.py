"""The run-time table of the landing page, built from the executor's stamps without Sphinx."""

from __future__ import annotations

import nbformat
import pytest

from neuronlab.tools import runtimes, stamp
from neuronlab.tools.runtimes import Cell, RunTime


def _notebook(path, *, seconds=None, mode="full", points=(), edit_after_stamp=False, peak=None):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# A notebook"))
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1"))
    for index, value in enumerate(points):
        cell = nbformat.v4.new_code_cell(f"check({index})")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": f"test-{index}", "points": value}
        notebook.cells.append(cell)
    answer = nbformat.v4.new_code_cell("answer = 42")  # an answer cell: no points of its own
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "answer"}
    notebook.cells.append(answer)
    if seconds is not None:
        stamp.stamp(notebook, seconds=seconds, mode=mode, peak_memory_mib=peak)
    if edit_after_stamp:
        notebook.cells[1].source = "x = 2"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def course(tmp_path):
    """Chapter 01 run, with stamped exercises; chapter 02 never run, with no exercises."""
    _notebook(tmp_path / "chapters" / "01_gates.ipynb", seconds=8.73, peak=1433.6)
    _notebook(tmp_path / "chapters" / "02_rule.ipynb")
    _notebook(tmp_path / "solutions" / "01_gates" / "01_gates.ipynb", seconds=1.8, points=(2, 1, 0.5))
    _notebook(tmp_path / "exercises" / "01_gates" / "01_gates.ipynb", points=(2, 1, 0.5))
    return tmp_path


def test_chapter_runtimes_reads_the_stamps_and_sums_the_exercise_points(course):
    rows = runtimes.chapter_runtimes(course, ["chapters/01_gates", "chapters/02_rule"])

    first, second = rows
    assert first.run == RunTime("fresh", 8.7, 1433.6)
    assert first.solutions == "solutions/01_gates/01_gates" and first.exercises == "exercises/01_gates/01_gates"
    assert first.solutions_run == RunTime("fresh", 1.8)
    assert first.points == 3.5
    assert second.run == RunTime("never")
    assert (second.exercises, second.solutions, second.solutions_run, second.points) == (None, None, None, None)


def test_runtime_table_has_one_row_per_chapter_and_a_total(course):
    rows = runtimes.chapter_runtimes(course, ["chapters/01_gates", "chapters/02_rule"])

    header, body = runtimes.runtime_table(rows)

    assert header == ("Chapter", "Chapter run time · peak memory", "Exercises",
                      "Solutions run time · peak memory")
    assert body == [
        (Cell("", "chapters/01_gates"), Cell("8.7 s · 1.4 GiB"), Cell("3.5 points", "exercises/01_gates/01_gates"),
         Cell("1.8 s")),
        (Cell("", "chapters/02_rule"), Cell("not yet run"), Cell("–"), Cell("–")),
        (Cell("All 2 chapters"), Cell("at least 8.7 s"), Cell("3.5 points"), Cell("1.8 s")),
    ]


def test_runtime_table_says_when_a_time_no_longer_holds(tmp_path):
    _notebook(tmp_path / "chapters" / "01_a.ipynb", seconds=75, edit_after_stamp=True, peak=812.4)
    _notebook(tmp_path / "chapters" / "02_b.ipynb", seconds=3, mode="quick")

    _, body = runtimes.runtime_table(runtimes.chapter_runtimes(tmp_path, ["chapters/01_a", "chapters/02_b"]))

    assert body[0][1] == Cell("1 min 15 s · 812 MiB (before later changes)")
    assert body[1][1] == Cell("not yet run on full data")
    assert body[2][1] == Cell("–"), "no fresh time: no total either"


def test_one_chapter_needs_no_total_row_and_one_point_is_singular(tmp_path):
    _notebook(tmp_path / "chapters" / "01_a.ipynb", seconds=2)
    _notebook(tmp_path / "solutions" / "01_a" / "01_a.ipynb", seconds=1, points=(1,))

    _, body = runtimes.runtime_table(runtimes.chapter_runtimes(tmp_path, ["chapters/01_a"]))

    assert body == [(Cell("", "chapters/01_a"), Cell("2.0 s"), Cell("1 point"), Cell("1.0 s"))], (
        "no exercise notebook: the points are shown but not linked")


def test_only_documents_the_site_builds_are_linked(course):
    rows = runtimes.chapter_runtimes(course, ["chapters/01_gates"], documents={"chapters/01_gates"})

    assert rows[0].exercises is None and rows[0].solutions is None and rows[0].points is None


def test_a_chapter_without_a_notebook_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="chapters/03_missing"):
        runtimes.chapter_runtimes(tmp_path, ["chapters/03_missing"])


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0.0 s"), (8.73, "8.7 s"), (59.9, "59.9 s"), (59.96, "1 min"), (125, "2 min 5 s"), (3569, "59 min 29 s"),
    (3600, "1 h"), (3725, "1 h 2 min"),
])
def test_format_seconds_reads_like_a_person_would_say_it(seconds, text):
    assert runtimes.format_seconds(seconds) == text


@pytest.mark.parametrize(("mib", "text"), [
    (0, "0 MiB"), (166.96, "167 MiB"), (1023.4, "1023 MiB"), (1023.6, "1.0 GiB"), (1433.6, "1.4 GiB"),
    (2048, "2.0 GiB"),
])
def test_format_memory_switches_to_gib_at_one_gib(mib, text):
    assert runtimes.format_memory(mib) == text


def test_format_memory_rejects_a_negative_amount():
    with pytest.raises(ValueError, match="mib must be >= 0"):
        runtimes.format_memory(-1)


def test_format_seconds_rejects_a_negative_time():
    with pytest.raises(ValueError, match="seconds must be >= 0"):
        runtimes.format_seconds(-1)
