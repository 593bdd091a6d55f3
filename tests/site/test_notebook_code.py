"""The code a reader sees fits the column, and the plumbing stays out of it (issue 24).

Static checks of the notebooks the site shows (every chapter, exercise and solution notebook),
without a build:

- no code line is longer than 88 characters (the site's code column shows 88 at 1280 px;
  the browser tests check that it does);
- no code cell the site shows calls ``glue`` or ``claim``: those go in a cell tagged
  ``remove-cell`` (or ``remove-input``), or into the helper that makes the value;
- no stored output shows a path of the machine that ran it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from sitecheck import ROOT

MAX_LINE = 88
HIDDEN_TAGS = {"remove-cell", "remove-input"}  # the site shows neither the cell nor its code
PLUMBING = {"glue", "claim"}
NOTEBOOKS = sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("exercises/*/*.ipynb"),
                    *ROOT.glob("solutions/*/*.ipynb")])
# A stored output that names where it ran: a temporary run folder, a home or the checkout.
BUILD_PATH = re.compile(r"(neuronlab-runs-\d+|/tmp/[\w.-]+/|/home/\w+/|/root/|" + re.escape(str(ROOT)) + ")")


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _code_cells(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            yield index, cell


def _python(source: str) -> str:
    """The cell as Python: IPython's magics and shell escapes blanked (their lines kept, for numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def plumbing_calls(source: str) -> list[tuple[int, str]]:
    """(line, name) of every call to ``glue``/``claim`` in ``source``, however it is spelled.

    ``glue(…)``, ``neuronlab.glue(…)``, ``nl.claim(…)``, ``myst_nb.glue(…)``: a call whose callee
    is the name or an attribute of that name. A cell that does not parse is searched as text.
    """
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return [(number, name) for number, line in enumerate(source.splitlines(), start=1)
                for name in PLUMBING if re.search(rf"\b{name}\s*\(", line)]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute) \
                else None
            if name in PLUMBING:
                found.append((node.lineno, name))
    return sorted(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_no_code_line_is_longer_than_88_characters(path):
    long = [f"cell {index}, line {number}: {len(line)} characters: {line[:60]}…"
            for index, cell in _code_cells(path)
            for number, line in enumerate(cell.source.splitlines(), start=1) if len(line) > MAX_LINE]
    assert not long, f"{_id(path)}: {len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_no_code_cell_a_reader_sees_calls_glue_or_claim(path):
    shown = [f"cell {index}, line {number}: {name}(…)"
             for index, cell in _code_cells(path)
             if not HIDDEN_TAGS & set(cell.metadata.get("tags", []))
             for number, name in plumbing_calls(cell.source)]
    assert not shown, (f"{_id(path)}: glue/claim in cells the site shows (move them into a cell tagged "
                       f"remove-cell):\n" + "\n".join(shown))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_no_stored_output_shows_a_build_path(path):
    found = []
    for index, cell in _code_cells(path):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + [value for key, value in output.get("data", {}).items()
                                                if key.startswith("text/") and isinstance(value, str)]
            for text in texts:
                match = BUILD_PATH.search(text)
                if match:
                    found.append(f"cell {index}: …{text[max(0, match.start() - 30):match.end() + 30]!r}…")
    assert not found, f"{_id(path)}: stored outputs name the machine that ran them:\n" + "\n".join(found)


def test_the_checks_find_what_they_look_for():
    """The detector itself: every spelling of the calls, and nothing else."""
    source = ("import neuronlab as nl\n%matplotlib inline\nnl.glue('a', 1)\nneuronlab.claim('b', True, 'x')\n"
              "glue('c', 2)\nmyst_nb.glue('d', 3, display=False)\nprint('glue(')\nglued = 4\nclaimant(5)\n")
    assert plumbing_calls(source) == [(3, "glue"), (4, "claim"), (5, "glue"), (6, "glue")]
    assert plumbing_calls("x = (\nglue('a', 1)") == [(2, "glue")]  # unparsable: searched as text
    assert BUILD_PATH.search("saved to /tmp/neuronlab-runs-0/run_1/best.keras")
    assert BUILD_PATH.search(f"{ROOT}/chapters/x.keras")
    assert not BUILD_PATH.search("runs/2024-05-01 best.keras (0.98)")
