"""``python -m neuronlab.tools.bench``: see :mod:`neuronlab.tools.bench`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from neuronlab.tools.bench import Figure, load_groups, load_now

DEFAULT_JSON = Path("_build") / "bench.json"


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width table, one line each."""
    rows = [("figure", "median", "min", "max", "n", "load", "budget", "")]
    for figure in figures:
        budget = figure.budget
        verdict = {None: "", True: "ok", False: "OVER"}[figure.within_budget]
        unit = figure.unit
        rows.append((figure.name, f"{figure.median:.3g} {unit}", f"{min(figure.samples):.3g}",
                     f"{max(figure.samples):.3g}", str(len(figure.samples)), f"{figure.load:.1f}",
                     "" if budget is None else f"≤ {budget.limit:g} {budget.unit}", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


def main(argv: list[str] | None = None) -> int:
    groups = load_groups()
    parser = argparse.ArgumentParser(
        prog="python -m neuronlab.tools.bench",
        description="Measure the course's speed figures and compare each with its budget.",
        epilog="groups: " + "; ".join(f"{name} ({description})"
                                      for name, (description, _) in groups.items()))
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help="groups to run (default: all)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="measurements of each figure (default 5)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help=f"where to write the results (default {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.groups if name not in groups]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(groups)}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    figures: list[Figure] = []
    started = time.time()
    for name in args.groups or list(groups):
        description, run = groups[name]
        print(f"· {name}: {description} …", flush=True)
        figures.extend(run(args.repeat))
    print()
    print(table(figures))
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "python": platform.python_version(), "machine": platform.machine(),
        "cores": os.cpu_count(), "load_at_end": load_now(), "repeat": args.repeat,
        "figures": [figure.as_dict() for figure in figures],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    over = [figure.name for figure in figures if figure.within_budget is False]
    print(f"\nwritten to {args.json}" + (f"; over budget: {', '.join(over)}" if over else
                                         "; every figure within its budget"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
