"""Stored outputs are what the code gives today: cheap notebooks are rerun in full mode and compared.

The freshness stamp catches a changed code cell, a changed ``neuronlab`` module or data file and
a new version of numpy, Keras, TensorFlow or scikit-learn; this catches the rest (a change in
another library, such as matplotlib, that alters what a notebook prints or draws, or a result
that is not deterministic).  Only notebooks whose full run is short are rerun, to keep the suite
quick.
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
    """Per code cell, keyed by its index in the notebook: output types with their text and images."""
    seen = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        shown = []
        if "timing" in cell.metadata.get("tags", []):  # wall-clock measurements: same outputs, other numbers
            seen[index] = [output.output_type for output in cell.outputs]
            continue
        for output in cell.outputs:
            data = output.get("data", {})
            shown.append((output.output_type, output.get("text"),
                          {k: v for k, v in data.items() if k in ("text/plain", "text/html", "image/png")}))
        seen[index] = shown
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
    assert stored.keys() == rerun.keys()
    for index in stored:
        assert stored[index] == rerun[index], (f"{path.name}: cell {index} (counting from 0) now gives different "
                                               f"outputs; rerun python -m neuronlab.tools.execute {path.relative_to(ROOT)}")
