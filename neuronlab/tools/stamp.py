"""The stamp the executor leaves on a notebook, and the freshness test built on it.

A stamp records a hash of the notebook's code cells, how long the run took and
whether it ran on full data.  A stored notebook is *fresh* when its stamp's hash
matches its code cells now and its mode is ``full``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

KEY = "neuronlab"


def code_hash(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 of the notebook's code cells' sources, in order (outputs and markdown excluded)."""
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode("utf-8")).hexdigest()


def stamp(notebook: nbformat.NotebookNode, *, seconds: float, mode: str) -> None:
    """Write the stamp into ``notebook.metadata`` (in place)."""
    if mode not in ("full", "quick"):
        raise ValueError(f"mode must be 'full' or 'quick', got {mode!r}")
    notebook.metadata[KEY] = {"code_sha256": code_hash(notebook), "mode": mode,
                              "run_seconds": round(float(seconds), 1)}


@dataclass(frozen=True)
class Freshness:
    path: Path
    fresh: bool
    reason: str
    mode: str | None
    seconds: float | None


def freshness(path: str | Path) -> Freshness:
    """Say whether the stored outputs of the notebook at ``path`` are fresh, and if not why."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    info = notebook.metadata.get(KEY)
    if not info:
        return Freshness(path, False, "never run by the executor (no stamp)", None, None)
    mode, seconds = info.get("mode"), info.get("run_seconds")
    if info.get("code_sha256") != code_hash(notebook):
        return Freshness(path, False, "code changed since it was run", mode, seconds)
    if mode != "full":
        return Freshness(path, False, f"outputs come from a {mode!r} run, not the full one", mode, seconds)
    return Freshness(path, True, "fresh", mode, seconds)
