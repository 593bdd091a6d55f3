"""The executor: runs in place, stamps, cleans, and leaves a failing notebook untouched.

The stamp records what a run depended on (neuronlab modules, data files, library versions) and the
kernel's peak memory; the freshness test names what changed since.
"""

from __future__ import annotations

import io
import os
import textwrap

import nbformat
import pytest

from neuronlab import config
from neuronlab.tools import execute, stamp


def _notebook(path, *sources, tags=None):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        notebook.cells.append(cell)
    nbformat.write(notebook, path)
    return path


def test_execute_runs_in_place_and_stamps_full_mode(tmp_path):
    path = _notebook(tmp_path / "ok.ipynb", "import os\nprint(os.environ['NEURONLAB_QUICK'])", "21 * 2")
    seconds = execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[0].outputs[0].text.strip() == "0", "the executor must run on full data"
    assert notebook.cells[1].outputs[0].data["text/plain"] == "42"
    info = notebook.metadata[stamp.KEY]
    assert info["mode"] == "full" and info["run_seconds"] == round(seconds, 1)
    assert info["code_sha256"] == stamp.code_hash(notebook)
    assert info["format"] == stamp.FORMAT and info["modules"] == {} and info["data"] == {}
    assert stamp.freshness(path).fresh


def test_execute_strips_volatile_metadata_and_live_widget_views(tmp_path):
    path = _notebook(tmp_path / "widget.ipynb", "import ipywidgets\nipywidgets.IntSlider(3)")
    execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata
    assert "execution" not in notebook.cells[0].metadata
    assert execute.WIDGET_VIEW not in notebook.cells[0].outputs[0].data
    assert "text/plain" in notebook.cells[0].outputs[0].data


def test_failing_notebook_is_left_untouched_and_the_cell_is_named(tmp_path):
    path = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('broken on purpose')", "x")
    before = path.read_bytes()
    with pytest.raises(execute.NotebookFailed, match=r"cell 1 \(id [^,]+, counting from 0\): .raise ValueError.*\n\s+ValueError: broken on purpose"):
        execute.execute(path)
    assert path.read_bytes() == before


def test_cells_tagged_raises_exception_may_fail(tmp_path):
    path = _notebook(tmp_path / "tagged.ipynb", "raise KeyError('expected')", "1 + 1",
                     tags={0: ["raises-exception"]})
    execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[0].outputs[0].ename == "KeyError"


def test_main_reports_failure_with_exit_status_1_and_goes_on(tmp_path, capsys):
    bad = _notebook(tmp_path / "a_bad.ipynb", "1/0")
    good = _notebook(tmp_path / "b_good.ipynb", "1")
    assert execute.main([str(bad), str(good)]) == 1
    out = capsys.readouterr().out
    assert "[1/2]" in out and "ZeroDivisionError" in out and "left unchanged" in out
    assert "[2/2]" in out and "✔" in out
    assert stamp.freshness(good).fresh and not stamp.freshness(bad).fresh


def test_main_rejects_a_path_that_is_not_a_notebook(tmp_path):
    with pytest.raises(SystemExit):
        execute.main([str(tmp_path / "missing.ipynb")])


def test_freshness_catches_changed_code_and_quick_runs(tmp_path):
    path = _notebook(tmp_path / "stale.ipynb", "1")
    assert stamp.freshness(path).reason.startswith("never run")
    execute.execute(path, quick=True)
    assert "quick" in stamp.freshness(path).reason
    execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "2"
    nbformat.write(notebook, path)
    result = stamp.freshness(path)
    assert not result.fresh and "code changed" in result.reason


def test_report_prints_a_row_per_notebook_and_the_total(tmp_path):
    path = _notebook(tmp_path / "timed.ipynb", "1")
    execute.execute(path)
    out = io.StringIO()
    assert execute.report([path], out=out)
    text = out.getvalue()
    assert "timed.ipynb" in text and "full" in text and "fresh" in text and "total" in text


def test_stamp_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        stamp.stamp(nbformat.v4.new_notebook(), seconds=1.0, mode="fast")


def test_setup_cell_keeps_tensorflow_start_up_notices_out_of_a_kernel(tmp_path):
    """ipykernel forwards the process's own stderr into outputs: the setup cell must silence TF's notices."""
    from neuronlab.tools.setup_cell import SETUP_CELL

    path = _notebook(tmp_path / "tf.ipynb", SETUP_CELL, "import keras\nprint(keras.ops.sum(keras.ops.ones(3)))")
    execute.execute(path, quick=True)
    notebook = nbformat.read(path, as_version=4)
    streams = [o for cell in notebook.cells for o in cell.outputs if o.output_type == "stream"]
    assert [o.name for o in streams] == ["stdout", "stdout"], [o.get("text") for o in streams]
    assert "3.0" in streams[-1].text


