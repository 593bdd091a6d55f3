"""The course on Colab's stack: the setup cell's install changes only what it may, then every
chapter, solution and exercise notebook runs in quick mode.

The environment is Colab's published package list at Colab's versions under Python 3.13,
with a stand-in for Colab's ``google-colab`` package (see ``colab_stack.py``; built once
into ``~/.cache/neuronlab-colab-venv``).  Its kernel imports ``google.colab``, NumPy,
pandas and matplotlib before a notebook starts, as Colab's does, so each notebook takes
the setup cell's Colab branch.  The setup cell installs "neuronlab @ git+<repository>";
git is pointed (``url.<base>.insteadOf``) at a commit of this working tree's package, so
pip really runs the cell's command on the code under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from neuronlab import config
from neuronlab.tools import execute
from neuronlab.tools.setup_cell import repository_url, setup_cell_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = execute.course_notebooks() + sorted((ROOT / "exercises").glob("*/*.ipynb"))
PYTHON313 = colab_stack.find_python313()

if PYTHON313 is None and os.environ.get("CI", "").lower() not in ("", "0", "false"):
    raise RuntimeError("the Colab-stack test needs Python 3.13 (pyenv's versions/3.13*, or python3.13 on PATH); "
                       "CI machines have it: install it rather than skip the test")
pytestmark = pytest.mark.skipif(PYTHON313 is None, reason="needs Python 3.13 (pyenv's versions/3.13*), as Colab runs")

ALLOWED_UPGRADES = {"ipywidgets", "widgetsnbextension", "jupyterlab-widgets"}
"""Colab ships ipywidgets 7.7.1; the course's widgets need 8 (Colab's custom widget manager)."""
ALLOWED_NEW = {"neuronlab": "any chapter", "comm": "any chapter (ipywidgets 8 needs it)",
               "keras-tuner": "chapter 05", "kt-legacy": "chapter 05 (keras-tuner needs it)"}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _package_snapshot(destination: Path) -> Path:
    """A git repository holding this working tree's package, as pip would clone the real one."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(ROOT / "neuronlab", destination / "neuronlab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the package under test"]):
        subprocess.run([*git, *args], cwd=destination, check=True, capture_output=True)
    return destination


def _kernel(env_dir: Path, where: Path, package_repo: Path) -> str:
    """Write a kernelspec that starts Colab-like kernels of ``env_dir``; return its folder."""
    spec_root = where / "kernels"
    spec = spec_root / "colab-sim"
    spec.mkdir(parents=True)
    environment = {
        config.QUICK_ENV: "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        # pip clones "git+<repository>"; git fetches the working tree's snapshot instead
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{package_repo.as_uri()}.insteadOf",
        "GIT_CONFIG_VALUE_0": repository_url(),
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    data = config.data_dir()
    if data is not None:
        environment[config.DATA_ENV] = str(data)
    startup = "import " + ", ".join(colab_stack.STARTUP_IMPORTS)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(env_dir / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 f"--IPKernelApp.exec_lines={startup}"],
        "display_name": "Colab-like", "language": "python", "env": environment}), encoding="utf-8")
    return str(spec_root)


def _run(notebook, spec_root: str, cwd: Path, timeout: int = 900):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    km = KernelManager(kernel_name="colab-sim", kernel_spec_manager=KernelSpecManager(kernel_dirs=[spec_root]))
    client = NotebookClient(notebook, km=km, timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)
    finally:  # nbclient shuts down only kernels it made itself: this one would live on
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return notebook


def _text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type == "error":
                parts.append(f"{output.ename}: {output.evalue}")
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"])
    return "\n".join(parts)


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """The cached Colab-like environment, a copy of it, and the working tree's package as a repository."""
    base = colab_stack.base_environment(python=PYTHON313)
    where = tmp_path_factory.mktemp("colab")
    env_dir = colab_stack.working_copy(base, where / "venv")
    package_repo = _package_snapshot(where / "package")
    return {"base": base, "env": env_dir, "where": where, "spec": _kernel(env_dir, where, package_repo)}


@pytest.fixture(scope="module")
def installed(colab):
    """Run chapter 01's and then chapter 05's setup cell in fresh Colab-like kernels; what changed."""
    before = colab_stack.installed_versions(colab["env"])
    probe = ("import sys, json, importlib.metadata as md\n"
             "imported = sorted({name.partition('.')[0] for name in sys.modules})\n"
             "print('IMPORTED ' + json.dumps(imported))")
    steps = {}
    for number in ("01", "05"):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(probe),
                          nbformat.v4.new_code_cell(setup_cell_for(f"{number}_x.ipynb"))]
        _run(notebook, colab["spec"], colab["where"])
        text = _text(notebook)
        imported = json.loads(re.search(r"^IMPORTED (.*)$", text, re.MULTILINE).group(1))
        steps[number] = {"text": text, "imported": imported, "versions": colab_stack.installed_versions(colab["env"])}
    return before, steps


