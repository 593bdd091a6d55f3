"""The suite's pytest plugin: which tests share a worker, in what order groups start, how many workers."""

from __future__ import annotations

import types

import pytest

from neuronlab.tools import pytest_plugin


@pytest.mark.parametrize("path, group", [
    ("chapters/06_stable_training.ipynb", "chapters/06_stable_training.ipynb"),
    ("solutions/02_perceptrons/02_perceptrons.ipynb", "solutions/02_perceptrons/02_perceptrons.ipynb"),
    ("tests/site/test_browser.py", "tests/site/"),
    ("tests/site/test_build.py", "tests/site/"),
    ("tests/colab/test_colab_stack.py", "tests/colab/"),
    ("tests/unit/test_check.py", "tests/unit/test_check.py"),
])
def test_a_files_tests_share_a_group_and_the_site_and_colab_tests_one_each(path, group):
    assert pytest_plugin._group(path) == group


def test_the_slowest_groups_come_first_and_a_notebooks_cells_keep_their_order(tmp_path):
    paths = ["tests/unit/test_check.py", "chapters/01_logic_gate_neurons.ipynb", "tests/site/test_build.py",
             "chapters/06_stable_training.ipynb", "tests/colab/test_colab_stack.py"]
    items = [types.SimpleNamespace(path=tmp_path / path, name=f"{path}::{n}") for path in paths for n in range(3)]
    config = types.SimpleNamespace(rootpath=tmp_path)
    pytest_plugin.pytest_collection_modifyitems(None, config, items)
    order = [item.name for item in items]
    assert order[:9] == [f"{p}::{n}" for p in ("tests/colab/test_colab_stack.py", "tests/site/test_build.py",
                                             "chapters/06_stable_training.ipynb") for n in range(3)]
    assert order[9:] == [f"{p}::{n}" for p in ("tests/unit/test_check.py", "chapters/01_logic_gate_neurons.ipynb")
                         for n in range(3)]


def test_auto_workers_are_one_per_core_unless_memory_is_short(monkeypatch):
    psutil = pytest.importorskip("psutil")
    monkeypatch.setattr(pytest_plugin.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: types.SimpleNamespace(total=24e9))
    assert pytest_plugin.pytest_xdist_auto_num_workers(None) == 4
    monkeypatch.setattr(psutil, "virtual_memory", lambda: types.SimpleNamespace(total=5e9))
    assert pytest_plugin.pytest_xdist_auto_num_workers(None) == 2
    monkeypatch.setattr(psutil, "virtual_memory", lambda: types.SimpleNamespace(total=1e9))
    assert pytest_plugin.pytest_xdist_auto_num_workers(None) == 1


def test_sections_reported_on_a_worker_reach_the_controller(monkeypatch):
    monkeypatch.setattr(pytest_plugin, "SUMMARY", {})
    pytest_plugin.report("site tests", "one line")
    session = types.SimpleNamespace(config=types.SimpleNamespace(workeroutput={}))
    pytest_plugin.pytest_sessionfinish(session)
    sent = session.config.workeroutput["neuronlab_summary"]
    monkeypatch.setattr(pytest_plugin, "SUMMARY", {})
    pytest_plugin.pytest_testnodedown(types.SimpleNamespace(workeroutput={"neuronlab_summary": sent}), None)
    assert pytest_plugin.SUMMARY == {"site tests": ["one line"]}
