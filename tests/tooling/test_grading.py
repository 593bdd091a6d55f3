"""Grading with nbgrader: assign, autograde hand-ins in sandboxes and in parallel, feedback, grades; hidden tests.

The end-to-end test grades chapter 02 for thirteen hand-ins in a temporary course folder, two at a time,
each in its bubblewrap sandbox: two honest ones, a plausible wrong answer, three that cannot be graded,
and one of each hostile kind (it writes, deletes and reads outside its folder, opens sockets and signals
the grader; allocates far too much memory; forks without end; fills its disk; prints without end;
loops, exits and deletes its files; kills its kernel). It checks every score and reason, the feedback,
the limits, and that nothing outside the hand-ins' scratch folders changed. A second, sequential run
checks that grading one at a time gives the same scores, and that they are the scores nbgrader's own
``autograde`` gives.
"""

from __future__ import annotations

import copy
import html
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from neuronlab.tools import exercises, grade, hand_ins, runtimes

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "02_perceptrons"
TIMEOUT = 15  # seconds per cell: the chapter's cells take well under a second each
SKIPPED = {".git", ".venv", "__pycache__", "_build", ".pytest_cache", ".ipynb_checkpoints"}


# --------------------------------------------------------------------------- helpers
def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """path → (size, mtime in ns) for every file under ``folder``, skipping caches and the virtualenv."""
    found = {}
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        for name in files:
            path = Path(directory, name)
            info = path.lstat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


def _changes(before: dict, after: dict) -> list[str]:
    return sorted({key for key in before.keys() | after.keys() if before.get(key) != after.get(key)})


def _answers() -> dict[str, str]:
    return hand_ins.answers(CHAPTER)


def _hand_in(edit=None, **replace: str) -> nbformat.NotebookNode:
    return hand_ins.hand_in(CHAPTER, edit, **replace)


_index = hand_ins.index
LIMITS = grade.Limits(memory=2**30, processes=128, file_size=16 * 2**20, scratch=64 * 2**20)
"""The test's sandbox limits: small, so that the hostile hand-ins reach them fast."""


def _tree(folder: Path) -> dict[str, str]:
    """path → sha256 of every file under ``folder`` (the content, not the times)."""
    import hashlib

    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import socket

    if grade.sandbox_problem():
        pytest.fail(grade.sandbox_problem())
    base = tmp_path_factory.mktemp("grading")
    inbox, course, canary = base / "hand-ins", base / "course", base / "canary"
    inbox.mkdir()
    canary.mkdir()
    (canary / "keep.txt").write_text("the instructor's file\n")
    listener = socket.create_server(("127.0.0.1", 0))  # a service on the grader's machine
    marker = f"neuronlab-probe-{os.getpid()}"
    paths = {"canary": str(canary), "home": str(Path.home()), "course": str(course), "inbox": str(inbox),
             "other": str(course / "submitted" / "ada" / CHAPTER / f"{CHAPTER}.ipynb"), "marker": marker}
    probes, attempts = hand_ins.probes(CHAPTER, paths, listener.getsockname()[1], os.getpid())
    nbformat.write(_hand_in(), inbox / "ada.ipynb")
    nbformat.write(_hand_in(), inbox / "abe.ipynb")
    nbformat.write(_hand_in(**hand_ins.WRONG[CHAPTER]), inbox / "bob.ipynb")
    (inbox / "eve").mkdir()  # a folder hand-in, the notebook one level down
    nbformat.write(_hand_in(hand_ins.hostile_02), inbox / "eve" / f"{CHAPTER}.ipynb")
    for student, kind in {"kim": "kernel killer", "mia": "memory hog", "fay": "fork bomb", "dan": "disk filler",
                          "pia": "endless printer"}.items():
        nbformat.write(_hand_in(hand_ins.HOSTILE[kind]), inbox / f"{student}.ipynb")
    nbformat.write(_hand_in(probes), inbox / "ivy.ipynb")
    (inbox / "lee.txt").write_text("I could not open the notebook, so here is my answer in text.\n")
    (inbox / "max.ipynb").write_bytes(b"")
    nbformat.write(_hand_in(hand_ins.strip_graded), inbox / "noa.ipynb")

    grade.assign(CHAPTER, course, timeout=TIMEOUT, quick=True, sandbox=LIMITS, out=io.StringIO())
    repository_config = (ROOT / "nbgrader_config.py").read_bytes()
    outside = {"repository": _snapshot(ROOT), "hand-ins": _tree(inbox), "canary": _tree(canary),
               "release": _tree(course / "release")}
    out = io.StringIO()
    try:
        results = grade.grade(CHAPTER, inbox, course, timeout=TIMEOUT, quick=True, sandbox=LIMITS, workers=2, out=out)
    finally:
        listener.close()
    (base / "report.txt").write_text(out.getvalue(), encoding="utf-8")  # for a person to read
    after = {"repository": _snapshot(ROOT), "hand-ins": _tree(inbox), "canary": _tree(canary),
             "release": _tree(course / "release")}
    return SimpleNamespace(results={r.student: r for r in results}, course=course, inbox=inbox, out=out.getvalue(),
                           outside=outside, after=after, repository_config=repository_config, attempts=attempts,
                           marker=marker, canary=canary)


