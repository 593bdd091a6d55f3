"""Assign, autograde, give feedback and export grades for one chapter, with nbgrader.

nbgrader does the work. This command runs its steps in the order an instructor needs them,
for one chapter, in a *course folder* the instructor chooses, outside the repository::

    python -m neuronlab.tools.grade chapters
    python -m neuronlab.tools.grade assign 02_perceptrons --course ~/grading/nn-2027
    python -m neuronlab.tools.grade grade 02_perceptrons ~/Downloads/hand-ins --course ~/grading/nn-2027
    python -m neuronlab.tools.grade merge 02_perceptrons share-1/ share-2/ --course ~/grading/nn-2027

``assign`` copies ``solutions/<chapter>/`` into the course folder's ``source/`` and runs
``nbgrader generate_assignment``: ``release/<chapter>/`` then holds the student version (the
same notebook as ``exercises/<chapter>/``) and ``gradebook.db`` knows the assignment, hidden
tests included. ``grade`` does that too, then puts each hand-in in
``submitted/<student>/<chapter>/`` and runs it with ``nbgrader autograde``, one nbgrader process per
hand-in (forked from a server that has imported nbgrader once, :mod:`neuronlab.tools.forkserver`),
several at a time (one per core), each under a time limit and with a private copy of the gradebook,
its kernel in a bubblewrap sandbox (:mod:`neuronlab.tools.sandbox`): a hand-in that hangs, kills its
kernel or reaches a limit costs only its own grade, and it reaches nothing outside its scratch
folder. Then one nbgrader process scores what they ran into the one gradebook
(:class:`BoundedExecute` replays their outputs), and last come ``nbgrader generate_feedback``
(``feedback/<student>/<chapter>/*.html``) and ``nbgrader export`` (``grades.csv``), and the
command's own ``summary.csv``, which also names every hand-in it could not grade and why. ``merge``
puts together course folders that each graded a share of a class.

The course folder is an ordinary nbgrader course. Its ``nbgrader_config.py`` (rewritten by each
run) calls :func:`configure`, so nbgrader's own commands work there as well, sandbox included. The
repository's own ``nbgrader_config.py`` calls :func:`configure` with ``layout="repository"``: there
nbgrader generates ``exercises/`` from ``solutions/``, keeps no gradebook, and refuses to grade.

Without bubblewrap the command refuses to grade unless given ``--unsandboxed`` (then submitted code
runs as the user who runs this command; see ``book/instructors.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Dict, Integer, Unicode

from neuronlab.tools.sandbox import Limits, format_size, parse_size
from neuronlab.tools.sandbox import problem as sandbox_problem

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

MAX_OUTPUT_BYTES = 200_000
"""Default bound on what one cell's outputs may hold in a graded notebook (nbgrader counts lines only)."""
MIN_TIMEOUT = 60
"""Seconds: the per-cell time limit is at least this, whatever the solution's run time."""
TIMEOUT_FACTOR = 3
"""The per-cell time limit is this many times the solution notebook's whole stamped run time."""
MAX_NOTEBOOK_BYTES = 50_000_000
"""A hand-in larger than this is not graded (nbgrader would load it whole, several times)."""
TRUNCATED = "\n… output truncated by the grader: this cell's outputs reached {limit:,} bytes …\n"
CONFIG_HEADER = "# Written by `python -m neuronlab.tools.grade`; rewritten on every run of it.\n"

# nbgrader subcommands that do not grade: the only ones the repository's own configuration allows.
REPOSITORY_COMMANDS = {"generate_assignment", "assign", "validate", "list", "generate_config"}


# --------------------------------------------------------------------------- nbgrader configuration
def configure(c, root: str | Path, *, layout: str = "course", timeout: int = 120,
              max_output_bytes: int = MAX_OUTPUT_BYTES, course_id: str | None = None,
              sandbox: dict | None = None) -> None:
    """Fill nbgrader's configuration ``c`` for the course folder (or repository) at ``root``.

    Parameters
    ----------
    c : traitlets.config.Config
        What ``get_config()`` returns in an ``nbgrader_config.py``.
    root : path
        The folder holding that ``nbgrader_config.py``.
    layout : {"course", "repository"}
        ``"course"``: an nbgrader course folder (``source/``, ``release/``, ``submitted/`` …,
        ``gradebook.db``). ``"repository"``: this repository, where ``solutions/`` is the source and
        ``exercises/`` the release folder; no gradebook is written (as with ``--no-db``), and the
        grading commands stop with a message (grading writes files, and never in the repository).
    timeout : int
        Seconds one cell may run when grading (nbgrader's ``Execute.timeout``).
    max_output_bytes : int
        What one cell's outputs may hold, in bytes of text, when grading (:class:`BoundedExecute`).
    course_id : str, optional
        nbgrader's course id (needed only for its exchange).
    sandbox : dict, optional
        The fields of :class:`neuronlab.tools.sandbox.Limits`: each kernel then runs in a bubblewrap
        sandbox with these limits (:mod:`neuronlab.tools.sandbox`). None: kernels run unsandboxed.
    """
    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    from neuronlab.tools.exercises import ExerciseVersion

    if layout not in ("course", "repository"):
        raise ValueError(f"layout must be 'course' or 'repository', got {layout!r}")
    c.CourseDirectory.root = str(root)
    if course_id:
        c.CourseDirectory.course_id = course_id
    # The course's one extra step (retitle "Solutions" as "Exercises" …), first, then nbgrader's own.
    c.GenerateAssignment.preprocessors = [ExerciseVersion, *_default(GenerateAssignment, "preprocessors")]
    if layout == "repository":
        c.CourseDirectory.source_directory = "solutions"
        c.CourseDirectory.release_directory = "exercises"
        # As with --no-db: no gradebook.db in the repository (hidden tests are kept by a course folder's)
        c.GenerateAssignment.no_database = True
        c.SaveCells.enabled = False
        c.CourseDirectory.db_url = "sqlite://"  # in memory, should anything still open it
        _refuse_to_grade_in_the_repository()
        return
    c.Execute.timeout = int(timeout)
    c.BoundedExecute.max_output_bytes = int(max_output_bytes)
    c.BoundedExecute.sandbox = sandbox is not None
    if sandbox is not None:
        c.BoundedExecute.sandbox_limits = dict(vars(Limits(**sandbox)))  # checked here, not in the kernel
    c.BoundedExecute.report_dir = str(Path(root) / "logs")
    # A cell that prints without end leaves more output queued than can be read in nbgrader's 4 s wait
    # for it; what is left is dropped (and bounded anyway) rather than failing the whole hand-in.
    c.BoundedExecute.raise_on_iopub_timeout = False
    c.Autograde.autograde_preprocessors = [BoundedExecute if step is Execute else step
                                           for step in _default(Autograde, "autograde_preprocessors")]
    # Feedback: hidden tests' code is removed (their verdict and message stay), and a failed test
    # shows the check's message rather than a traceback through the checking code.
    feedback = _default(GenerateFeedback, "preprocessors")
    at = feedback.index(GetGrades) + 1
    c.GenerateFeedback.preprocessors = [*feedback[:at], ConciseTestErrors, ClearHiddenTests, *feedback[at:]]


