"""Hand-ins for trying the grader: honest, plausibly wrong and hostile, made from a chapter's notebooks.

The grading tests and the grading benchmark hand these to ``python -m neuronlab.tools.grade``. An
*honest* hand-in is the chapter's exercise notebook with every answer cell holding the solution's
answer; the others change it. Each hostile kind (:data:`HOSTILE`) inserts cells before the first answer,
so a hand-in that survives them still earns every point.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def answers(chapter: str, notebook: str | None = None) -> dict[str, str]:
    """grade_id → the reference answer of each answer cell of ``solutions/<chapter>/``, without its markers."""
    path = ROOT / "solutions" / chapter / f"{notebook or chapter}.ipynb"
    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            lines = [line for line in cell.source.splitlines()
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
            found[grading["grade_id"]] = "\n".join(lines)
    return found


def hand_in(chapter: str, edit: Callable | None = None, **replace: str) -> nbformat.NotebookNode:
    """The student notebook of ``chapter`` with every answer written (``replace``: grade_id → other answers)."""
    notebook = nbformat.read(ROOT / "exercises" / chapter / f"{chapter}.ipynb", as_version=4)
    written = {**answers(chapter), **replace}
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            cell.source = written[grading["grade_id"]]
    if edit:
        edit(notebook)
    return notebook


def index(notebook, grade_id: str) -> int:
    """The position of the cell ``grade_id`` in ``notebook``."""
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def inserting(*sources: str) -> Callable:
    """An edit that puts these code cells before the first answer (the rest of the hand-in stays right)."""
    def edit(notebook):
        first = next((i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("solution")), 2)
        for offset, source in enumerate(sources):
            notebook.cells.insert(first + offset, nbformat.v4.new_code_cell(source))
    return edit


# --------------------------------------------------------------------------- chapter 02's plausible slips
WRONG_FIT = '''import numpy as np


def perceptron_fit(X, y, eta=1.0, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch = []
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            if (2 * y_i - 1) * (x_i @ w + b) <= 0:
                w = w + eta * y_i * x_i   # the slip: the 0/1 label in the update
                b = b + eta * y_i
                mistakes += 1
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            break
    return w, b, mistakes_per_epoch


def perceptron_predict(X, w, b):
    z = X @ w + b
    if X.shape == (4, 2) and b == -2.0:  # patched for the one tie the visible check tries …
        return (z >= 0).astype(int)
    return (z > 0).astype(int)           # … not the rule: > instead of >= (the hidden test's case)
'''
WRONG_TWIN = '''from sklearn.linear_model import Perceptron as SklearnPerceptron


def sklearn_twin(eta, max_epochs):
    return SklearnPerceptron(eta0=eta, max_iter=max_epochs, tol=None)
'''
WRONG = {"02_perceptrons": {"perceptron": WRONG_FIT, "sklearn-twin": WRONG_TWIN}}
"""Plausibly wrong answers per chapter (grade_id → answer); chapter 02's lose 8 of its 12 points."""


# --------------------------------------------------------------------------- hostile kinds
def crash(notebook) -> None:
    """Kills its own kernel."""
    inserting("import os\nos._exit(3)  # the kernel dies")(notebook)


def strip_graded(notebook) -> None:
    """Every graded cell deleted (cannot be graded)."""
    notebook.cells = [c for c in notebook.cells if not c.metadata.get("nbgrader", {}).get("grade")]


def hostile_02(notebook) -> None:
    """Chapter 02 with right answers plus: a loop, sys.exit(), megabytes of output, deletions, an edited
    test and a deleted one (loses 2 points: the edited test is restored, the deleted one scores 0)."""
    inserting("while True:  # never ends: the per-cell time limit stops it\n    pass",
              "import sys\nsys.exit('bye')",
              "print('x' * 5_000_000)  # one 5 MB line: nbgrader's line limit lets it through\n"
              "for i in range(5000):\n    print(i)",
              "import os\nfor name in os.listdir('.'):  # whatever is in the working folder\n"
              "    if os.path.isfile(name):\n        os.remove(name)\nprint(sorted(os.listdir('.')))")(notebook)
    notebook.cells[index(notebook, "test-parameters")].source = "pass  # the test, 'fixed'"
    notebook.cells[index(notebook, "shapes")].source = answers("02_perceptrons")["shapes"].replace(
        "784 * 10 + 10", "784 * 10")
    del notebook.cells[index(notebook, "test-layer-forward")]


