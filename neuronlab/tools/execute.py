"""Run notebooks in place on full data, clean their metadata and stamp them.

Usage::

    python -m neuronlab.tools.execute chapters/01_logic_gate_neurons.ipynb
    python -m neuronlab.tools.execute --all        # every chapter and solution
    python -m neuronlab.tools.execute --report     # run times and freshness, no execution

A notebook that fails is left untouched on disk, and the command names the
failing cell; the others still run, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from neuronlab import config
from neuronlab.tools import stamp

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook whose outputs are stored: chapters and solutions (exercises have none)."""
    return sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "solutions").glob("*/*.ipynb"))


def clean(notebook: nbformat.NotebookNode) -> None:
    """Drop what changes from run to run without meaning anything.

    - cell timing metadata (``execution``) and the stored widget state;
    - live widget views: their state is not stored, so a view could never render;
      the static figure the course's widgets put beside it stays;
    - how the kernel happened to chunk a cell's printing: consecutive writes to
      the same stream become one output.
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
        if "outputs" in cell:
            cell.outputs = _coalesce_streams(cell.outputs)


def _coalesce_streams(outputs: list) -> list:
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


class NotebookFailed(RuntimeError):
    """A cell failed; the notebook on disk was not changed."""

    def __init__(self, path: Path, cell_index: int | None, summary: str, cell=None):
        self.path, self.cell_index = path, cell_index
        if cell is None:
            where = "before the first cell"
        else:
            first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
            where = f"cell {cell_index} (id {cell.get('id', '?')}, counting from 0): {first_line[:60]!r}"
        grade_id = (cell or {}).get("metadata", {}).get("nbgrader", {}).get("grade_id") if cell else None
        if grade_id:
            where += f" [nbgrader {grade_id}]"
        details = "\n".join("    " + line for line in summary.splitlines())
        super().__init__(f"{_rel(path)} failed in {where}\n{details}")


def execute(path: Path, *, timeout: int = 1800, quick: bool = False) -> float:
    """Execute the notebook at ``path`` in place; return the seconds it took.

    Raises :class:`NotebookFailed` (file untouched) if a cell not tagged
    ``raises-exception`` fails or runs out of time.
    """
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # The kernel inherits this process's environment: make it a learner's, in the mode asked for
    # (a MPLBACKEND such as Agg would keep figures out of the outputs).
    kernel_env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    kernel_env[config.QUICK_ENV] = "1" if quick else "0"
    client = NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                            resources={"metadata": {"path": str(path.parent)}}, record_timing=False)
    current: dict[str, int] = {}
    client.on_cell_execute = lambda cell, cell_index: current.update(index=cell_index)
    start = time.perf_counter()
    try:
        # The kernel process's own stderr carries only its start-up chatter (a warning about
        # TCP transport); what cells write is captured by ipykernel and stored as outputs.
        client.execute(stderr=subprocess.DEVNULL, env=kernel_env)
    except Exception as error:  # nbclient's errors, timeouts and a dead kernel alike
        ename = getattr(error, "ename", type(error).__name__)
        evalue = getattr(error, "evalue", None) or (str(error).strip().splitlines() or [""])[-1]
        index = current.get("index")
        cell = notebook.cells[index] if index is not None else None
        raise NotebookFailed(path, index, f"{ename}: {evalue}", cell) from error
    seconds = time.perf_counter() - start
    clean(notebook)
    stamp.stamp(notebook, seconds=seconds, mode="quick" if quick else "full")
    nbformat.validate(notebook)
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(path)
    return seconds


def report(paths: list[Path], out=sys.stdout) -> bool:
    """Print run time, mode and freshness per notebook; return True when all are fresh."""
    rows = [stamp.freshness(p) for p in paths]
    width = max([len(_rel(r.path)) for r in rows] + [8])
    print(f"{'notebook':<{width}}  {'mode':<5}  {'seconds':>7}  status", file=out)
    total = 0.0
    for r in rows:
        total += r.seconds or 0.0
        secs = f"{r.seconds:7.1f}" if r.seconds is not None else "      –"
        print(f"{_rel(r.path):<{width}}  {r.mode or '–':<5}  {secs}  {r.reason}", file=out)
    print(f"{'total':<{width}}  {'':<5}  {total:7.1f}", file=out)
    return all(r.fresh for r in rows)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.tools.execute", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run")
    parser.add_argument("--all", action="store_true", help="run every chapter and solution notebook")
    parser.add_argument("--report", action="store_true", help="print run times and freshness; run nothing")
    parser.add_argument("--quick", action="store_true",
                        help="run in quick mode (a trial: the freshness test rejects the result)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    args = parser.parse_args(argv)
    paths = course_notebooks() if args.all or (args.report and not args.paths) else args.paths
    if not paths:
        parser.error("give notebook paths, or --all, or --report")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"not a notebook file: {path}")
    if args.report:
        return 0 if report(paths) else 1

    failures = 0
    for number, path in enumerate(paths, 1):
        prefix = f"[{number}/{len(paths)}] {_rel(path)}"
        print(f"{prefix} …", end="", flush=True)
        try:
            seconds = execute(path, timeout=args.timeout, quick=args.quick)
        except NotebookFailed as error:  # report it and go on with the next notebook
            failures += 1
            print(f" ✘\n    {error}\n    (the stored notebook was left unchanged)", flush=True)
        else:
            print(f" {seconds:.1f} s ✔", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