def _default(converter, trait: str) -> list:
    return list(converter.class_traits()[trait].default())


def _refuse_to_grade_in_the_repository() -> None:
    """Stop an nbgrader grading command started in the repository, before it writes anything."""
    if not sys.argv or "nbgrader" not in Path(sys.argv[0]).as_posix():
        return  # loaded by something other than the nbgrader command (a server, a test)
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command is None or command in REPOSITORY_COMMANDS:
        return
    raise SystemExit(
        f"nbgrader {command}: this is the course's repository, where nbgrader only generates exercises/ from "
        "solutions/. Grading writes submissions, grades and feedback, so it happens in a course folder outside "
        "the repository:\n    python -m neuronlab.tools.grade grade CHAPTER SUBMISSIONS --course DIR\n"
        "(nbgrader's own commands then work in DIR; see book/instructors.md).")


# --------------------------------------------------------------------------- nbgrader preprocessors
def _text_size(value) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, list):
        return sum(_text_size(item) for item in value)
    return len(json.dumps(value, default=str))


def _output_size(output) -> int:
    kind = output.get("output_type")
    if kind == "stream":
        return _text_size(output.get("text", ""))
    if kind == "error":
        return _text_size(output.get("evalue", "")) + _text_size(output.get("traceback", []))
    return _text_size(output.get("data", {}))


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8 (never inside a character)."""
    data = text.encode("utf-8", "surrogatepass")
    return text if len(data) <= limit else data[:max(limit, 0)].decode("utf-8", "ignore")


class BoundedExecute(Execute):
    """nbgrader's ``Execute``, with each cell's outputs bounded in bytes, in a sandbox, or replayed.

    nbgrader's ``LimitOutput`` counts lines: one print of 50 MB on one line passes through it whole,
    into the graded notebook, the feedback page and the grader's memory. Here, once a cell's outputs
    reach ``max_output_bytes``, further text is dropped and a note says so. What decides a grade is
    kept: an error output always stays (its message clipped), and a cell that wrote to stderr keeps a
    stderr output, since nbgrader scores a test cell that fails or writes to stderr as 0.

    With ``sandbox`` the kernel runs in a bubblewrap sandbox with ``sandbox_limits``
    (:mod:`neuronlab.tools.sandbox`); if the sandbox is stopped at a limit, the reason goes to
    ``report_dir/sandbox-<assignment>-<student>.txt``.

    With ``replay_from`` (a folder laid out as ``autograded/``) nothing runs: each cell takes the outputs
    that an earlier run left in ``replay_from/<student>/<assignment>/<notebook>.ipynb``, after a check that
    the cells are the same. This is how parallel grading scores: workers execute each hand-in with a
    private copy of the gradebook, then one nbgrader process replays their outputs, so that nbgrader's own
    steps (``SaveAutoGrades`` …) write every score to the one gradebook.
    """

    max_output_bytes = Integer(MAX_OUTPUT_BYTES, help="What one cell's outputs may hold, in bytes (-1: no limit)"
                               ).tag(config=True)
    sandbox = Bool(False, help="Run the kernel in a bubblewrap sandbox").tag(config=True)
    sandbox_limits = Dict(help="neuronlab.tools.sandbox.Limits fields").tag(config=True)
    report_dir = Unicode("", help="Folder for the reason a sandbox was stopped").tag(config=True)
    replay_from = Unicode("", help="Take outputs from executed notebooks in this folder instead of running"
                          ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._used: dict[int, int] = {}
        self._clipped: dict[int, set] = {}
        if self.replay_from:
            return self._replay(nb, resources)
        report = self._report(resources)
        if report is not None and report.exists():
            report.unlink()
        return super().preprocess(nb, resources, km)

    def _report(self, resources) -> Path | None:
        grading = (resources or {}).get("nbgrader") or {}
        if not self.report_dir or "student" not in grading:
            return None
        return Path(self.report_dir) / f"sandbox-{grading['assignment']}-{grading['student']}.txt"

    def create_kernel_manager(self):
        if not self.sandbox:
            return super().create_kernel_manager()
        from neuronlab.tools import sandbox

        trouble = sandbox.problem()
        if trouble:
            raise RuntimeError(trouble)
        self.kernel_manager_class = sandbox.SandboxedKernelManager
        km = super().create_kernel_manager()
        km.limits = dict(self.sandbox_limits)
        report = self._report(self.resources)
        km.report = str(report) if report else ""
        return km

    def _replay(self, nb, resources):
        grading = resources["nbgrader"]
        path = Path(self.replay_from, grading["student"], grading["assignment"], f"{grading['notebook']}.ipynb")
        if not path.exists():
            raise RuntimeError(f"no executed notebook to replay at {path}")
        ran = nbformat.read(path, as_version=4)
        if [(c.cell_type, c.source) for c in ran.cells] != [(c.cell_type, c.source) for c in nb.cells]:
            raise RuntimeError(f"the executed notebook {path} does not have the cells of the one to grade")
        for cell, done in zip(nb.cells, ran.cells):
            if cell.cell_type == "code":
                cell.outputs = done.outputs
                cell.execution_count = done.execution_count
                if "execution" in done.metadata:
                    cell.metadata["execution"] = done.metadata["execution"]
        for key in ("language_info", "widgets"):
            if key in ran.metadata:
                nb.metadata[key] = ran.metadata[key]
        return nb, resources

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self.max_output_bytes < 0:
            return out
        limit, used = self.max_output_bytes, self._used.get(cell_index, 0)
        size = _output_size(out)
        self._used[cell_index] = used + size
        if used + size <= limit:
            return out
        clipped = self._clipped.setdefault(cell_index, set())
        room = max(limit - used, 0)
        kind = out.get("output_type")
        if kind == "error":  # kept whatever its size: it is what fails the cell
            out["evalue"] = _clip(out.get("evalue", ""), max(room, 2000))
            out["traceback"] = [_clip(line, 2000) for line in out.get("traceback", [])[-20:]]
            return out
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            if out["name"] in clipped:
                outs.remove(out)  # already cut and marked: drop the rest
                return None
            clipped.add(out["name"])
            out["text"] = _clip(out.get("text", ""), room) + TRUNCATED.format(limit=limit)
            return out
        outs.remove(out)  # a display: replace it by a note, once
        if "display" not in clipped:
            clipped.add("display")
            note = nbformat.v4.new_output("stream", name="stdout", text=TRUNCATED.format(limit=limit))
            outs.append(note)
            return note
        return None


class ConciseTestErrors(NbGraderPreprocessor):
    """Feedback step: a failed test cell shows its error's message, without the traceback.

    The checks' messages say what was tried, what was expected, what came back and a hint; the
    traceback around them leads into the checking code and, for hidden tests, would show their
    lines (which ``ClearHiddenTests`` removes from the cell itself).
    """

    def preprocess_cell(self, cell, resources, index):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("grade") and not grading.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    ename, message = _error_parts(output)
                    output["traceback"] = [f"\x1b[0;31m{ename}\x1b[0m" + (f": {message}" if message else "")]
        return cell, resources


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _error_parts(output) -> tuple[str, str]:
    """(error name, message) of an error output; the message from the traceback's last line if need be."""
    ename = output.get("ename") or "Error"
    message = output.get("evalue") or ""
    if not message and output.get("traceback"):
        last = _plain(output["traceback"][-1]).strip()
        message = last[len(ename) + 1:].strip() if last.startswith(f"{ename}:") else ""
    return ename, message