def _modules_of(env_dir: Path, names) -> dict[str, list[str]]:
    code = ("import importlib.metadata as m, json, re\n"
            "found = {}\n"
            "for module, dists in m.packages_distributions().items():\n"
            "    for d in dists:\n"
            "        found.setdefault(re.sub(r'[-_.]+', '-', d).lower(), []).append(module)\n"
            "print(json.dumps(found))")
    found = json.loads(subprocess.run([str(env_dir / "bin" / "python"), "-I", "-c", code], capture_output=True,
                                      text=True, check=True).stdout)
    return {name: sorted(found.get(name, [])) for name in names}


def test_the_environment_has_colabs_versions(colab):
    pins = colab_stack.colab_pins()
    versions = colab_stack.installed_versions(colab["base"])
    for name in ("numpy", "tensorflow", "keras", "matplotlib", "pandas", "scikit-learn", "ipython",
                 "ipywidgets", "ipykernel", "pip"):
        assert versions[name] == pins[name], f"{name} {versions[name]} is not Colab's {pins[name]}"
    assert versions["google-colab"] == "1.0.0" and "keras-tuner" not in versions and "neuronlab" not in versions


def test_the_setup_cell_changes_only_what_the_course_needs(colab, installed):
    before, steps = installed
    after_01, after_05 = steps["01"]["versions"], steps["05"]["versions"]
    changes = {}
    for label, old, new in (("01", before, after_01), ("05", after_01, after_05)):
        removed = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        changed = sorted(n for n in set(old) & set(new) if old[n] != new[n])
        changes[label] = (added, changed)
        assert not removed, f"chapter {label}'s setup cell removed {removed}"
        assert set(changed) <= ALLOWED_UPGRADES, (
            f"chapter {label}'s setup cell changed {[(n, old[n], new[n]) for n in changed]}: "
            f"only {sorted(ALLOWED_UPGRADES)} may change on Colab")
        assert set(added) <= set(ALLOWED_NEW), f"chapter {label}'s setup cell added {added}"
    assert "neuronlab" in changes["01"][0] and "keras-tuner" not in changes["01"][0]
    assert changes["05"] == (["keras-tuner", "kt-legacy"], []), changes["05"]
    # Nothing pip replaced was imported in the kernel already (Colab would need a restart).
    replaced = {name for added, changed in changes.values() for name in changed}
    for label in ("01", "05"):
        imported = set(steps[label]["imported"])
        stale = {name: modules for name, modules in _modules_of(colab["env"], replaced).items()
                 if set(modules) & imported}
        assert not stale, f"the setup cell replaced packages the kernel had imported: {stale}"
    # pip's summary line is shown (Colab's restart prompt reads it), and pip saw no conflict
    text = steps["01"]["text"]
    assert re.search(r"^Successfully installed .*neuronlab-", text, re.MULTILINE), text[-3000:]
    assert "dependency resolver does not currently take into account" not in text, text[-3000:]
    assert "neuronlab" in text and "ready" in text  # neuronlab.setup() ran
    # a second run of the cell (after a restart) installs nothing
    assert "Successfully installed" in steps["05"]["text"] and "neuronlab-" not in steps["05"]["text"].split(
        "Successfully installed", 1)[1].splitlines()[0]


def test_a_failed_install_is_said_in_one_line(colab, tmp_path):
    env_dir = colab_stack.working_copy(colab["base"], tmp_path / "venv")
    spec = _kernel(env_dir, tmp_path, tmp_path / "no-such-repository")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(setup_cell_for("01_x.ipynb"))]
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="No module named 'neuronlab'"):
        _run(notebook, spec, tmp_path)
    lines = [line for line in _text(notebook).splitlines() if line.startswith("⚠")]
    assert len(lines) == 1 and "pip could not install" in lines[0] and "run this cell again" in lines[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_runs_on_colabs_stack(colab, installed, path):
    notebook = nbformat.read(path, as_version=4)
    _run(notebook, colab["spec"], path.parent)  # nbclient raises on an error outside raises-exception cells
    first = next(c for c in notebook.cells if c.cell_type == "code")
    text = "".join(o.get("text", "") for o in first.outputs)
    assert "Successfully installed" not in text, f"{_id(path)}: the setup cell reinstalled what was there"
    assert re.search(r"neuronlab \S+ ready", text), text