def test_clean_merges_consecutive_writes_to_the_same_stream_only():
    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("print('H:', 1)")
    cell.outputs = [out("stream", name="stdout", text="H:"), out("stream", name="stdout", text=" 1\n"),
                    out("stream", name="stderr", text="note\n"), out("stream", name="stdout", text="after\n")]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    execute.clean(notebook)
    assert [(o.name, o.text) for o in notebook.cells[0].outputs] == [
        ("stdout", "H: 1\n"), ("stderr", "note\n"), ("stdout", "after\n")]


# --- what a run depended on --------------------------------------------------------------------

def _sha256sums(root):
    """The data folder's own SHA256SUMS list: relative path → hash."""
    lines = (root / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name.lstrip("*"): digest for digest, name in (line.split(None, 1) for line in lines if line.strip())}


def test_stamp_records_the_modules_data_and_libraries_the_kernel_used(tmp_path):
    data = config.data_dir()
    if data is None:
        pytest.skip("needs the course's offline data folder")
    path = _notebook(
        tmp_path / "deps.ipynb",
        "import numpy as np\nimport neuronlab.mlp\nfrom neuronlab import config",
        "with np.load(config.data_dir() / 'npz' / 'california_housing.npz') as f:\n    print(f['x'].shape)",
        "print(sorted(name for name in globals() if 'probe' in name))")
    execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    info = notebook.metadata[stamp.KEY]
    assert {"neuronlab/__init__.py", "neuronlab/config.py", "neuronlab/mlp.py"} <= set(info["modules"])
    assert not any(key.startswith("neuronlab/tools/") for key in info["modules"]), "the executor's own code"
    assert info["modules"]["neuronlab/mlp.py"] == stamp.module_hash(config.REPOSITORY / "neuronlab" / "mlp.py")
    assert info["data"] == {"npz/california_housing.npz": _sha256sums(data)["npz/california_housing.npz"]}
    assert info["versions"] == {"numpy": stamp.installed_version("numpy")}, "only the libraries it imported"
    # The probes are silent: no output, no execution count, nothing left in the learner's namespace.
    assert [cell.execution_count for cell in notebook.cells] == [1, 2, 3]
    assert [len(cell.outputs) for cell in notebook.cells] == [0, 1, 1]
    assert notebook.cells[2].outputs[0].text == "[]\n"
    assert stamp.freshness(path).fresh


def test_peak_memory_is_the_kernels_own_not_the_launching_process(tmp_path):
    """VmHWM of the kernel: 200 MiB the kernel touches count, 400 MiB held by this process do not
    (resource.getrusage's ru_maxrss would report the launcher's peak after exec)."""
    held = bytearray(400 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])  # touch every page, so it is resident
    path = _notebook(tmp_path / "memory.ipynb", "import numpy as np\nx = np.ones(200 * 2**20 // 8)")
    execute.execute(path)
    peak = stamp.freshness(path).peak_memory_mib
    del held
    assert 200 <= peak < 400, peak


def test_normalised_source_drops_comments_docstrings_and_blank_lines_only():
    source = textwrap.dedent('''\
        """The module's docstring."""
        import os  # why os


        def f(x):
            """Add one: a docstring with “non-ASCII” text
            over two lines."""
            # a comment line
            return x + 1  # trailing comment


        class A:
            "a class docstring"
            hash_sign = "# stays: a string, not a comment"
            def g(self): return f"{self!r} # stays too"
        ''')
    assert stamp.normalised_source(source) == textwrap.dedent('''\
        import os
        def f(x):
            return x + 1
        class A:
            hash_sign = "# stays: a string, not a comment"
            def g(self): return f"{self!r} # stays too"
        ''')