# --------------------------------------------------------------------------- chapters
@dataclass(frozen=True)
class Chapter:
    """A chapter's exercises as found in ``solutions/<name>/``."""

    name: str
    notebooks: tuple[Path, ...]
    tests: int  # autograded test cells
    written: int  # graded answer cells, read by hand
    auto_points: float
    manual_points: float
    run_seconds: float | None  # the solution notebooks' stamped run time, if all are stamped

    @property
    def points(self) -> float:
        return self.auto_points + self.manual_points

    def default_timeout(self) -> int:
        """Per-cell limit: a few times the whole solution's run time, and at least a minute."""
        if self.run_seconds is None:
            return 10 * MIN_TIMEOUT
        return max(MIN_TIMEOUT, int(TIMEOUT_FACTOR * self.run_seconds + 0.999))


def _graded_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]


def chapter(name: str, solutions: Path = SOLUTIONS) -> Chapter:
    """The chapter ``name`` (a folder of ``solutions/``); ValueError naming the choices if there is none."""
    folder = solutions / str(name)
    notebooks = tuple(sorted(folder.glob("*.ipynb"))) if folder.is_dir() and "/" not in str(name) else ()
    if not notebooks:
        known = ", ".join(c.name for c in chapters(solutions)) or "none"
        raise ValueError(f"no chapter {name!r} with exercises in {solutions}; the chapters are: {known}")
    tests = written = 0
    auto = manual = 0.0
    seconds: float | None = 0.0
    from neuronlab.tools import stamp

    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        for cell in _graded_cells(notebook):
            grading = cell.metadata["nbgrader"]
            points = float(grading.get("points", 0) or 0)
            if grading.get("solution") or cell.cell_type != "code":
                written, manual = written + 1, manual + points
            else:
                tests, auto = tests + 1, auto + points
        found = notebook.metadata.get(stamp.KEY, {}).get("run_seconds")
        seconds = None if found is None or seconds is None else seconds + float(found)
    return Chapter(str(name), notebooks, tests, written, auto, manual, seconds)


def chapters(solutions: Path = SOLUTIONS) -> list[Chapter]:
    """Every chapter with exercises: one per folder of ``solutions/`` holding a notebook."""
    return [chapter(folder.name, solutions) for folder in sorted(solutions.iterdir())
            if folder.is_dir() and any(folder.glob("*.ipynb"))] if solutions.is_dir() else []


