"""Benchmark group ``site``: building the website from clean, and rebuilding it unchanged.

The clean build is measured once (it takes minutes); the unchanged rebuild
``repeat`` times.  That a rebuild re-executes and re-reads nothing is tested in
``tests/site``; here only the seconds are measured.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from neuronlab.tools.bench import Figure, Stopwatch, group

ROOT = Path(__file__).resolve().parents[3]


def _build(output: Path) -> tuple[float, float]:
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT),
               "-W", "-n", "--keep-going", "--path-output", str(output)]
    with Stopwatch(cpu=False) as watch:
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"the site build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return watch.seconds, watch.load


@group("site", "the website built from clean once, then rebuilt unchanged")
def site(repeat: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="neuronlab-bench-site-") as folder:
        clean, load = _build(Path(folder))
        rebuilds = [_build(Path(folder)) for _ in range(repeat)]
    return [Figure("site · clean build", [clean], load=load, note="measured once"),
            Figure("site · unchanged rebuild", [seconds for seconds, _ in rebuilds],
                   load=max(load for _, load in rebuilds))]