def _bump(path, text):
    """Rewrite ``path`` and move its modification time on (hashes are cached by size and mtime)."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.fixture
def helper_package(tmp_path, monkeypatch):
    """A stand-in repository holding neuronlab/helper.py, and a notebook stamped as having used it."""
    root = tmp_path / "repo"
    module = root / "neuronlab" / "helper.py"
    module.parent.mkdir(parents=True)
    module.write_text('''"""Helpers."""\n\n\ndef scale(x):\n    """Scale x."""\n    return 2 * x  # doubled\n''',
                      encoding="utf-8")
    monkeypatch.setattr(stamp, "REPOSITORY", root)
    notebook_path = _notebook(tmp_path / "uses_helper.ipynb", "1")
    notebook = nbformat.read(notebook_path, as_version=4)
    stamp.stamp(notebook, seconds=1.0, mode="full",
                depends=stamp.Dependencies.from_paths([module], [], {}, package_root=root))
    nbformat.write(notebook, notebook_path)
    return module, notebook_path


def test_docstring_and_comment_edits_in_a_helper_keep_a_notebook_fresh(helper_package):
    module, notebook_path = helper_package
    _bump(module, '''"""Helpers, reworded."""\n\n\ndef scale(x):\n    """Scale x by two."""\n'''
                  '''    # a new comment\n    return 2 * x  # times two\n''')
    assert stamp.freshness(notebook_path).fresh


def test_a_logic_change_in_a_helper_makes_a_notebook_stale_and_names_the_module(helper_package):
    module, notebook_path = helper_package
    _bump(module, module.read_text(encoding="utf-8").replace("2 * x", "3 * x"))
    result = stamp.freshness(notebook_path)
    assert not result.fresh and result.reasons == ("neuronlab/helper.py changed",)
    module.unlink()
    assert stamp.freshness(notebook_path).reason == "neuronlab/helper.py no longer exists"


def test_a_changed_or_missing_data_file_makes_a_notebook_stale(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "npz").mkdir(parents=True)
    (data / "npz" / "set.npz").write_bytes(b"first")
    monkeypatch.setenv(config.DATA_ENV, str(data))
    path = _notebook(tmp_path / "reads.ipynb", "1")
    notebook = nbformat.read(path, as_version=4)
    stamp.stamp(notebook, seconds=1.0, mode="full",
                depends=stamp.Dependencies.from_paths([], [data / "npz" / "set.npz"], {}))
    nbformat.write(notebook, path)
    assert notebook.metadata[stamp.KEY]["data"] == {"npz/set.npz": stamp.file_hash(data / "npz" / "set.npz")}
    assert stamp.freshness(path).fresh
    _bump(data / "npz" / "set.npz", "other")
    assert stamp.freshness(path).reasons == ("data file npz/set.npz changed",)
    (data / "npz" / "set.npz").unlink()
    assert stamp.freshness(path).reasons == (f"data file npz/set.npz is missing from {data}",)


def test_a_library_version_change_makes_a_notebook_stale(tmp_path):
    path = _notebook(tmp_path / "versions.ipynb", "1")
    notebook = nbformat.read(path, as_version=4)
    stamp.stamp(notebook, seconds=1.0, mode="full",
                depends=stamp.Dependencies(versions={"numpy": "0.0.1", "keras": stamp.installed_version("keras")}))
    nbformat.write(notebook, path)
    assert stamp.freshness(path).reasons == (f"numpy 0.0.1 → {stamp.installed_version('numpy')}",)


def test_an_old_format_stamp_is_stale_and_says_so(tmp_path):
    path = _notebook(tmp_path / "old.ipynb", "1")
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata[stamp.KEY] = {"code_sha256": stamp.code_hash(notebook), "mode": "full", "run_seconds": 1.0}
    nbformat.write(notebook, path)
    result = stamp.freshness(path)
    assert not result.fresh and "old stamp" in result.reason


def test_installed_version_rejects_a_library_it_does_not_track():
    with pytest.raises(ValueError, match="library must be one of"):
        stamp.installed_version("pandas")


def test_stale_reruns_exactly_the_stale_notebooks(tmp_path, capsys):
    fresh = _notebook(tmp_path / "a_fresh.ipynb", "1")
    changed = _notebook(tmp_path / "b_changed.ipynb", "2")
    execute.execute(fresh)
    execute.execute(changed)
    notebook = nbformat.read(changed, as_version=4)
    notebook.cells[0].source = "3"
    nbformat.write(notebook, changed)
    before = fresh.read_bytes()

    assert execute.main(["--stale", str(fresh), str(changed)]) == 0
    out = capsys.readouterr().out
    assert f"stale: {changed}: code changed since it was run" in out and f"[1/1] {changed}" in out
    assert "a_fresh" not in out and fresh.read_bytes() == before
    assert stamp.freshness(changed).fresh

    assert execute.main(["--stale", str(fresh), str(changed)]) == 0
    assert "all 2 notebooks are fresh" in capsys.readouterr().out


def test_report_names_why_a_notebook_is_stale_and_shows_peak_memory(tmp_path):
    path = _notebook(tmp_path / "edited.ipynb", "1")
    execute.execute(path)
    peak = stamp.freshness(path).peak_memory_mib
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "2"
    nbformat.write(notebook, path)
    out = io.StringIO()
    assert not execute.report([path], out=out)
    row = next(line for line in out.getvalue().splitlines() if line.startswith(str(path)))
    assert row.endswith("stale: code changed since it was run") and f"{peak:.0f}" in row.split()


@pytest.mark.parametrize("arguments", [["--report", "--stale"], ["--stale", "--quick"]])
def test_main_rejects_options_that_contradict(arguments, capsys):
    with pytest.raises(SystemExit):
        execute.main(arguments)
    assert "--stale" in capsys.readouterr().err


def test_a_helper_logic_change_reruns_only_the_notebooks_whose_kernel_imported_it(tmp_path, monkeypatch, capsys):
    """The issue's round trip in miniature, end to end: a stand-in neuronlab package the kernels import."""
    root = tmp_path / "repo"
    (root / "neuronlab").mkdir(parents=True)
    (root / "neuronlab" / "__init__.py").write_text('"""Stand-in."""\n', encoding="utf-8")
    helper = root / "neuronlab" / "helper.py"
    helper.write_text('def scale(x):\n    """Scale."""\n    return 2 * x\n', encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(root))  # the kernels import the stand-in, not the course's package
    monkeypatch.setattr(stamp, "REPOSITORY", root)
    uses = _notebook(tmp_path / "a_uses_helper.ipynb", "from neuronlab.helper import scale\nprint(scale(21))")
    other = _notebook(tmp_path / "b_other.ipynb", "import neuronlab\nprint(neuronlab.__file__)")
    assert execute.main([str(uses), str(other)]) == 0
    assert str(root) in nbformat.read(other, as_version=4).cells[0].outputs[0].text
    assert set(nbformat.read(uses, as_version=4).metadata[stamp.KEY]["modules"]) == {
        "neuronlab/__init__.py", "neuronlab/helper.py"}
    capsys.readouterr()

    _bump(helper, 'def scale(x):\n    """Scale by two."""\n    # why: a comment\n    return 2 * x\n')
    assert execute.main(["--stale", str(uses), str(other)]) == 0
    assert "nothing to run" in capsys.readouterr().out, "a docstring and a comment change nothing that runs"

    _bump(helper, 'def scale(x):\n    """Scale by three."""\n    return 3 * x\n')
    assert stamp.freshness(uses).reason == "neuronlab/helper.py changed" and stamp.freshness(other).fresh
    before = other.read_bytes()
    assert execute.main(["--stale", str(uses), str(other)]) == 0
    out = capsys.readouterr().out
    assert f"stale: {uses}: neuronlab/helper.py changed" in out and "[1/1]" in out and str(other) not in out
    assert nbformat.read(uses, as_version=4).cells[0].outputs[0].text == "63\n"
    assert other.read_bytes() == before and stamp.freshness(uses).fresh


