"""Binder: binder/ (which repo2docker reads instead of the top level) installs what requirements.txt
does, except what would replace the Jupyter server Binder's image brings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"

LEFT_OUT = {"jupyterlab": "repo2docker's image has JupyterLab 4.4 with Notebook 7.4 (jupyterlab<4.5)"}
"""Requirements of requirements.txt that binder/requirements.txt leaves out, and why."""
BINDERS_OWN = {"jupyterlab", "notebook", "jupyter-server", "jupyterhub", "jupyterhub-singleuser", "nbclassic"}
"""Packages of Binder's Jupyter server: binder/requirements.txt must not ask for any of them."""


def _lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, comments and spacing removed."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            lines.append(re.sub(r"\s+", " ", line))
    return lines


def _name(line: str) -> str | None:
    if line.startswith("-"):
        return None  # an option such as "-e ."
    return canonicalize_name(Requirement(line).name)


def test_binder_requirements_are_the_top_levels_without_the_jupyter_server():
    top, binder = _lines(ROOT / "requirements.txt"), _lines(BINDER / "requirements.txt")
    left_out = [line for line in top if _name(line) in LEFT_OUT]
    assert {_name(line) for line in left_out} == set(LEFT_OUT), "requirements.txt no longer pins what Binder leaves out"
    assert binder == [line for line in top if line not in left_out], (
        "binder/requirements.txt must be ../requirements.txt without "
        f"{sorted(LEFT_OUT)} (same lines, same order): copy the change over")
    assert not {_name(line) for line in binder} & BINDERS_OWN
    assert "-e ." in binder  # pip runs from the repository's root in repo2docker


def test_binder_uses_the_same_python_as_the_top_level_and_the_package_allows_it():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(3\.\d+)", runtime)
    assert match, f"binder/runtime.txt must read python-3.X, got {runtime!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert f"{match.group(1)}.0" in SpecifierSet(requires), f"{runtime} is outside requires-python {requires}"
