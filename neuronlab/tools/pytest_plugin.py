"""pytest plugin (loaded by ``-p`` in pyproject.toml): quick mode, parallel workers, summaries.

- The test suite always runs in quick mode. Setting the variable here, before any notebook
  kernel starts, means every kernel nbval launches inherits it, whichever paths pytest was given.
- ``-n auto`` (pytest-xdist, in pyproject.toml) runs the suite on one worker per core, as many as
  memory allows (a notebook's kernel peaks at about 1.5 GB). Each file's tests go to one worker
  (:func:`pytest_xdist_make_scheduler`): every cell of a notebook (nbval runs them in one kernel, in
  order), a module's fixtures built once; so do all the site tests (one build, one browser) and all
  the Colab-stack tests (one environment). The slowest groups are handed out first, so no worker
  is left with a long one at the end.
- Sections that tests add with :func:`report` are printed at the end of the run, from whichever
  worker ran them.
"""

from __future__ import annotations

import os

import pytest

SUMMARY: dict[str, list[str]] = {}
"""Section title → lines, printed at the end of the run (see :func:`report`)."""

KERNEL_PEAK_GB = 2.0
"""Memory to allow per worker: a notebook kernel's peak (≤ 1.5 GiB) and the worker itself."""

SLOW_FIRST = (
    "tests/colab/",
    "tests/site/",
    "tests/tooling/test_grading.py",
    "chapters/06_",
    "solutions/07_",
    "chapters/07_",
    "chapters/05_",
    "tests/unit/test_check_ch07.py",
    "tests/tooling/test_exercises.py",
    "tests/unit/test_tuning.py",
    "tests/unit/test_deep_explorer.py",
    "tests/unit/test_check_ch05.py",
    "chapters/04_",
    "solutions/06_",
    "tests/unit/test_perceptron_stepper.py",
)
"""Path prefixes of the slowest groups, slowest first: they start before the quick ones."""


def report(section: str, line: str) -> None:
    """Add ``line`` to the end-of-run section ``section`` (works under pytest-xdist workers too)."""
    SUMMARY.setdefault(section, []).append(line)


def pytest_configure(config):
    os.environ.setdefault("NEURONLAB_QUICK", "1")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker per usable core, fewer if memory is short (one without psutil)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    try:
        import psutil

        memory_gb = psutil.virtual_memory().total / 1e9
    except ImportError:
        return 1
    return max(1, min(cores, int(memory_gb // KERNEL_PEAK_GB)))


def _group(path: str) -> str:
    """The group a test of the file ``path`` runs in: its folder's for the site and Colab tests, else its file's.

    A file's tests share a worker as its module-scoped fixtures are built once (a notebook's cells
    must, as they run in one kernel).
    """
    for folder in ("tests/site/", "tests/colab/"):
        if path.startswith(folder):
            return folder
    return path


def _rank(path: str) -> int:
    for rank, prefix in enumerate(SLOW_FIRST):
        if path.startswith(prefix):
            return rank
    return len(SLOW_FIRST)


def _path(item, root) -> str:
    """The item's file relative to the rootdir, with forward slashes (nodeids vary by plugin)."""
    from pathlib import Path

    try:
        return Path(item.path).relative_to(root).as_posix()
    except ValueError:
        return Path(item.path).as_posix()


def pytest_collection_modifyitems(session, config, items):
    # The controller hands out groups in the order the workers collected them: slowest first. A stable
    # sort keeps each notebook's cells in order.
    items.sort(key=lambda item: _rank(_path(item, config.rootpath)))


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # before xdist's own choice of scheduler
def pytest_xdist_make_scheduler(config, log):
    """Groups (see the module's text) go whole to one worker; every other test is a group of its own."""
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid.split("::", 1)[0])

    return CourseScheduling(config, log)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the sections to the controller
        workeroutput["neuronlab_summary"] = SUMMARY


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for section, lines in (getattr(node, "workeroutput", None) or {}).get("neuronlab_summary", {}).items():
        SUMMARY.setdefault(section, []).extend(lines)


def pytest_terminal_summary(terminalreporter):
    for section, lines in SUMMARY.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)