def _feedback(graded, student: str) -> str:
    return html.unescape((graded.course / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text(encoding="utf-8"))


def _autograded(graded, student: str) -> nbformat.NotebookNode:
    return nbformat.read(graded.course / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)


# --------------------------------------------------------------------------- end to end
HONEST = ("ada", "abe")


def _outputs(graded, student: str) -> str:
    """Every text the hand-in's cells printed, as graded."""
    return "".join(o.get("text", "") for c in _autograded(graded, student).cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream")


def test_every_hand_in_is_reported_by_name_with_progress(graded):
    assert sorted(graded.results) == sorted(["ada", "abe", "bob", "eve", "kim", "ivy", "mia", "fay", "dan", "pia",
                                             "lee", "max", "noa"])
    for label in ("ada.ipynb", "bob.ipynb", "eve", "kim.ipynb", "lee.txt", "max.ipynb", "noa.ipynb", "fay.ipynb"):
        assert f"  {label}: " in graded.out, f"{label} is not named in the command's report:\n{graded.out}"
    progress = re.findall(r"^  \[(\d+)/10\] (\S+): (.*)$", graded.out, flags=re.M)
    assert sorted(int(n) for n, _, _ in progress) == list(range(1, 11)), graded.out
    assert all(" left" in line for n, _, line in progress if n != "10"), "each line but the last has a time left"
    assert "2 at a time, each in a sandbox (memory 1 GB, 128 processes" in graded.out


def test_the_solution_gets_full_marks(graded):
    chapter = grade.chapter(CHAPTER)
    assert chapter.auto_points == 12 and chapter.points == runtimes.exercise_points(chapter.notebooks[0])
    for student in HONEST:
        result = graded.results[student]
        assert (result.status, result.score, result.auto_max, result.manual_max) == ("graded", 12, 12, 2)
        assert not result.failed and not result.notes
        errors = [o for c in _autograded(graded, student).cells for o in c.get("outputs", [])
                  if o.output_type == "error"]
        assert not errors, errors
        assert "CheckFailed" not in _feedback(graded, student)


def test_a_wrong_answer_gets_partial_marks_and_the_feedback_names_each_mistake(graded):
    bob = graded.results["bob"]
    assert bob.status == "graded" and 0 < bob.score < bob.auto_max
    lost = {entry.split(" ")[0]: entry for entry in bob.failed}
    assert set(lost) == {"test-perceptron-fit", "test-perceptron-predict", "test-sklearn-twin", "test-first-repeat"}
    assert bob.score == 12 - 3 - 1 - 2 - 2
    page = _feedback(graded, "bob")
    for words in ("the update must use the target as -1 or +1",          # the check recognises the slip
                  "scikit-learn shuffles the samples every epoch",       # … names the setting to change
                  "points on the decision boundary, where z = 0 exactly"):  # … and the hidden test's case
        assert words in page, f"the feedback does not say {words!r}"
        assert any(words in entry for entry in bob.failed), f"summary.csv does not say {words!r}"


def test_hidden_tests_grade_what_the_visible_check_cannot_see_and_stay_hidden(graded):
    cell = _autograded(graded, "bob").cells[_index(_autograded(graded, "bob"), "test-perceptron-predict")]
    texts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
    assert any(t.startswith("✔ perceptron_predict is right") for t in texts), "the visible check passes"
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["CheckFailed"], "the hidden one fails"
    for student in ("ada", "bob"):
        page = _feedback(graded, student)
        assert "HIDDEN TESTS" not in page and "_hidden_perceptron_predict" not in page
    released = (graded.course / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()
    assert released == (ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()
    assert b"HIDDEN TESTS" not in released


def test_a_hostile_hand_in_is_graded_within_the_time_and_output_limits(graded):
    eve = graded.results["eve"]
    assert eve.status == "graded"
    # The loop was stopped, sys.exit() and the deletions were survived: every answer still counts,
    # the edited test was restored from the gradebook, and the deleted one scores 0.
    assert eve.score == 12 - 1 - 1
    assert [e.split(" ")[0] for e in eve.failed] == ["test-parameters", "test-layer-forward:"]
    assert "deleted from the submission" in eve.failed[1] and "test-layer-forward" in eve.reason
    assert "stopped at the time limit" in eve.notes[0] and "output cut at the byte limit" in eve.notes[0]
    notebook = _autograded(graded, "eve")
    loop = next(cell for cell in notebook.cells if cell.source.startswith("while True:"))
    assert "CellTimeoutError" in [o.ename for o in loop.outputs if o.output_type == "error"]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            size = sum(grade._output_size(o) for o in cell.outputs)
            assert size <= grade.MAX_OUTPUT_BYTES + 200, f"a cell kept {size} bytes of output"
    path = graded.course / "autograded" / "eve" / CHAPTER / f"{CHAPTER}.ipynb"
    assert path.stat().st_size < 1_000_000
    assert (graded.course / "feedback" / "eve" / CHAPTER / f"{CHAPTER}.html").stat().st_size < 2_000_000


def test_a_hand_in_that_reaches_out_of_its_sandbox_is_blocked_every_time_and_keeps_its_marks(graded):
    ivy = graded.results["ivy"]
    assert (ivy.status, ivy.score) == ("graded", 12), "the probes cost it nothing: its answers are right"
    printed = _outputs(graded, "ivy")
    assert "REACHED" not in printed, printed
    for attempt in graded.attempts:
        assert f"blocked · {attempt} · " in printed, f"no verdict for {attempt!r}:\n{printed}"
    assert "wrote in its scratch folder" in printed
    assert not Path("/tmp", graded.marker).exists(), "its /tmp is its own scratch folder, not the machine's"
    assert not (graded.course / "autograded" / "ivy" / CHAPTER / graded.marker).exists()


def test_a_hand_in_that_allocates_far_too_much_memory_is_stopped_with_the_reason(graded):
    mia = graded.results["mia"]
    assert (mia.status, mia.score) == ("failed", 0)
    assert mia.reason.startswith("used more than its 1 GB of memory"), mia.reason


def test_a_fork_bomb_is_stopped_with_the_reason(graded):
    fay = graded.results["fay"]
    assert (fay.status, fay.score) == ("failed", 0)
    assert fay.reason.startswith("reached its limit of 128 processes and threads"), fay.reason


def test_a_hand_in_that_fills_its_disk_meets_the_file_and_folder_limits_and_keeps_its_marks(graded):
    dan = graded.results["dan"]
    assert (dan.status, dan.score) == ("graded", 12)
    printed = _outputs(graded, "dan")
    assert "blocked · one big file · File too large" in printed
    assert "blocked · many files · No space left on device" in printed
    assert not any(p.stat().st_size > 1_000_000 for p in (graded.course / "autograded" / "dan").rglob("*")
                   if p.is_file() and p.suffix != ".ipynb")


def test_a_hand_in_that_prints_without_end_is_cut_and_stopped(graded):
    # Its output is cut at the byte limit and its cell stopped at the time limit, and it keeps its marks;
    # unless the grader reads more slowly than it prints: then what waits to be sent fills its kernel's
    # memory, and the sandbox stops it at the memory limit first. Either way a reason, never a crash.
    pia = graded.results["pia"]
    if pia.status == "graded":
        assert pia.score == 12
        assert "stopped at the time limit" in pia.notes[0] and "output cut at the byte limit" in pia.notes[0]
    else:
        assert (pia.status, pia.score) == ("failed", 0)
        assert pia.reason.startswith("used more than its 1 GB of memory"), pia.reason


def test_a_hand_in_that_kills_its_kernel_fails_alone(graded):
    kim = graded.results["kim"]
    assert (kim.status, kim.score) == ("failed", 0)
    assert "kernel" in kim.reason
    failed = sorted(r.student for r in graded.results.values() if r.status == "failed")
    assert failed in (["fay", "kim", "mia"], ["fay", "kim", "mia", "pia"])  # pia: see the printer's test


@pytest.mark.parametrize("student, reason", [("lee", "not a notebook"), ("max", "empty file"),
                                              ("noa", "none of the 8 graded cells is in it")])
def test_what_cannot_be_graded_is_named_with_a_reason_and_scores_zero(graded, student, reason):
    result = graded.results[student]
    assert (result.status, result.score) == ("not graded", 0)
    assert reason in result.reason


EXPECTED = {"ada": 12, "abe": 12, "bob": 4, "eve": 10, "kim": 0, "ivy": 12, "mia": 0, "fay": 0, "dan": 12,
            "pia": 12, "lee": 0, "max": 0, "noa": 0}


def test_grades_csv_and_summary_csv_list_every_hand_in(graded):
    import csv

    with open(graded.course / "grades.csv", encoding="utf-8") as handle:
        grades = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert grades == {**EXPECTED, "pia": grades["pia"]} and grades["pia"] in (0, 12)  # see the printer's test
    with open(graded.course / "summary.csv", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows.keys() == grades.keys()
    assert rows["lee"]["reason"].startswith("not a notebook") and rows["bob"]["lost_points"]
    assert rows["fay"]["reason"].startswith("reached its limit") and rows["mia"]["reason"].startswith("used more")
    assert rows["ada"]["feedback"] == f"feedback/ada/{CHAPTER}/{CHAPTER}.html"


GRADING_FILES = {"gradebook.db", ".nbgrader.log", "grades.csv", "summary.csv", "timestamp.txt"}
GRADING_FOLDERS = {"autograded", "submitted", "feedback", "release", "source", "logs", ".grading", ".tmp", ".jupyter"}


def test_nothing_outside_the_hand_ins_scratch_folders_changed(graded):
    # What grading writes (nbgrader's files, a course's folders) appeared nowhere in the repository. Other
    # files may change meanwhile: people edit the repository while the tests run.
    repository = [path for path in _changes(graded.outside["repository"], graded.after["repository"])
                  if Path(path).name in GRADING_FILES or Path(path).parts[0] in GRADING_FOLDERS]
    assert repository == [], f"grading wrote into the repository: {repository}"
    assert (ROOT / "nbgrader_config.py").read_bytes() == graded.repository_config
    for part in ("hand-ins", "canary", "release"):
        assert graded.after[part] == graded.outside[part], f"grading changed the {part} folder"
    assert _tree(graded.course / "source" / CHAPTER) == _tree(ROOT / "solutions" / CHAPTER), "the source is intact"
    assert (graded.canary / "keep.txt").read_text() == "the instructor's file\n"
    assert not (Path.home() / ".neuronlab-probe").exists()
    assert not (graded.course / ".grading").exists(), "the workers' files are cleaned up"


@pytest.fixture(scope="module")
def one_at_a_time(graded, tmp_path_factory):
    """ada and bob graded again, one at a time, in a course folder of their own."""
    base = tmp_path_factory.mktemp("sequential")
    inbox, course = base / "hand-ins", base / "course"
    inbox.mkdir()
    for name in ("ada.ipynb", "bob.ipynb"):
        shutil.copyfile(graded.inbox / name, inbox / name)
    results = grade.grade(CHAPTER, inbox, course, timeout=TIMEOUT, quick=True, sandbox=LIMITS, workers=1,
                          out=io.StringIO())
    return SimpleNamespace(results={r.student: r for r in results}, course=course)


def _cell_scores(course: Path, student: str) -> dict[str, tuple]:
    """grade_id → (autograded score, needs a person) in the course's gradebook."""
    with grade._gradebook(course) as gradebook:
        submission = gradebook.find_submission(CHAPTER, student)
        return {entry.name: (entry.auto_score, entry.needs_manual_grade)
                for notebook in submission.notebooks for entry in notebook.grades}


def test_grading_one_at_a_time_gives_the_same_scores_cell_for_cell(graded, one_at_a_time):
    for student in ("ada", "bob"):
        assert _cell_scores(one_at_a_time.course, student) == _cell_scores(graded.course, student)
        alone, together = one_at_a_time.results[student], graded.results[student]
        assert (alone.score, alone.failed) == (together.score, together.failed)


def test_the_scores_are_the_ones_nbgraders_own_autograde_gives(one_at_a_time):
    # nbgrader's own command, in the course folder (its nbgrader_config.py sandboxes the kernel), runs and
    # scores bob's hand-in in one go, without the command's workers and replay.
    course = one_at_a_time.course
    before = _cell_scores(course, "bob")
    status, _ = grade._nbgrader(["autograde", CHAPTER, "--student", "bob", "--force"], course,
                                grade.environment(course, quick=True), course / "logs" / "by-hand.log")
    assert status == 0, (course / "logs" / "by-hand.log").read_text()[-3000:]
    assert _cell_scores(course, "bob") == before
    assert sum(score for score, _ in before.values() if score is not None) == 4


def test_shares_graded_on_several_machines_merge_into_one_gradebook(graded, one_at_a_time, tmp_path):
    import csv

    merged = tmp_path / "merged"
    with pytest.raises(ValueError, match="student ada is in two shares"):
        grade.merge(CHAPTER, [graded.course, one_at_a_time.course], merged, quick=True, out=io.StringIO())
    out = io.StringIO()
    results = {r.student: r for r in grade.merge(CHAPTER, [graded.course], merged, quick=True, out=out)}
    assert {s: (r.status, r.score, r.reason) for s, r in results.items()} == {
        s: (r.status, r.score, r.reason) for s, r in graded.results.items()}
    for student in ("ada", "bob", "eve"):
        assert _cell_scores(merged, student) == _cell_scores(graded.course, student)
    grades = []
    for folder in (merged, graded.course):
        with open(folder / "grades.csv", encoding="utf-8") as handle:
            grades.append({row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)})
    assert grades[0] == grades[1]
    assert (merged / "feedback" / "bob" / CHAPTER / f"{CHAPTER}.html").exists()
    assert "13 hand-in(s) from 1 share(s)" in out.getvalue()


def test_the_course_folder_is_an_nbgrader_course_with_the_courses_settings(graded):
    # nbgrader's own commands ran there (generate_assignment, autograde, generate_feedback, export)
    for folder in ("source", "release", "submitted", "autograded", "feedback"):
        assert (graded.course / folder / ("" if folder in ("submitted", "autograded", "feedback") else CHAPTER)).is_dir()
    assert (graded.course / "gradebook.db").exists()
    config = (graded.course / "nbgrader_config.py").read_text(encoding="utf-8")
    assert f"timeout={TIMEOUT}" in config and "configure(c" in config
    assert f"sandbox={{'memory': {2**30}, 'processes': 128" in config


# --------------------------------------------------------------------------- the parts
def test_chapters_are_every_folder_of_solutions():
    found = grade.chapters()
    assert [c.name for c in found] == sorted(p.parent.name for p in exercises.solution_notebooks())
    for chapter in found:
        assert chapter.points == sum(runtimes.exercise_points(p) for p in chapter.notebooks)
        assert chapter.tests and chapter.default_timeout() >= grade.MIN_TIMEOUT
    with pytest.raises(ValueError, match="no chapter '99_nothing'.*02_perceptrons"):
        grade.chapter("99_nothing")


def test_the_course_folder_must_be_outside_the_repository(tmp_path):
    for inside in (ROOT, ROOT / "grading", ROOT.parent):
        with pytest.raises(ValueError, match="outside the repository"):
            grade.course_folder(inside)
    assert grade.course_folder(tmp_path / "course") == (tmp_path / "course").resolve()


def test_grading_processes_keep_temp_and_runtime_files_in_the_course_folder(tmp_path):
    env = grade.environment(tmp_path, quick=True)
    assert env["TMPDIR"] == str(tmp_path / ".tmp") and env["JUPYTER_RUNTIME_DIR"].startswith(str(tmp_path))
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["NEURONLAB_QUICK"] == "1"
    assert grade.environment(tmp_path)["NEURONLAB_QUICK"] == "0"


def test_hand_ins_are_collected_from_files_and_folders(tmp_path):
    chapter = grade.chapter(CHAPTER)
    (tmp_path / "Jo Kim (late).ipynb").write_text("{}")
    (tmp_path / "sam").mkdir()
    (tmp_path / "sam" / "deep" / "inside").mkdir(parents=True)
    (tmp_path / "sam" / "deep" / "inside" / "anything.ipynb").write_text("{}")
    (tmp_path / "pat").mkdir()
    (tmp_path / ".DS_Store").write_text("")
    found = {s.student: s for s in grade.collect(tmp_path, chapter)}
    assert sorted(found) == ["Jo_Kim_late", "pat", "sam"]
    assert found["sam"].path.name == "anything.ipynb" and found["sam"].problem is None
    assert found["pat"].problem == "a folder with no notebook in it"
    assert grade.student_id("../../etc") == "etc" and grade.student_id("***") == "student"


def test_inspect_names_what_is_wrong_with_a_file(tmp_path):
    ids = ["test-a", "test-b"]
    cases = {"empty.ipynb": (b"", "empty file"), "space.ipynb": (b"  \n", "only white space"),
             "broken.ipynb": (b"{not json", "not valid JSON"), "dict.ipynb": (b"{}", "not a notebook"),
             "binary.ipynb": (b"\xff\xfe\x00", "not UTF-8"), "essay.pdf": (b"%PDF-1.4", "not a notebook (a .pdf")}
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        problem, _ = grade.inspect(tmp_path / name, ids)
        assert problem and words in problem, (name, problem)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("pass")
    cell.metadata["nbgrader"] = {"grade_id": "test-b", "grade": True}
    notebook.cells.append(cell)
    nbformat.write(notebook, tmp_path / "half.ipynb")
    assert grade.inspect(tmp_path / "half.ipynb", ids) == (None, ["test-a"])
    assert "none of the 2 graded cells" in grade.inspect(tmp_path / "half.ipynb", ["x", "y"])[0]
    assert "too large" in grade.inspect(tmp_path / "half.ipynb", ids, max_bytes=10)[0]


def test_bounded_execute_cuts_bytes_but_keeps_what_decides_a_grade(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source in ["print('a' * 50_000)\nprint('b' * 50_000)",
                   "import sys\nprint('c' * 50_000)\nsys.stdout.flush()\nprint('late', file=sys.stderr)",
                   "raise ValueError('v' * 50_000)", "print('short')"]:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    runner = grade.BoundedExecute(max_output_bytes=20_000, timeout=60)
    notebook, _ = runner.preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    first, second, third, fourth = (cell.outputs for cell in notebook.cells)
    assert len(first) == 1 and first[0].text.startswith("a" * 19_000) and "truncated by the grader" in first[0].text
    assert "bbb" not in first[0].text
    assert [o.name for o in second] == ["stdout", "stderr"], "a cell that wrote to stderr keeps a stderr output"
    assert [o.output_type for o in third] == ["error"] and len(third[0].evalue) <= 20_000
    assert fourth[0].text == "short\n"


def test_feedback_shows_a_failed_tests_message_without_its_traceback():
    cell = nbformat.v4.new_code_cell("check.thing(thing)\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test-thing", "points": 1}
    cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="✘ thing: expected 1",
                                           traceback=["Traceback …", "secret()", "CheckFailed: ✘ thing: expected 1"])]
    grade.ConciseTestErrors().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0].traceback == ["\x1b[0;31mCheckFailed\x1b[0m: ✘ thing: expected 1"]


def test_the_repository_configuration_generates_exercises_and_refuses_to_grade(tmp_path):
    shutil.copytree(ROOT / "solutions" / CHAPTER, tmp_path / "solutions" / CHAPTER)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    nbgrader = str(Path(sys.executable).with_name("nbgrader"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([nbgrader, "generate_assignment", CHAPTER], cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    made = tmp_path / "exercises" / CHAPTER / f"{CHAPTER}.ipynb"
    assert made.read_bytes() == (ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()
    assert not (tmp_path / "gradebook.db").exists(), "the repository keeps no gradebook"
    done = subprocess.run([nbgrader, "autograde", CHAPTER], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "python -m neuronlab.tools.grade grade" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exercises", "nbgrader_config.py", "solutions"]


# --------------------------------------------------------------------------- hidden tests and the checker
def test_hidden_tests_ran_in_the_solutions_and_are_not_in_the_exercises():
    found = {}
    for source in exercises.solution_notebooks():
        for index, cell in enumerate(nbformat.read(source, as_version=4).cells):
            if "BEGIN HIDDEN TESTS" in cell.source:
                found[source.parent.name] = found.get(source.parent.name, 0) + 1
                texts = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                assert "also passes the grader's hidden cases" in texts, f"{source.name} cell {index}: {texts!r}"
        target = exercises.target_for(source)
        if target.exists():
            assert b"HIDDEN TESTS" not in target.read_bytes() and b"_hidden_" not in target.read_bytes()
    # book/instructors.md: "Chapters 01 to 03 have them in the ten test cells …"
    assert sum(n for name, n in found.items() if name[:2] in ("01", "02", "03")) == 10


def test_every_solution_notebook_passes_the_grading_checks():
    for source in exercises.solution_notebooks():
        notebook = nbformat.read(source, as_version=4)
        assert exercises.grading_problems(notebook, source.name) == []


def _solution_notebook(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source, grading in cells:
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
        if grading is not None:
            cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, "locked": False, **grading}
        notebook.cells.append(cell)
    return notebook


def test_grading_problems_names_every_problem_with_its_cell():
    answer = {"solution": True, "grade": False, "grade_id": "answer"}
    notebook = _solution_notebook(
        ("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", answer),
        ("code", "assert f() == 1", {"grade": True, "solution": False, "grade_id": "answer", "points": 1,
                                     "locked": True}),
        ("code", "assert f()\n### BEGIN HIDDEN TESTS\nassert f() != 2", {"grade": True, "solution": False,
                                                                        "grade_id": "test two", "locked": False}),
        ("code", "### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS", None),
        ("markdown", "Explain.", {"grade": False, "solution": True, "grade_id": "essay"}),
    )
    notebook.cells.append(nbformat.v4.new_code_cell("old = True"))
    notebook.cells[-1].metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": "old"}
    problems = exercises.grading_problems(notebook, "mine.ipynb")
    expected = [r"cell 1 .*grade_id 'answer' is also the id of cell 0",
                r"cell 2 .*BEGIN HIDDEN TESTS has no ### END HIDDEN TESTS",
                r"cell 2 .*grade_id 'test two': use letters, digits",
                r"cell 2 .*has points None",
                r"cell 2 .*is not locked",
                r"cell 3 .*hidden tests belong in a test cell",
                r"cell 4 .*must be both a graded cell and an answer cell",
                r"cell 5 .*schema_version None"]
    assert len(problems) == len(expected), problems
    for pattern, problem in zip(expected, problems):
        assert re.search(pattern, problem), (pattern, problem)
    assert exercises.grading_problems(_solution_notebook(("code", "x = 1", None)), "n.ipynb") == [
        "n.ipynb: no graded cell (grade: true): nbgrader would have nothing to grade"]


def test_validate_runs_the_solution_and_the_exercise(tmp_path, capsys):
    answer = {"solution": True, "grade": False, "grade_id": "answer"}
    test = {"grade": True, "solution": False, "grade_id": "test-f", "points": 2, "locked": True}
    good = _solution_notebook(
        ("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", answer),
        ("code", "assert f() == 1\nprint('✔ f')\n### BEGIN HIDDEN TESTS\nassert f() + 1 == 2\n### END HIDDEN TESTS",
         test))
    (tmp_path / "good").mkdir()
    nbformat.write(good, tmp_path / "good" / "good.ipynb")
    bad = copy.deepcopy(good)
    bad.cells[1].source = "import warnings\nwarnings.warn('careful')\nassert f() == 1"
    free = nbformat.v4.new_code_cell("print('✔ nothing to check')  # passes on an unwritten answer too")
    free.metadata["nbgrader"] = {"schema_version": 3, "task": False, **test, "grade_id": "test-free"}
    bad.cells.append(free)
    (tmp_path / "bad").mkdir()
    nbformat.write(bad, tmp_path / "bad" / "bad.ipynb")
    assert exercises.main(["--validate", str(tmp_path / "good" / "good.ipynb")]) == 0
    assert "1 with hidden tests" in capsys.readouterr().out
    assert exercises.main(["--validate", str(tmp_path / "bad" / "bad.ipynb")]) == 1
    report = capsys.readouterr().out
    assert "cell 1 (test-f): the test writes to stderr" in report
    assert "cell 2 (test-free): on an unwritten answer the test should raise NotImplementedError, got no error" in report
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == ["bad.ipynb"], "runs leave the folder alone"


@pytest.mark.parametrize("source", exercises.solution_notebooks(), ids=lambda p: p.parent.name)
def test_each_chapter_states_its_total_and_the_points_add_up_to_it(source):
    intro = nbformat.read(source, as_version=4).cells[0].source
    stated = re.findall(r"(\d+)\s+points\s+in\s+all", intro)
    assert stated, f"{source.name}: the first cell should state the total, as '… N points in all'"
    assert float(stated[0]) == runtimes.exercise_points(source), (
        f"{source.name} says {stated[0]} points in all; its graded cells add up to {runtimes.exercise_points(source):g}")


def test_the_summary_says_why_a_test_cell_lost_its_points(tmp_path):
    chapter = grade.Chapter("09_demo", (tmp_path / "09_demo.ipynb",), 3, 0, 3.0, 0.0, None)
    notebook = nbformat.v4.new_notebook()
    outputs = {
        "test-slow": [nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[]),
                      nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])],
        "test-noisy": [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n")],
        "test-stub": [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="",
                                             traceback=["\x1b[0;31mNotImplementedError\x1b[0m: "])],
    }
    for grade_id, cell_outputs in outputs.items():
        cell = nbformat.v4.new_code_cell("check()")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 1}
        cell.outputs = cell_outputs
        notebook.cells.append(cell)
    folder = tmp_path / "autograded" / "sam" / "09_demo"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "09_demo.ipynb")
    messages = grade._messages(tmp_path, chapter, "sam")
    assert messages["test-slow"].startswith("stopped at the per-cell time limit")
    assert messages["test-noisy"] == "wrote to stderr: UserWarning: careful"
    assert messages["test-stub"] == "NotImplementedError: the answer is not written yet"
    assert messages["__notes__"] == "cell 0 (test-slow): stopped at the time limit"


def test_a_hand_in_past_its_limit_is_stopped_with_everything_it_started(tmp_path):
    import psutil

    # A parent that starts a child in a session of its own (as a kernel is started), then both hang.
    script = ("import subprocess, sys, time\n"
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n"
              "print(child.pid, flush=True)\n"
              "time.sleep(300)\n")
    log = tmp_path / "logs" / "run.log"
    status, seconds = grade.run_limited([sys.executable, "-c", script], tmp_path, dict(os.environ), log, limit=3)
    assert status is None and seconds < 30
    child = int(log.read_text().split()[0])
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
