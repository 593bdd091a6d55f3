"""neuronlab.tools.setup_cell: one definition of every notebook's first cell, and the sync tool."""

from __future__ import annotations

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from neuronlab.tools import setup_cell as sc

URL = "https://github.com/example/course"


def _python(cell: str) -> str:
    """The cell as IPython runs it (``%pip`` becomes a call), compiled to prove it is valid."""
    code = TransformerManager().transform_cell(cell)
    compile(code, "<setup cell>", "exec")
    return code


def test_every_chapter_cell_is_valid_ipython_with_short_lines():
    for number in ("01", "05"):
        cell = sc.setup_cell_for(f"chapters/{number}_x.ipynb", url=URL)
        code = _python(cell)
        assert "run_line_magic('pip', 'install {missing}')" in code
        assert all(len(line) <= 88 for line in cell.splitlines()), cell


def test_the_cell_installs_from_the_repository_without_hiding_pips_summary():
    cell = sc.setup_cell(URL)
    assert f'REPO = "git+{URL}"' in cell
    # Colab offers its restart button only when pip prints "Successfully installed …"
    assert "--quiet" not in cell and " -q" not in cell
    assert "⚠ pip could not install" in cell


def test_chapter_packages_differ_only_in_their_needs():
    plain = sc.setup_cell_for("chapters/01_logic_gate_neurons.ipynb", url=URL)
    tuning = sc.setup_cell_for("solutions/05_hyperparameter_tuning/05_hyperparameter_tuning.ipynb", url=URL)
    assert '"keras_tuner": "keras-tuner"' in tuning and "keras" not in plain
    differing = [(a, b) for a, b in zip(plain.splitlines(), tuning.splitlines()) if a != b]
    assert len(differing) == 1 and differing[0][0].lstrip().startswith("NEEDS = ")
    assert sc.setup_cell_for("exercises/05_hyperparameter_tuning/05_hyperparameter_tuning.ipynb", url=URL) == tuning


def test_the_cell_runs_outside_colab_without_installing(monkeypatch):
    calls = []

    class Shell:
        def run_line_magic(self, *args):
            calls.append(args)

    namespace = {"get_ipython": Shell}
    code = _python(sc.setup_cell(URL)).replace("import neuronlab\nneuronlab.setup(", "print(")
    monkeypatch.delitem(__import__("sys").modules, "google.colab", raising=False)
    exec(code, namespace)
    assert calls == []


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="packages needs"):
        sc.setup_cell(URL, {"keras-tuner": "keras-tuner"})
    with pytest.raises(ValueError, match="starts with its chapter number"):
        sc.setup_cell_for("chapters/intro.ipynb", url=URL)


def _notebook(path, first_source):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"),
                      nbformat.v4.new_code_cell(first_source, outputs=[nbformat.v4.new_output("stream", text="x\n")]),
                      nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(notebook, path)


def test_sync_replaces_only_the_first_code_cells_source(tmp_path, capsys):
    path = tmp_path / "05_tuning.ipynb"
    _notebook(path, "old setup")
    assert sc.main(["--check", str(path)]) == 1
    assert sc.main(["--sync", str(path)]) == 0
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[1].source == sc.setup_cell_for(path)
    assert notebook.cells[1].outputs[0].text == "x\n"  # outputs stay until the notebook is rerun
    assert [c.source for c in notebook.cells[::2]] == ["# Title", "print(1)"]
    assert sc.main(["--check", str(path)]) == 0
    assert not sc.sync(path)  # already in sync: the file is left alone
    assert "setup cell replaced" in capsys.readouterr().out


def test_the_command_rejects_what_is_not_a_notebook(tmp_path):
    with pytest.raises(SystemExit):
        sc.main(["--sync", str(tmp_path / "nothing.ipynb")])
    with pytest.raises(SystemExit):
        sc.main(["--check"])