def test_a_kernel_that_imports_neuronlab_from_elsewhere_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "elsewhere"
    (root / "neuronlab").mkdir(parents=True)
    (root / "neuronlab" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(root))
    path = _notebook(tmp_path / "elsewhere.ipynb", "import neuronlab")
    before = path.read_bytes()
    with pytest.raises(execute.NotebookFailed, match="imported neuronlab from .*elsewhere, not from this repository"):
        execute.execute(path)
    assert path.read_bytes() == before


def test_the_last_cell_tagged_skip_execution_does_not_hide_what_the_run_used(tmp_path):
    path = _notebook(tmp_path / "skip.ipynb", "import neuronlab.config", "import neuronlab.mlp",
                     tags={1: ["skip-execution"]})
    execute.execute(path)
    modules = nbformat.read(path, as_version=4).metadata[stamp.KEY]["modules"]
    assert "neuronlab/config.py" in modules and "neuronlab/mlp.py" not in modules


def test_data_files_need_a_data_folder_to_be_keyed_by(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "data_dir", lambda: None)
    (tmp_path / "set.npz").write_bytes(b"x")
    with pytest.raises(ValueError, match="no data folder"):
        stamp.Dependencies.from_paths([], [tmp_path / "set.npz"], {})


def test_a_helper_edited_during_the_run_leaves_the_notebook_stale(tmp_path, monkeypatch):
    """Authors edit helpers while a long chapter runs: the stamp keeps the hash from the run's start."""
    root = tmp_path / "repo"
    (root / "neuronlab").mkdir(parents=True)
    (root / "neuronlab" / "__init__.py").write_text("", encoding="utf-8")
    helper = root / "neuronlab" / "helper.py"
    helper.write_text("def scale(x):\n    return 2 * x\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(root))
    monkeypatch.setattr(stamp, "REPOSITORY", root)
    path = _notebook(tmp_path / "long.ipynb", "from neuronlab.helper import scale\nprint(scale(21))",
                     f"open({str(helper)!r}, 'w').write('def scale(x):\\n    return 30 * x\\n')")
    execute.execute(path)
    assert nbformat.read(path, as_version=4).cells[0].outputs[0].text == "42\n"
    assert stamp.freshness(path).reasons == ("neuronlab/helper.py changed",)
