"""The executor: runs in place, stamps, cleans, and leaves a failing notebook untouched."""

from __future__ import annotations

import io

import nbformat
import pytest

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
