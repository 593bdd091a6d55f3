"""Run notebooks in place on full data, clean their metadata and stamp them.

Usage::

    python -m neuronlab.tools.execute chapters/01_logic_gate_neurons.ipynb
    python -m neuronlab.tools.execute --all        # every chapter and solution
    python -m neuronlab.tools.execute --report     # fresh or why not, run time, peak memory
    python -m neuronlab.tools.execute --stale      # rerun exactly the notebooks that are not fresh

A notebook that fails is left untouched on disk, and the command names the
failing cell; the others still run, and the exit status is 1.

Besides running the cells, the executor asks the kernel what the run depended on
(``neuronlab.tools.stamp`` keeps it in the notebook's metadata):

- before the first cell, a silent request installs an audit hook (``sys.addaudithook``) that
  notes every path the kernel opens — whoever opens it: Keras, scikit-learn, ``np.load``;
- after the last cell, a silent request writes to a temporary file the ``neuronlab`` modules in
  ``sys.modules``, the opened files that lie in the offline data folder, the versions of the
  libraries in :data:`neuronlab.tools.stamp.LIBRARIES` the kernel imported, and the kernel's peak
  resident memory: ``VmHWM`` from ``/proc/self/status``, the high-water mark of the kernel
  process's own memory since it started. (``resource.getrusage``'s ``ru_maxrss`` is no
  substitute on Linux: it carries the peak of the process that launched the kernel across
  ``exec``, so a kernel started from a large process would report that process's peak. It is
  the fallback where there is no ``/proc``.) Memory of processes the kernel starts is not counted.

Silent requests leave no output, execution count or history, so the stored notebook is the same
as without them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from neuronlab import config
from neuronlab.tools import stamp

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PEAK_MEMORY_BUDGET_MIB = 1536  # 1.5 GiB: what a notebook may take at its peak (mybinder gives about 2 GB)
# Notebooks not yet within the budget: the ceiling each may not pass and why.  The memory test holds
# them to the ceiling and fails once one fits the budget, so that its entry is removed.
OVER_BUDGET_MIB: dict[str, tuple[int, str]] = {}

# Run silently in the kernel before the first cell: note every path opened (audit event "open").
PROBE_START = """\
def _neuronlab_probe_start():
    import os, sys, types
    probe = types.ModuleType("_neuronlab_execute_probe")
    probe.opened = opened = set()
    abspath, fsdecode = os.path.abspath, os.fsdecode

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            try:
                opened.add(abspath(fsdecode(args[0])))
            except Exception:  # an audit hook must never break the operation it watches
                pass

    sys.modules[probe.__name__] = probe
    sys.addaudithook(hook)


_neuronlab_probe_start()
del _neuronlab_probe_start
"""

# Run silently after the last cell: write what the run depended on to the file REPORT_PATH.
PROBE_END = """\
def _neuronlab_probe_end(target, data_dir, libraries):
    import importlib.metadata, json, os, sys
    probe = sys.modules.get("_neuronlab_execute_probe")
    modules = sorted({os.path.realpath(m.__file__) for name, m in list(sys.modules.items())
                      if (name == "neuronlab" or name.startswith("neuronlab."))
                      and getattr(m, "__file__", None)})
    data = []
    if data_dir and probe is not None:
        inside = os.path.realpath(data_dir) + os.sep
        found = {os.path.realpath(path) for path in list(probe.opened)}
        data = sorted(path for path in found if path.startswith(inside) and os.path.isfile(path))
    versions = {}
    for library, (module, distributions) in libraries.items():
        for distribution in distributions if module in sys.modules else ():
            try:
                versions[library] = importlib.metadata.version(distribution)
                break
            except importlib.metadata.PackageNotFoundError:
                pass
    peak = None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak if sys.platform == "darwin" else peak * 1024
    with open(target, "w", encoding="utf-8") as file:
        json.dump({"modules": modules, "data": data, "versions": versions, "peak_bytes": peak}, file)


