"""Stored outputs are what the code gives today: cheap notebooks are rerun in full mode and compared.

The freshness stamp catches a changed code cell; this catches the rest (a change in
``neuronlab`` or in a library that alters what a notebook prints or draws).  Only
notebooks whose full run is short are rerun, to keep the suite quick.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from neuronlab.tools import execute, stamp

ROOT = Path(__file__).resolve().parents[2]
RERUN_BUDGET_SECONDS = 30
CHEAP = [p for p in execute.course_notebooks()
         if (stamp.freshness(p).seconds or RERUN_BUDGET_SECONDS) < RERUN_BUDGET_SECONDS]


def _outputs(notebook):
    """Per code cell: the output types with their text and images (what a reader sees)."""
    seen = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        shown = []
        for output in cell.outputs:
            data = output.get("data", {})
            shown.append((output.output_type, output.get("text"),
                          {k: v for k, v in data.items() if k in ("text/plain", "text/html", "image/png")}))
        seen.append(shown)
    return seen


@pytest.mark.parametrize("path", CHEAP, ids=lambda p: str(p.relative_to(ROOT)))
def test_rerun_reproduces_the_stored_outputs(path, tmp_path, monkeypatch):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    # The copy runs beside the original's folder contents, as the original would.
    for sibling in path.parent.iterdir():
        if sibling != path and not (tmp_path / sibling.name).exists():
            (tmp_path / sibling.name).symlink_to(sibling)
    execute.execute(copy)
    stored, rerun = _outputs(nbformat.read(path, as_version=4)), _outputs(nbformat.read(copy, as_version=4))
    for index, (before, after) in enumerate(zip(stored, rerun)):
        assert before == after, (f"{path.name}: code cell {index} now gives different outputs; rerun "
                                 f"python -m neuronlab.tools.execute {path.relative_to(ROOT)}")
    assert len(stored) == len(rerun)
