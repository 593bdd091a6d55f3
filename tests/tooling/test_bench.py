"""The benchmark command: figures, table, JSON and budgets; never a timing assertion."""

from __future__ import annotations

import json

import pytest

from neuronlab.tools import bench
from neuronlab.tools.bench import BUDGETS, Budget, Figure, __main__ as cli


@pytest.fixture
def fake_group(monkeypatch):
    """A group of two figures: one within its budget, one with none (so never over)."""
    monkeypatch.setitem(bench.GROUPS, "fake", ("two made-up figures", lambda repeat: [
        Figure("fake · fast", [0.1] * repeat), Figure("fake · unbudgeted", [3.0, 1.0, 2.0][:repeat])]))
    monkeypatch.setitem(BUDGETS, "fake · fast", Budget(0.5, "s", "made up"))
    monkeypatch.setattr(bench, "GROUP_MODULES", ())
    return "fake"


def test_figure_reports_median_min_max_and_its_budget(fake_group):
    figure = Figure("fake · fast", [0.3, 0.1, 0.2], load=1.5)
    record = figure.as_dict()
    assert (record["median"], record["min"], record["max"]) == (0.2, 0.1, 0.3)
    limit, verdict = record["budget"], record["within_budget"]
    assert limit == 0.5 and verdict is True and record["load"] == 1.5
    unbudgeted = Figure("nobody", [9.0])
    assert unbudgeted.within_budget is None


def test_a_figure_needs_samples():
    with pytest.raises(ValueError, match="figure 'empty' has no samples"):
        Figure("empty", [])


def test_command_prints_a_table_writes_json_and_exits_0_within_budget(fake_group, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert cli.main(["fake", "--repeat", "3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fake · fast" in printed and "≤ 0.5 s" in printed and "ok" in printed
    assert "every figure within its " in printed
    result = json.loads(out.read_text())
    assert result["repeat"] == 3 and result["cores"] >= 1
    names = [figure["name"] for figure in result["figures"]]
    assert names == ["fake · fast", "fake · unbudgeted"]
    unbudgeted = result["figures"][1]
    assert unbudgeted["median"] == 2.0 and unbudgeted["budget"] is None


def test_command_exits_1_and_names_a_figure_over_budget(fake_group, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(BUDGETS, "fake · fast", Budget(0.05, "s", "made up"))
    assert cli.main(["fake", "--repeat", "1", "--json", str(tmp_path / "b.json")]) == 1
    printed = capsys.readouterr().out
    assert "over budget: fake · fast" in printed


@pytest.mark.parametrize(("argv", "message"), [
    (["nothing"], "unknown group(s) nothing; choose from fake"),
    (["--repeat", "0"], "--repeat must be at least 1, got 0"),
])
def test_command_rejects_bad_arguments_naming_them(fake_group, argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.main(argv)
    assert message in capsys.readouterr().err


def test_measure_times_each_repeat():
    calls = []
    figure = bench.measure("counted", lambda: calls.append(1), 4)
    assert len(calls) == 4 and len(figure.samples) == 4 and all(s >= 0 for s in figure.samples)


def test_widget_benchmark_covers_every_redraw_budget_and_runs(monkeypatch):
    """Run once with one repeat, so the benchmark cannot rot as widgets change (its times are not checked)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    groups = bench.load_groups()
    assert {"widgets", "site"} <= set(groups)
    figures = groups["widgets"][1](1)
    assert {f.name for f in figures} == {name for name in BUDGETS if name.startswith("redraw · ")}
    assert all(f.samples and all(s > 0 for s in f.samples) for f in figures)