_neuronlab_probe_end(REPORT_ARGUMENTS)
del _neuronlab_probe_end
"""


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

    def __init__(self, path: Path, cell_index: int | None, summary: str, cell=None, *, where: str | None = None):
        self.path, self.cell_index = path, cell_index
        if where is None and cell is None:
            where = "before the first cell"
        elif where is None:
            first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
            where = f"cell {cell_index} (id {cell.get('id', '?')}, counting from 0): {first_line[:60]!r}"
        grade_id = (cell or {}).get("metadata", {}).get("nbgrader", {}).get("grade_id") if cell else None
        if grade_id:
            where += f" [nbgrader {grade_id}]"
        details = "\n".join("    " + line for line in summary.splitlines())
        super().__init__(f"{_rel(path)} failed in {where}\n{details}")


class ProbeFailed(RuntimeError):
    """The executor's own silent request to the kernel failed."""


async def _run_silently(client, code: str) -> None:
    """Run ``code`` in the kernel without output, execution count or history."""
    msg_id = client.kc.execute(code, silent=True, store_history=False, stop_on_error=False)
    reply = await client.async_wait_for_reply(msg_id)
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        raise ProbeFailed(f"the executor's probe failed in the kernel: "
                          f"{content.get('ename', 'no reply')}: {content.get('evalue', '')}")


def _last_code_cell(notebook: nbformat.NotebookNode, skip_tag: str) -> int | None:
    """Index of the last cell nbclient will run (it skips markdown, empty and ``skip_tag`` cells)."""
    indices = [i for i, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and cell.source.strip() and skip_tag not in cell.metadata.get("tags", [])]
    return indices[-1] if indices else None