# --------------------------------------------------------------------------- the course folder
class GradingError(RuntimeError):
    """A step of the sequence failed for the whole chapter (not for one submission)."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def course_folder(path: str | Path) -> Path:
    """``path`` resolved; ValueError if it is inside the repository."""
    course = Path(path).expanduser().resolve()
    if _inside(course, ROOT) or _inside(ROOT, course):
        raise ValueError(f"the course folder {course} must be outside the repository {ROOT} (and not contain it): "
                         "grading writes submissions, grades and feedback there")
    return course


def environment(course: Path, *, quick: bool = False, threads: int | None = None) -> dict[str, str]:
    """The environment of nbgrader's processes and of the kernels they start.

    Jupyter's runtime files and temporary files (kernel connection files, and whatever submitted
    code writes to "temp") go into the course folder, and Python writes no bytecode caches (the
    kernels import this package from the repository).
    """
    from neuronlab import config

    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    # nbgrader runs helpers such as `alembic` found on PATH: this environment's first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), *filter(None, [env.get("PATH")])])
    env["JUPYTER_RUNTIME_DIR"] = str(course / ".jupyter" / "runtime")
    (course / ".tmp").mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(course / ".tmp")  # connection files, and what submitted code puts in "temp"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env[config.QUICK_ENV] = "1" if quick else "0"
    if threads is not None:  # for unsandboxed kernels, which inherit it (the sandbox sets its own)
        for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS"):
            env[key] = str(threads)
    return env


def write_config(course: Path, *, timeout: int, max_output_bytes: int, sandbox: dict | None = None) -> Path:
    path = course / "nbgrader_config.py"
    path.write_text(
        CONFIG_HEADER
        + "# nbgrader reads it when run in this folder. To change a setting, pass the command's option\n"
          "# (--timeout, --max-output-bytes, --memory …, --unsandboxed); put other nbgrader settings in\n"
          "# nbgrader_config_extra.py.\n"
          "from neuronlab.tools.grade import configure\n\n"
          "c = get_config()  # noqa: F821 (provided by nbgrader)\n"
        + f"configure(c, {str(course)!r}, timeout={int(timeout)}, max_output_bytes={int(max_output_bytes)},\n"
          f"          sandbox={sandbox!r})\n"
          'load_subconfig("nbgrader_config_extra.py")  # noqa: F821 (yours, if it exists)\n',
        encoding="utf-8")
    return path


def _nbgrader(args: list[str], course: Path, env: dict, log: Path, *,
              limit: float | None = None) -> tuple[int | None, float]:
    """Run ``nbgrader ARGS`` in ``course`` with its output in ``log``; (exit status or None on time-out, seconds)."""
    command = [str(Path(sys.executable).with_name("nbgrader")), *args]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "nbgrader", *args]
    return run_limited(command, course, env, log, limit=limit)


def run_limited(command: list[str], cwd: Path, env: dict, log: Path, *,
                limit: float | None = None) -> tuple[int | None, float]:
    """Run ``command`` with its output in ``log``, for at most ``limit`` seconds; (exit status or None, seconds).

    The command runs in a session of its own. On time-out it is killed with its whole session, and in
    any case every process it started and that is still running when it ends (a kernel, which lives
    in a session of its own, and whatever that kernel started) is killed too
    (:func:`neuronlab.tools.forkserver.supervise`).
    """
    from neuronlab.tools.forkserver import supervise

    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)

        def wait(seconds: float) -> int | None:
            try:
                return process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                return None

        return supervise(process.pid, wait, limit=limit, start=start)


def _tail(log: Path, lines: int = 12) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _same_cells(one: Path, other: Path) -> bool:
    a, b = (nbformat.read(p, as_version=4) for p in (one, other))
    for notebook in (a, b):
        notebook.metadata.pop("neuronlab", None)
    return a.cells == b.cells and a.metadata == b.metadata


def assign(name: str, course: str | Path, *, timeout: int | None = None, max_output_bytes: int = MAX_OUTPUT_BYTES,
           quick: bool = False, solutions: Path = SOLUTIONS, sandbox: Limits | None = Limits(), out=None) -> Path:
    """Set up ``course`` for chapter ``name`` and generate the student version; returns its release folder.

    ``sandbox`` (None: none) goes into the course's ``nbgrader_config.py``, for the grading commands.
    """
    out = out or sys.stdout
    found = chapter(name, solutions)
    course = course_folder(course)
    course.mkdir(parents=True, exist_ok=True)
    write_config(course, timeout=timeout or found.default_timeout(), max_output_bytes=max_output_bytes,
                 sandbox=None if sandbox is None else dict(vars(sandbox)))
    source = course / "source" / found.name
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(solutions / found.name, source, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    log = course / "logs" / f"generate_assignment-{found.name}.log"
    status, _ = _nbgrader(["generate_assignment", found.name, "--force"], course, environment(course, quick=quick), log)
    if status != 0:
        raise GradingError(f"nbgrader generate_assignment {found.name} failed (see {log}):\n{_tail(log)}")
    release = course / "release" / found.name
    for notebook in found.notebooks:
        ours = EXERCISES / found.name / notebook.name
        if Path(solutions).resolve() == SOLUTIONS and ours.exists() and not _same_cells(release / notebook.name, ours):
            print(f"note: {release / notebook.name} differs from {ours.relative_to(ROOT)}; "
                  "run `python -m neuronlab.tools.exercises` in the repository", file=out)
    return release


# --------------------------------------------------------------------------- submissions
@dataclass
class Submission:
    """One hand-in: who, which file, and why it cannot be graded (if it cannot)."""

    student: str
    label: str  # as it is named in the submissions folder
    path: Path | None
    problem: str | None = None
    missing: list[str] = field(default_factory=list)  # graded cells deleted from it


@dataclass
class Result:
    student: str
    label: str
    status: str  # "graded", "not graded" or "failed"
    score: float  # autograded points earned
    auto_max: float
    manual_max: float  # points that a person grades (written answers)
    reason: str = ""
    failed: list[str] = field(default_factory=list)  # "grade_id (points): message"
    notes: list[str] = field(default_factory=list)
    feedback: Path | None = None
    seconds: float = 0.0

    @property
    def max_score(self) -> float:
        return self.auto_max + self.manual_max


_STUDENT = re.compile(r"[^A-Za-z0-9_.-]+")


def student_id(label: str) -> str:
    """A student id nbgrader can use in paths and patterns, from a file or folder name."""
    return _STUDENT.sub("_", label).strip("._") or "student"


def _expected_ids(notebook_path: Path) -> list[str]:
    notebook = nbformat.read(notebook_path, as_version=4)
    return [cell.metadata["nbgrader"]["grade_id"] for cell in _graded_cells(notebook)]


def inspect(path: Path, expected_ids: list[str], *,
            max_bytes: int = MAX_NOTEBOOK_BYTES) -> tuple[str | None, list[str]]:
    """(why ``path`` cannot be graded or None, the graded cells missing from it)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        return f"cannot be read ({error.strerror})", []
    if size == 0:
        return "empty file (0 bytes)", []
    if size > max_bytes:
        return f"too large to grade ({size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB)", []
    if path.suffix.lower() != ".ipynb":
        return f"not a notebook (a {path.suffix or 'file without extension'}, not an .ipynb)", []
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            return "empty notebook file (only white space)", []
        json.loads(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except UnicodeDecodeError:
        return "not a notebook (not UTF-8 text)", []
    except json.JSONDecodeError as error:
        return f"not a notebook (not valid JSON: {error.msg} at line {error.lineno})", []
    except Exception as error:  # nbformat's errors: not a notebook in any version it knows
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        return f"not a notebook ({first})", []
    present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells}
    missing = [grade_id for grade_id in expected_ids if grade_id not in present]
    if expected_ids and len(missing) == len(expected_ids):
        return (f"none of the {len(expected_ids)} graded cells is in it (deleted, or copied into a new notebook, "
                "or another chapter's notebook)"), missing
    return None, missing


