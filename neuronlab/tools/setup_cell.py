"""The first code cell of every notebook, defined once.

The repository URL comes from ``_config.yml`` (``repository.url``), so the
Binder/Colab buttons and the Colab install line always point at the same place.
Chapters differ only in :data:`CHAPTER_PACKAGES` (what a chapter needs beyond
Colab's own packages); a test checks every notebook against :func:`setup_cell_for`.

On Colab the cell pip-installs only what the runtime lacks (the course's package,
and the chapter's extra packages), without ``--quiet``: Colab shows its "restart
session" button only when pip's "Successfully installed" line names a module the
session has already imported.  The package's dependency floors are low enough that
Colab's own versions satisfy them (``tests/colab`` checks what pip changes there).
When pip fails, the cell says so in one line before ``import neuronlab`` fails.

To give notebooks the current cell (it replaces the first code cell's source only;
rerun the notebook afterwards)::

    python -m neuronlab.tools.setup_cell --sync chapters/05_hyperparameter_tuning.ipynb
    python -m neuronlab.tools.setup_cell --check chapters/*.ipynb   # exit status 1 if stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHAPTER_PACKAGES: dict[str, dict[str, str]] = {
    "05": {"keras_tuner": "keras-tuner"},
}
"""Per chapter number (the notebook file name's first two characters): ``{module: pip
requirement}`` for what the chapter imports that Colab's runtime does not have.  The
chapter's solution and exercise notebooks share its number, so they get the same cell."""


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """``repository.url`` from the book's ``_config.yml``."""
    text = config_path.read_text(encoding="utf-8")
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, flags=re.MULTILINE)
    if not match:
        raise ValueError(f"{config_path} has no repository.url")
    return match.group(1).strip("'\"")


def setup_cell(url: str, packages: dict[str, str] | None = None) -> str:
    """The setup cell's source for a repository at ``url``.

    Parameters
    ----------
    url : str
        The repository, as pip's ``git+`` URL takes it.
    packages : dict, optional
        ``{module: pip requirement}`` the notebook needs beyond Colab's runtime
        (e.g. ``{"keras_tuner": "keras-tuner"}``); installed on Colab when missing.
    """
    packages = dict(packages or {})
    for module, requirement in packages.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", module) or not re.fullmatch(r"[A-Za-z0-9][\w.\-\[\],<>=!~ ]*", requirement):
            raise ValueError(f"packages needs {{module name: pip requirement}}, got {module!r}: {requirement!r}")
    needs = "".join(f', "{module}": "{requirement}"' for module, requirement in packages.items())
    return (
        "# Setup: the same first cell in every notebook (local, Binder, Colab)\n"
        "import sys\n"
        "from importlib import invalidate_caches, util\n"
        "\n"
        'if "google.colab" in sys.modules:  # Colab: pip-install only what it lacks\n'
        f'    REPO = "git+{url}"\n'
        f"    NEEDS = {{\"neuronlab\": f'\"neuronlab @ {{REPO}}\"'{needs}}}\n"
        '    missing = " ".join(pip for name, pip in NEEDS.items() if not util.find_spec(name))\n'
        "    if missing:\n"
        "        %pip install {missing}\n"
        "        invalidate_caches()\n"
        "        if not all(util.find_spec(name) for name in NEEDS):\n"
        '            print("⚠ pip could not install", missing, "(its message is above): "\n'
        '                  "check that this runtime is online, then run this cell again.")\n'
        "import neuronlab\n"
        "neuronlab.setup()  # seeds, quiet logs, offline data, figure style"
    )


def chapter_number(path: str | Path) -> str:
    """The chapter a notebook belongs to: its file name's leading two digits (``"05"``)."""
    name = Path(path).name
    if not re.match(r"\d\d_", name):
        raise ValueError(f"{path}: a course notebook's name starts with its chapter number, like 05_…")
    return name[:2]


def setup_cell_for(path: str | Path, url: str | None = None) -> str:
    """The setup cell a notebook at ``path`` must start with (its chapter's packages included)."""
    return setup_cell(url or repository_url(), CHAPTER_PACKAGES.get(chapter_number(path)))


SETUP_CELL = setup_cell(repository_url()) if (ROOT / "_config.yml").exists() else None
"""The cell of a chapter that needs nothing beyond Colab's packages and the course's own."""


def _first_code_cell(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            return cell
    return None


def sync(path: Path) -> bool:
    """Make the first code cell of the notebook at ``path`` its setup cell; True if it changed."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cell = _first_code_cell(notebook)
    if cell is None:
        raise ValueError(f"{path} has no code cell to make the setup cell")
    wanted = setup_cell_for(path)
    if cell.source == wanted:
        return False
    cell.source = wanted
    nbformat.write(notebook, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.tools.setup_cell", description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--sync", action="store_true", help="replace each notebook's first code cell with its setup cell")
    action.add_argument("--check", action="store_true", help="list notebooks whose first code cell is not their setup cell")
    action.add_argument("--print", metavar="NOTEBOOK", dest="show", help="print the setup cell of this notebook")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="notebooks (.ipynb)")
    args = parser.parse_args(argv)
    if args.show:
        print(setup_cell_for(args.show))
        return 0
    if not args.paths:
        parser.error("give the notebooks to --sync or --check")
    missing = [str(p) for p in args.paths if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        parser.error(f"not a notebook file: {', '.join(missing)}")
    stale = []
    for path in args.paths:
        if args.sync:
            if sync(path):
                print(f"{path}: setup cell replaced (rerun it: python -m neuronlab.tools.execute {path})")
        else:
            import nbformat

            cell = _first_code_cell(nbformat.read(path, as_version=4))
            if cell is None or cell.source != setup_cell_for(path):
                stale.append(path)
                print(f"{path}: first code cell is not its setup cell (fix: --sync {path})")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