def execute(path: Path, *, timeout: int = 1800, quick: bool = False) -> float:
    """Execute the notebook at ``path`` in place; return the seconds it took.

    The stamp records what the run depended on and the kernel's peak memory (see the module's
    docstring). Raises :class:`NotebookFailed` (file untouched) if a cell not tagged
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
    data_dir = config.data_dir()
    last = _last_code_cell(notebook, client.skip_cells_with_tag)
    with tempfile.TemporaryDirectory(prefix="neuronlab-execute-") as scratch:
        report_path = Path(scratch) / "depends.json"
        arguments = ", ".join(repr(a) for a in (str(report_path), str(data_dir) if data_dir else None,
                                                 dict(stamp.LIBRARIES)))
        end_code = PROBE_END.replace("REPORT_ARGUMENTS", arguments)

        async def start_probe(notebook):
            await _run_silently(client, PROBE_START)

        async def end_probe(cell, cell_index, execute_reply):
            if cell_index == last:
                await _run_silently(client, end_code)

        client.on_notebook_start, client.on_cell_executed = start_probe, end_probe
        hashed_before = stamp.package_hashes()  # the code as it is when the run starts
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
        if last is not None and not report_path.exists():
            raise NotebookFailed(path, None, "ProbeFailed: the kernel never reported what the run used",
                                 where="the executor's probe after the last cell")
        found = (json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists()
                 else {"modules": [], "data": [], "versions": {}, "peak_bytes": None})
    modules = [p for p in found["modules"] if p.endswith(".py")]
    package_root = _package_root(modules)
    if package_root.resolve() != stamp.REPOSITORY.resolve():
        raise NotebookFailed(path, None, f"the kernel imported {stamp.PACKAGE} from {package_root}, not from this "
                             f"repository ({stamp.REPOSITORY}), so the stamp would describe other code. Install "
                             f"the repository into the kernel's environment: pip install -e {stamp.REPOSITORY}",
                             where="the check of what the run used")
    depends = stamp.Dependencies.from_paths(modules, found["data"], found["versions"],
                                            package_root=package_root, data_dir=data_dir,
                                            hashed_before=hashed_before)
    peak = found["peak_bytes"] / 2**20 if found["peak_bytes"] is not None else None
    clean(notebook)
    stamp.stamp(notebook, seconds=seconds, mode="quick" if quick else "full", depends=depends,
                peak_memory_mib=peak)
    nbformat.validate(notebook)
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(path)
    return seconds


def _package_root(modules: list[str]) -> Path:
    """The folder holding the ``neuronlab`` package the kernel imported (the repository, normally)."""
    for module in modules:
        file = Path(module)
        if file.name == "__init__.py" and file.parent.name == stamp.PACKAGE:
            return file.parent.parent
    return stamp.REPOSITORY


def report(paths: list[Path], out=sys.stdout) -> bool:
    """Print per notebook its mode, run time, peak memory and whether it is fresh (if not, why).

    Returns True when all are fresh.
    """
    rows = [stamp.freshness(p) for p in paths]
    width = max([len(_rel(r.path)) for r in rows] + [8])
    print(f"{'notebook':<{width}}  {'mode':<5}  {'seconds':>7}  {'peak MiB':>8}  status", file=out)
    total = 0.0
    for r in rows:
        total += r.seconds or 0.0
        secs = f"{r.seconds:7.1f}" if r.seconds is not None else "      –"
        peak = f"{r.peak_memory_mib:8.0f}" if r.peak_memory_mib is not None else "       –"
        status = "fresh" if r.fresh else f"stale: {r.reason}"
        print(f"{_rel(r.path):<{width}}  {r.mode or '–':<5}  {secs}  {peak}  {status}", file=out)
    print(f"{'total':<{width}}  {'':<5}  {total:7.1f}", file=out)
    over = [r for r in rows if (r.peak_memory_mib or 0) > PEAK_MEMORY_BUDGET_MIB]
    for r in over:
        print(f"over the {PEAK_MEMORY_BUDGET_MIB} MiB memory budget: {_rel(r.path)} "
              f"({r.peak_memory_mib:.0f} MiB)", file=out)
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
    parser.add_argument("--report", action="store_true",
                        help="print for each notebook whether it is fresh (if not, why), its run time and "
                             "peak memory; run nothing")
    parser.add_argument("--stale", action="store_true",
                        help="run the notebooks (given, or else every chapter and solution) that are not fresh")
    parser.add_argument("--quick", action="store_true",
                        help="run in quick mode (a trial: the freshness test rejects the result)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    args = parser.parse_args(argv)
    if args.report and args.stale:
        parser.error("--report runs nothing and --stale runs: give one of them")
    if args.stale and args.quick:
        parser.error("--stale reruns on full data (a --quick run is never fresh): drop --quick")
    paths = (course_notebooks() if args.all or ((args.report or args.stale) and not args.paths)
             else args.paths)
    if not paths:
        parser.error("give notebook paths, or --all, --report or --stale")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"not a notebook file: {path}")
    if args.report:
        return 0 if report(paths) else 1
    if args.stale:
        stale = [(path, stamp.freshness(path)) for path in paths]
        stale = [(path, found) for path, found in stale if not found.fresh]
        if not stale:
            print(f"all {len(paths)} notebooks are fresh: nothing to run")
            return 0
        for path, found in stale:
            print(f"stale: {_rel(path)}: {found.reason}")
        paths = [path for path, _ in stale]

    failures, done = 0, []
    for number, path in enumerate(paths, 1):
        prefix = f"[{number}/{len(paths)}] {_rel(path)}"
        print(f"{prefix} …", end="", flush=True)
        try:
            seconds = execute(path, timeout=args.timeout, quick=args.quick)
        except NotebookFailed as error:  # report it and go on with the next notebook
            failures += 1
            print(f" ✘\n    {error}\n    (the stored notebook was left unchanged)", flush=True)
        else:
            peak = stamp.freshness(path).peak_memory_mib
            memory = f" · peak {peak:.0f} MiB" if peak is not None else ""
            print(f" {seconds:.1f} s{memory} ✔", flush=True)
            done.append(path)
    if done and not args.quick:  # the learner/ copies show the new outputs too
        from neuronlab.tools import learner_notebooks

        learner_notebooks.update(done)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