def collect(submissions: Path, found: Chapter) -> list[Submission]:
    """The hand-ins in ``submissions``, one per student.

    Accepted: ``<student>.ipynb`` (one notebook per file, for a one-notebook chapter), or a folder
    ``<student>/`` holding the notebook (at any depth, as nbgrader's ``submitted/<student>/<chapter>/``
    or an unpacked archive). Anything else there is a hand-in that cannot be graded, named as such.
    """
    names = [path.name for path in found.notebooks]
    entries = sorted(p for p in submissions.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX")
    taken: dict[str, int] = {}
    result = []
    for entry in entries:
        label = entry.name
        base = student_id(entry.stem if entry.is_file() else entry.name)
        taken[base] = taken.get(base, 0) + 1
        student = base if taken[base] == 1 else f"{base}_{taken[base]}"
        if entry.is_file():
            if len(names) > 1:
                result.append(Submission(student, label, entry, f"a single file, but chapter {found.name} has "
                                         f"{len(names)} notebooks: hand in a folder with {', '.join(names)}"))
            else:
                result.append(Submission(student, label, entry))
            continue
        notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if len(names) == 1 and len(notebooks) == 1:
            result.append(Submission(student, label, notebooks[0]))
            continue
        chosen = [next((p for p in notebooks if p.name == name), None) for name in names]
        if len(names) == 1 and not notebooks:
            result.append(Submission(student, label, None, "a folder with no notebook in it"))
        elif len(names) == 1 and chosen[0] is None:
            result.append(Submission(student, label, None, f"a folder with {len(notebooks)} notebooks, none named "
                                     f"{names[0]}"))
        else:
            # several notebooks per chapter: each by its name; a missing one scores 0 (nbgrader's rule)
            result.append(Submission(student, label, entry if any(chosen) else None,
                                     None if any(chosen) else f"a folder with none of {', '.join(names)}"))
    return result


def _place(submission: Submission, course: Path, found: Chapter) -> None:
    """Copy the hand-in to ``submitted/<student>/<chapter>/`` as nbgrader expects it."""
    target = course / "submitted" / submission.student / found.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if submission.path.is_file():
        shutil.copyfile(submission.path, target / found.notebooks[0].name)
        return
    for name in (p.name for p in found.notebooks):
        source = next((p for p in sorted(submission.path.rglob(name)) if ".ipynb_checkpoints" not in p.parts), None)
        if source is not None:
            shutil.copyfile(source, target / name)


def _gradebook(course: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def _messages(course: Path, found: Chapter, student: str) -> dict[str, str]:
    """grade_id → the message of what went wrong in that cell of the graded notebook; plus notes."""
    messages, notes = {}, []
    for source in found.notebooks:
        path = course / "autograded" / student / found.name / source.name
        if not path.exists():
            continue
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    ename, message = _error_parts(output)
                    if ename == "NotImplementedError" and not message:
                        message = "the answer is not written yet"
                    text = _plain(f"{ename}: {message}" if message else ename)
                elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                    text = "wrote to stderr: " + output.get("text", "").strip()
                else:
                    if "output truncated by the grader" in output.get("text", ""):
                        notes.append(f"cell {index}: output cut at the byte limit")
                    continue
                if output.get("ename") == "CellTimeoutError":
                    notes.append(f"cell {index}{f' ({grade_id})' if grade_id else ''}: stopped at the time limit")
                    text = "stopped at the per-cell time limit (an endless loop, or far too slow)"
                    messages.pop(grade_id, None)  # rather than the KeyboardInterrupt the stop caused
                if grade_id and grade_id not in messages:
                    messages[grade_id] = text
    messages["__notes__"] = "; ".join(dict.fromkeys(notes))
    return messages


def _short(text: str, limit: int = 500) -> str:
    """``text`` on one line, at most about ``limit`` characters; a check's hint is kept whole if it can be."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head, hint = text.split(" Hint: ", 1) if " Hint: " in text else (text, "")
    hint = hint if len(hint) <= limit // 2 else hint[:limit // 2 - 1] + "…"
    room = limit - len(hint) - (9 if hint else 0)
    head = head if len(head) <= room else head[:room - 1] + "…"
    return f"{head} Hint: {hint}" if hint else head


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def threads_per_worker(workers: int) -> int:
    """BLAS, OpenMP and TensorFlow threads for each of ``workers`` kernels: the cores shared out, at least 1."""
    return max(1, default_workers() // max(1, workers))


def grade(name: str, submissions: str | Path | None, course: str | Path, *, timeout: int | None = None,
          submission_limit: float | None = None, max_output_bytes: int = MAX_OUTPUT_BYTES, quick: bool = False,
          solutions: Path = SOLUTIONS, sandbox: Limits | None = Limits(), workers: int | None = None,
          out=None) -> list[Result]:
    """Assign chapter ``name`` in ``course``, autograde every hand-in of ``submissions``, then feedback and CSVs.

    ``submissions`` None grades what is already in ``course/submitted/*/<chapter>/`` (after
    ``nbgrader collect``, for instance). Each hand-in runs in a sandbox with the limits ``sandbox``
    (None: no sandbox; GradingError if bubblewrap is missing), in an nbgrader process of its own, stopped
    after ``submission_limit`` seconds (default: the per-cell limit times the number of code cells, plus
    two minutes). ``workers`` hand-ins run at a time (default: one per core), each with a private copy of
    the gradebook; then one nbgrader process scores them all into the course's gradebook from what they
    ran (:class:`BoundedExecute`'s replay), so the scores are nbgrader's, and the same whatever
    ``workers``. Returns one :class:`Result` per hand-in; writes ``grades.csv`` (nbgrader's) and
    ``summary.csv`` (this command's, with the reasons) in ``course``.
    """
    import dataclasses
    import queue
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from neuronlab.tools import sandbox as sandboxing
    from neuronlab.tools.forkserver import ForkServer
    from neuronlab.tools.runtimes import format_seconds

    out = out or sys.stdout
    found = chapter(name, solutions)
    course = course_folder(course)
    workers = default_workers() if workers is None else workers
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a whole number of at least 1, got {workers!r}")
    threads = threads_per_worker(workers)
    if sandbox is not None:
        trouble = sandboxing.problem()
        if trouble:
            raise GradingError(trouble)
        sandbox = dataclasses.replace(sandbox, threads=threads)
    timeout = int(timeout or found.default_timeout())
    assign(found.name, course, timeout=timeout, max_output_bytes=max_output_bytes, quick=quick,
           solutions=solutions, sandbox=sandbox, out=out)
    if submissions is None:
        inbox = course / "submitted"
        hand_ins = [Submission(folder.name, folder.name, folder / found.name)
                    for folder in sorted(inbox.iterdir()) if (folder / found.name).is_dir()] if inbox.is_dir() else []
    else:
        submissions = Path(submissions).expanduser().resolve()
        if not submissions.is_dir():
            raise ValueError(f"submissions must be a folder of hand-ins, got {submissions}")
        hand_ins = collect(submissions, found)
    expected = {path.name: _expected_ids(path) for path in found.notebooks}
    all_ids = [grade_id for ids in expected.values() for grade_id in ids]
    code_cells = sum(1 for path in found.notebooks for cell in nbformat.read(path, as_version=4).cells
                     if cell.cell_type == "code")
    limit = submission_limit or timeout * code_cells + 120
    env = environment(course, quick=quick, threads=threads)
    where = (f"each in a sandbox ({sandbox.describe()})" if sandbox is not None
             else "WITHOUT a sandbox (--unsandboxed: submitted code runs with your rights)")
    print(f"{found.name}: {len(hand_ins)} hand-in(s), graded in {course}, {workers} at a time, {where}; "
          f"per cell {timeout} s, per hand-in {limit:.0f} s, outputs {max_output_bytes:,} bytes per cell", file=out)

    results: dict[str, Result] = {}
    runnable: list[Submission] = []
    for hand_in in hand_ins:
        if hand_in.problem is None and hand_in.path is not None:
            files = ([hand_in.path] if hand_in.path.is_file()
                     else [p for name in expected for p in sorted(hand_in.path.rglob(name))[:1]])
            problems, missing = [], []
            for file in files:
                problem, gone = inspect(file, expected.get(file.name, all_ids if len(expected) == 1 else []))
                if problem:
                    problems.append(problem if len(files) == 1 else f"{file.name}: {problem}")
                missing += gone
            hand_in.problem = "; ".join(problems) or None
            hand_in.missing = missing
        results[hand_in.student] = Result(hand_in.student, hand_in.label, "graded", 0.0, found.auto_points,
                                          found.manual_points)
        if hand_in.problem is not None:
            results[hand_in.student].status = "not graded"
            results[hand_in.student].reason = hand_in.problem
        else:
            if submissions is not None:
                _place(hand_in, course, found)
            runnable.append(hand_in)

    # 1. Run every hand-in, `workers` at a time, each nbgrader process with a private copy of the gradebook.
    run = course / ".grading"
    shutil.rmtree(run, ignore_errors=True)
    (run / "gradebooks").mkdir(parents=True)
    shutil.copyfile(course / "gradebook.db", run / "gradebook.db")
    executed = run / "executed"

    # One fork server per worker: nbgrader is imported once per worker, not once per hand-in.
    servers: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(min(workers, len(runnable))):
        servers.put(ForkServer(env))

    def execute(hand_in: Submission) -> tuple[int | None, float]:
        private = run / "gradebooks" / f"{hand_in.student}.db"
        shutil.copyfile(run / "gradebook.db", private)
        log = course / "logs" / f"autograde-{found.name}-{hand_in.student}.log"
        args = ["autograde", found.name, "--student", hand_in.student, "--force",
                f"--CourseDirectory.db_url=sqlite:///{private}",
                f"--CourseDirectory.autograded_directory={executed.relative_to(course)}"]
        server = servers.get()
        try:
            return server.run(args, course, env, log, limit=limit)
        except (OSError, RuntimeError, ValueError):  # the server itself failed: a new one, and once more
            server.close()
            server = ForkServer(env)
            return server.run(args, course, env, log, limit=limit)
        finally:
            servers.put(server)
            private.unlink(missing_ok=True)

    ran: list[Submission] = []
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute, hand_in): hand_in for hand_in in runnable}
        for done, future in enumerate(as_completed(futures), 1):
            hand_in = futures[future]
            result = results[hand_in.student]
            log = course / "logs" / f"autograde-{found.name}-{hand_in.student}.log"
            try:
                status, result.seconds = future.result()
            except Exception as error:  # the grader's own trouble with one hand-in: the others go on
                status, result.seconds = -1, 0.0
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(f"{type(error).__name__}: {error}\n", encoding="utf-8")
            made = all((executed / hand_in.student / found.name / p.name).exists() for p in found.notebooks)
            if status == 0 and made:
                ran.append(hand_in)
                state = f"ran in {result.seconds:.0f} s"
            else:
                result.status, result.reason = "failed", _failure(status, limit, log, _report(course, found, hand_in))
                state = f"failed, {result.reason}"
            elapsed = time.perf_counter() - start
            left = elapsed / done * (len(runnable) - done)
            print(f"  [{done}/{len(runnable)}] {hand_in.label}: {state}"
                  + (f" · about {format_seconds(left)} left" if done < len(runnable) else ""), file=out, flush=True)

    while not servers.empty():
        servers.get().close()

    # 2. One nbgrader process scores what ran into the gradebook (the only process that writes it).
    _score(course, found, results, ran, executed, env, limit)
    shutil.rmtree(run, ignore_errors=True)
    return _finish(course, found, [results[hand_in.student] for hand_in in hand_ins], env, out)


def _score(course: Path, found: Chapter, results: dict[str, Result], ran: list[Submission], executed: Path,
           env: dict, limit: float) -> None:
    """Score the hand-ins ``ran`` (executed in ``executed/<student>/<chapter>/``) into the course's gradebook.

    nbgrader's ``autograde``, in one process, replays the outputs (:class:`BoundedExecute`) and scores
    them; the others in ``results`` are listed in the gradebook with no submission (0 points).
    """
    with _gradebook(course) as gradebook:
        for result in results.values():
            if result.status != "graded":  # listed in grades.csv with 0, without a stale submission
                gradebook.update_or_create_student(result.student)
                try:
                    gradebook.remove_submission(found.name, result.student)
                except Exception:
                    pass
                shutil.rmtree(course / "autograded" / result.student / found.name, ignore_errors=True)
    status = 0
    log = course / "logs" / f"autograde-{found.name}-scores.log"
    if ran:
        inbox = executed.parent / "inbox"
        shutil.rmtree(inbox, ignore_errors=True)
        for hand_in in ran:
            shutil.copytree(course / "submitted" / hand_in.student / found.name, inbox / hand_in.student / found.name)
        status, _ = _nbgrader(["autograde", found.name, "--force",
                               f"--CourseDirectory.submitted_directory={inbox.relative_to(course)}",
                               f"--BoundedExecute.replay_from={executed}"],
                              course, env, log, limit=120 + 10 * len(ran))
    for hand_in in ran:
        _read_grades(results[hand_in.student], course, found, hand_in, status if status is None else 0, limit, log)


def _finish(course: Path, found: Chapter, results: list[Result], env: dict, out) -> list[Result]:
    """Report each hand-in, generate the feedback, export grades.csv, write summary.csv."""
    for result in results:
        print(f"  {result.label}: {_line(result)}", file=out)
    log = course / "logs" / f"generate_feedback-{found.name}.log"
    status, _ = _nbgrader(["generate_feedback", found.name, "--force"], course, env, log)
    if status != 0:
        print(f"note: nbgrader generate_feedback reported a problem (see {log})", file=out)
    for result in results:
        page = course / "feedback" / result.student / found.name / found.notebooks[0].with_suffix(".html").name
        result.feedback = page if result.status == "graded" and page.exists() else None
    status, _ = _nbgrader(["export", "--to", str(course / "grades.csv")], course, env, course / "logs" / "export.log")
    if status != 0:
        print(f"note: nbgrader export reported a problem (see {course / 'logs' / 'export.log'})", file=out)
    write_summary(results, course / "summary.csv", found)
    print(f"grades: {course / 'grades.csv'} (nbgrader's), {course / 'summary.csv'} (with reasons); "
          f"feedback: {course / 'feedback'}", file=out)
    return results


def merge(name: str, shares: list[str | Path], course: str | Path, *, quick: bool = False,
          solutions: Path = SOLUTIONS, out=None) -> list[Result]:
    """Merge course folders that each graded a share of a class (``grade``) into ``course``'s one gradebook.

    Nothing runs again: each share's graded notebooks are scored into ``course``'s gradebook by nbgrader
    (as ``grade`` scores its workers' runs), the shares' reasons for the hand-ins that failed or could not
    be graded are kept, then the feedback, ``grades.csv`` and ``summary.csv`` are written for the class.
    ValueError if a share is not a graded course folder, or if a student is in two shares.
    """
    out = out or sys.stdout
    found = chapter(name, solutions)
    course = course_folder(course)
    folders = [Path(share).expanduser().resolve() for share in shares]
    for folder in folders:
        if not (folder / "summary.csv").is_file():
            raise ValueError(f"shares must be course folders graded by this command (with a summary.csv), "
                             f"got {folder}")
        if folder == course:
            raise ValueError(f"a share cannot be the course folder it is merged into: {folder}")
    assign(found.name, course, quick=quick, solutions=solutions, out=out)
    run = course / ".grading"
    shutil.rmtree(run, ignore_errors=True)
    executed = run / "executed"
    expected = {path.name: _expected_ids(path) for path in found.notebooks}
    results: dict[str, Result] = {}
    origin: dict[str, Path] = {}
    ran: list[Submission] = []
    for folder in folders:
        with open(folder / "summary.csv", newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["assignment"] == found.name]
        for row in rows:
            student = row["student_id"]
            if student in origin:
                raise ValueError(f"student {student} is in two shares: {origin[student]} and {folder}")
            origin[student] = folder
            result = Result(student, row["handed_in"], row["status"], 0.0, found.auto_points, found.manual_points,
                            reason=row["reason"])
            results[student] = result
            for log in (folder / "logs").glob(f"*-{found.name}-{student}.*"):
                (course / "logs").mkdir(parents=True, exist_ok=True)
                shutil.copyfile(log, course / "logs" / log.name)
            graded = folder / "autograded" / student / found.name
            if result.status != "graded" or not graded.is_dir():
                if result.status == "graded":
                    result.status, result.reason = "failed", f"no graded notebook in {folder}"
                continue
            submitted = course / "submitted" / student / found.name
            shutil.rmtree(submitted, ignore_errors=True)
            shutil.copytree(folder / "submitted" / student / found.name, submitted)
            shutil.copytree(graded, executed / student / found.name)
            missing = [gid for path in submitted.glob("*.ipynb")
                       for gid in inspect(path, expected.get(path.name, []))[1]]
            ran.append(Submission(student, row["handed_in"], submitted, missing=missing))
    print(f"{found.name}: {len(results)} hand-in(s) from {len(folders)} share(s), merged into {course}", file=out)
    env = environment(course, quick=quick)
    _score(course, found, results, ran, executed, env, 120.0)
    shutil.rmtree(run, ignore_errors=True)
    return _finish(course, found, list(results.values()), env, out)


def _report(course: Path, found: Chapter, hand_in: Submission) -> Path:
    """Where the sandbox writes why it stopped a hand-in (see :class:`BoundedExecute`)."""
    return course / "logs" / f"sandbox-{found.name}-{hand_in.student}.txt"


def _read_grades(result: Result, course: Path, found: Chapter, hand_in: Submission, status, limit, log) -> None:
    from nbgrader.api import MissingEntry

    graded = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _gradebook(course) as gradebook:
            try:
                submission = gradebook.find_submission(found.name, hand_in.student)
                for notebook in submission.notebooks:
                    for entry in notebook.grades:
                        graded[entry.name] = (entry.auto_score, entry.max_score, entry.needs_manual_grade)
            except MissingEntry:
                pass
    autograded = [course / "autograded" / hand_in.student / found.name / p.name for p in found.notebooks]
    if status != 0 or not all(p.exists() for p in autograded):
        result.status, result.score = "failed", 0.0
        result.reason = _failure(status, limit, log)
        return
    messages = _messages(course, found, hand_in.student)
    notes = messages.pop("__notes__")
    tests = {gid: value for gid, value in graded.items() if not _is_written(found, gid)}
    result.score = float(sum(score or 0 for score, _, _ in tests.values()))
    for grade_id in [gid for path in found.notebooks for gid in _expected_ids(path)]:
        if grade_id in hand_in.missing:
            result.failed.append(f"{grade_id}: deleted from the submission (0 points)")
            continue
        score, most, _ = graded.get(grade_id, (None, None, None))
        if grade_id in tests and (score or 0) < (most or 0):
            result.failed.append(f"{grade_id} ({score or 0:g}/{most:g}): "
                                 f"{_short(messages.get(grade_id, 'no error shown'))}")
    if hand_in.missing:
        result.reason = f"{len(hand_in.missing)} graded cell(s) deleted: {', '.join(hand_in.missing)} (0 points each)"
    if notes:
        result.notes.append(notes)


def _failure(status, limit: float, log: Path, report: Path | None = None) -> str:
    """Why nbgrader produced no graded notebook: the sandbox's reason, or its exit status and its log."""
    from neuronlab.tools.sandbox import stop_reason

    stopped = stop_reason(report) if report is not None else None
    if stopped:
        return f"{stopped} (see logs/{log.name})"
    if status is None:
        return f"stopped after {limit:.0f} s: grading did not finish (see logs/{log.name})"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    if "DeadKernelError" in text or "Kernel died" in text:
        return f"its kernel died while running it (os._exit, a crash, or out of memory; see logs/{log.name})"
    errors = [line.strip() for line in text.splitlines()
              if re.match(r"\s*[A-Za-z_.]*(Error|Exception)\b.*:", line) and "Traceback" not in line]
    last = f": {_short(errors[-1], 200)}" if errors else ""
    return f"nbgrader could not grade it{last} (see logs/{log.name})"


def _is_written(found: Chapter, grade_id: str) -> bool:
    for path in found.notebooks:
        for cell in _graded_cells(nbformat.read(path, as_version=4)):
            if cell.metadata["nbgrader"]["grade_id"] == grade_id:
                return bool(cell.metadata["nbgrader"].get("solution")) or cell.cell_type != "code"
    return False


def _line(result: Result) -> str:
    if result.status != "graded":
        return f"{result.status}, {result.reason}"
    text = f"{result.score:g}/{result.auto_max:g} autograded"
    if result.manual_max:
        text += f", {result.manual_max:g} to grade by hand"
    if result.failed:
        text += f"; lost points in {len(result.failed)} cell(s)"
    if result.notes:
        text += f" ({'; '.join(result.notes)})"
    return text


SUMMARY_FIELDS = ["assignment", "student_id", "handed_in", "status", "autograded_score", "autograded_max",
                  "graded_by_hand_max", "max_score", "reason", "lost_points", "notes", "feedback"]


def write_summary(results: list[Result], path: Path, found: Chapter) -> None:
    """One row per hand-in: the autograded score and, when points were lost or nothing was graded, why."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow({
                "assignment": found.name, "student_id": result.student, "handed_in": result.label,
                "status": result.status, "autograded_score": f"{result.score:g}",
                "autograded_max": f"{result.auto_max:g}", "graded_by_hand_max": f"{result.manual_max:g}",
                "max_score": f"{result.max_score:g}", "reason": result.reason,
                "lost_points": " | ".join(result.failed), "notes": "; ".join(result.notes),
                "feedback": str(result.feedback.relative_to(path.parent)) if result.feedback else ""})


# --------------------------------------------------------------------------- command line
def _list(out=None, solutions: Path = SOLUTIONS) -> None:
    from neuronlab.tools.runtimes import format_seconds

    out = out or sys.stdout
    found = chapters(solutions)
    width = max([len("chapter"), *(len(c.name) for c in found)])
    print(f"{'chapter':<{width}}  tests  written  points (auto + by hand)  solution run  per-cell limit", file=out)
    for chapter_ in found:
        run = format_seconds(chapter_.run_seconds) if chapter_.run_seconds is not None else "not stamped"
        points = f"{chapter_.points:g} ({chapter_.auto_points:g} + {chapter_.manual_points:g})"
        print(f"{chapter_.name:<{width}}  {chapter_.tests:>5}  {chapter_.written:>7}  {points:<23}  {run:>12}  "
              f"{chapter_.default_timeout():>12} s", file=out)


def _limits(args) -> Limits | None:
    if args.unsandboxed:
        return None
    return Limits(memory=parse_size(args.memory, "--memory"), processes=args.processes,
                  file_size=parse_size(args.file_size, "--file-size"), scratch=parse_size(args.scratch, "--scratch"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.tools.grade",
                                     description="Assign and grade a chapter's exercises with nbgrader, in a course "
                                                 "folder outside the repository.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("chapters", help="list the chapters with exercises, their points and time limits")
    for command, text in (("assign", "generate the student version (release/CHAPTER) and the gradebook"),
                          ("grade", "assign, autograde every hand-in, generate feedback, export grades")):
        sub = commands.add_parser(command, help=text)
        sub.add_argument("chapter", help="a folder of solutions/, e.g. 02_perceptrons")
        if command == "grade":
            sub.add_argument("submissions", nargs="?", type=Path,
                             help="folder of hand-ins: <student>.ipynb files or <student>/ folders "
                                  "(default: what is already in COURSE/submitted)")
            sub.add_argument("--submission-limit", type=float, default=None,
                             help="seconds for one hand-in, all cells "
                                  "(default: the per-cell limit × code cells + 120)")
            sub.add_argument("--workers", type=int, default=None,
                             help=f"hand-ins graded at a time (default: one per core, here {default_workers()})")
        if command in ("assign", "grade"):
            defaults = Limits()
            sub.add_argument("--unsandboxed", action="store_true",
                             help="run submitted code WITHOUT the bubblewrap sandbox, with all of your rights")
            sub.add_argument("--memory", default=format_size(defaults.memory).replace(" ", ""),
                             help="memory of one hand-in's sandbox (default: %(default)s)")
            sub.add_argument("--processes", type=int, default=defaults.processes,
                             help="processes and threads in one sandbox (default: %(default)s)")
            sub.add_argument("--file-size", default=format_size(defaults.file_size).replace(" ", ""),
                             help="largest file a hand-in may write (default: %(default)s)")
            sub.add_argument("--scratch", default=format_size(defaults.scratch).replace(" ", ""),
                             help="size of a hand-in's scratch folder, all files (default: %(default)s)")
        sub.add_argument("--course", type=Path, required=True, help="the course folder (outside the repository)")
        sub.add_argument("--timeout", type=int, default=None,
                         help=f"seconds one cell may run (default: {TIMEOUT_FACTOR} × the solution's stamped run "
                              f"time, at least {MIN_TIMEOUT})")
        sub.add_argument("--max-output-bytes", type=int, default=MAX_OUTPUT_BYTES,
                         help="bytes of output kept per cell (default: %(default)s)")
        sub.add_argument("--quick", action="store_true", help="run the kernels in quick mode (smaller data)")
        sub.add_argument("--solutions", type=Path, default=SOLUTIONS,
                         help="folder of solution notebooks, one subfolder per chapter (default: the repository's)")
    merging = commands.add_parser("merge", help="merge course folders that each graded a share of a class")
    merging.add_argument("chapter", help="a folder of solutions/, e.g. 02_perceptrons")
    merging.add_argument("shares", nargs="+", type=Path, help="the shares' course folders, each graded by `grade`")
    merging.add_argument("--course", type=Path, required=True, help="the course folder to merge them into")
    merging.add_argument("--solutions", type=Path, default=SOLUTIONS, help="folder of solution notebooks")
    chapters_command = commands.choices["chapters"]
    chapters_command.add_argument("--solutions", type=Path, default=SOLUTIONS, help="folder of solution notebooks")
    args = parser.parse_args(argv)
    try:
        solutions = args.solutions.expanduser().resolve()
        if args.command == "chapters":
            _list(solutions=solutions)
        elif args.command == "assign":
            release = assign(args.chapter, args.course, timeout=args.timeout, max_output_bytes=args.max_output_bytes,
                             quick=args.quick, solutions=solutions, sandbox=_limits(args))
            print(f"student version: {release} (hand it out as it is)")
        elif args.command == "merge":
            merge(args.chapter, args.shares, args.course, solutions=solutions)
        else:
            grade(args.chapter, args.submissions, args.course, timeout=args.timeout,
                  submission_limit=args.submission_limit, max_output_bytes=args.max_output_bytes, quick=args.quick,
                  solutions=solutions, sandbox=_limits(args), workers=args.workers)
    except (ValueError, GradingError) as error:
        print(f"✘ {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