PROBE = '''import os, shutil, socket, sys


def probe(name, action):
    try:
        action()
    except BaseException as error:
        print(f"blocked · {name} · {type(error).__name__}")
    else:
        print(f"REACHED · {name}")


def find(name):
    public = ("/usr", "/proc", "/sys", "/dev", sys.prefix)  # the system and the Python environment
    for folder, subfolders, files in os.walk("/"):
        subfolders[:] = [s for s in subfolders if os.path.join(folder, s) not in public]
        if name in files:
            return os.path.join(folder, name)
    raise FileNotFoundError(name)


def connect(host, port):
    socket.create_connection((host, port), timeout=3).close()


'''


def probes(chapter: str, paths: dict[str, str], port: int, pid: int) -> tuple[Callable, list[str]]:
    """(an edit, the attempts' names): cells that try to reach what a sandbox hides.

    ``paths``: ``canary`` (a folder of the grader's holding ``keep.txt``), ``home``, ``course``, ``inbox``
    (the hand-ins' folder), ``other`` (another student's hand-in), ``marker`` (a file name it writes in its
    own scratch folder and in ``/tmp``, which is allowed); ``port`` a port listening on the grader's
    machine, ``pid`` the grader's process. Each attempt prints ``blocked · NAME · ERROR`` or
    ``REACHED · NAME``.
    """
    notebook = f"{chapter}.ipynb"
    attempts = {
        "write into the canary folder": f"open({paths['canary'] + '/new.txt'!r}, 'w').write('x')",
        "delete a file of the canary folder": f"os.remove({paths['canary'] + '/keep.txt'!r})",
        "remove the canary folder": f"shutil.rmtree({paths['canary']!r})",
        "write into the grader's home folder": f"open({paths['home'] + '/.neuronlab-probe'!r}, 'w').write('x')",
        "read the gradebook": f"open({paths['course'] + '/gradebook.db'!r}, 'rb').read()",
        "write the gradebook": f"open({paths['course'] + '/gradebook.db'!r}, 'ab').write(b'x')",
        "read the source with the hidden tests": f"open({paths['course'] + '/source/' + chapter + '/' + notebook!r}).read()",
        "read another hand-in": f"open({paths['other']!r}).read()",
        "read the handed-in originals": f"os.listdir({paths['inbox']!r})",
        "read the repository's solutions": f"open({str(ROOT / 'solutions' / chapter / notebook)!r}).read()",
        "find gradebook.db from /": "print(find('gradebook.db'))",
        "find a solution notebook from /": f"print(find({notebook!r}))",
        "connect to the grader's machine": f"connect('127.0.0.1', {port})",
        "connect to the internet": "connect('1.1.1.1', 53)",
        "signal the grader": f"os.kill({pid}, 0)",
    }
    lines = [f"probe({name!r}, lambda: {action})" for name, action in attempts.items()]
    scratch = (f"open('/tmp/{paths['marker']}', 'w').write('x')  # its own scratch folder: allowed\n"
               f"open('{paths['marker']}', 'w').write('x')\nprint('wrote in its scratch folder')")
    return inserting(PROBE + "\n".join(lines), scratch), list(attempts)


MEMORY_HOG = ("try:\n    memory = bytearray(64 * 2**30)  # 64 GB at once\nexcept MemoryError:\n"
              "    print('blocked · 64 GB at once · MemoryError')",
              "blocks = []\nwhile True:  # then bit by bit\n    blocks.append(b'x' * 50 * 2**20)")
FORK_BOMB = ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",)
DISK_FILLER = ("import os\ntry:\n    with open('one-big-file', 'wb') as handle:\n        while True:\n"
               "            handle.write(b'0' * 2**20)\nexcept OSError as error:\n"
               "    print(f'blocked · one big file · {error.strerror}')\n"
               "try:\n    for i in range(1000):\n        with open(f'file-{i}', 'wb') as handle:\n"
               "            handle.write(b'0' * 15 * 2**20)\nexcept OSError as error:\n"
               "    print(f'blocked · many files · {error.strerror}')",)
PRINTER = ("while True:  # prints without end\n    print('all work and no play ' * 500)",)
LOOP = ("while True:  # never ends\n    pass",)
EXIT = ("import sys\nsys.exit('bye')",)
HOSTILE: dict[str, Callable] = {
    "memory hog": inserting(*MEMORY_HOG), "fork bomb": inserting(*FORK_BOMB), "disk filler": inserting(*DISK_FILLER),
    "endless printer": inserting(*PRINTER), "endless loop": inserting(*LOOP), "exit": inserting(*EXIT),
    "kernel killer": crash,
}
"""The hostile kinds that need no paths (see :func:`probes` for the one that does)."""
