"""Stored notebooks: fresh, clean, starting with the setup cell, and wired into the site."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from neuronlab.tools import execute, exercises, stamp
from neuronlab.tools.setup_cell import SETUP_CELL, repository_url, setup_cell_for

ROOT = Path(__file__).resolve().parents[2]
STORED = execute.course_notebooks()  # chapters and solutions: notebooks whose outputs are stored
GENERATED = sorted((ROOT / "exercises").glob("*/*.ipynb"))
ALL = STORED + GENERATED
NOISE = re.compile(r"Traceback|Warning|WARNING|oneDNN|absl::|cpu_feature_guard|I0000 ")


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_course_has_notebooks_in_every_folder():
    assert any(p.parent.name == "chapters" for p in STORED)
    assert any("solutions" in p.parts for p in STORED)
    assert GENERATED


@pytest.mark.parametrize("path", STORED, ids=_id)
def test_stored_outputs_are_fresh_and_from_a_full_run(path):
    """Fresh: same code cells, same neuronlab module code, same data files, same library versions."""
    result = stamp.freshness(path)
    assert result.fresh, (f"{_id(path)} is stale: {result.reason}. Rerun it: python -m neuronlab.tools.execute "
                          f"{_id(path)} (or --stale, which reruns every stale notebook)")


@pytest.mark.parametrize("path", STORED, ids=_id)
def test_peak_memory_stays_within_budget(path):
    """Issue 19: each notebook's kernel peaks at no more than 1.5 GiB of resident memory (Binder gives ~2 GB)."""
    result = stamp.freshness(path)
    if result.peak_memory_mib is None:
        pytest.skip(f"{_id(path)}: its stamp records no peak memory ({result.reason})")
    known = execute.OVER_BUDGET_MIB.get(_id(path))
    if known is not None:
        ceiling, why = known
        assert result.peak_memory_mib > execute.PEAK_MEMORY_BUDGET_MIB, (
            f"{_id(path)} now fits the {execute.PEAK_MEMORY_BUDGET_MIB} MiB budget "
            f"({result.peak_memory_mib:.0f} MiB): remove it from execute.OVER_BUDGET_MIB")
        assert result.peak_memory_mib <= ceiling, (
            f"{_id(path)}: the kernel peaked at {result.peak_memory_mib:.0f} MiB, over its ceiling of "
            f"{ceiling} MiB ({why})")
        return
    assert result.peak_memory_mib <= execute.PEAK_MEMORY_BUDGET_MIB, (
        f"{_id(path)}: the kernel peaked at {result.peak_memory_mib:.0f} MiB, over the "
        f"{execute.PEAK_MEMORY_BUDGET_MIB} MiB budget")


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_first_code_cell_is_the_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{_id(path)} has no code cell"
    assert code[0].source == setup_cell_for(path), (
        f"{_id(path)}: the first code cell must be its setup cell (neuronlab.tools.setup_cell.setup_cell_for); "
        f"fix: python -m neuronlab.tools.setup_cell --sync {_id(path)}")


def test_setup_cell_installs_from_the_repository_in_config():
    assert f"git+{repository_url()}" in SETUP_CELL


@pytest.mark.parametrize("path", STORED, ids=_id)
def test_stored_outputs_hold_no_errors_warnings_or_log_noise(path):
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata, "stored widget state is dead weight without a kernel"
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        for output in cell.get("outputs", []):
            where = f"{_id(path)} cell {index}"
            if output.output_type == "error":
                assert "raises-exception" in tags, f"{where}: an error in a cell not tagged raises-exception"
            if output.output_type == "stream":
                assert output.name == "stdout", f"{where}: output on {output.name}"
                assert not NOISE.search(output.text), f"{where}: log noise in the output: {output.text[:200]!r}"
            for mime, data in output.get("data", {}).items():
                assert mime != execute.WIDGET_VIEW, f"{where}: a live widget view was stored"
                if mime.startswith("text/"):
                    text = data if isinstance(data, str) else "".join(data)
                    assert not NOISE.search(text), f"{where}: log noise in {mime}: {text[:200]!r}"


@pytest.mark.parametrize("path", GENERATED, ids=_id)
def test_exercise_notebooks_have_no_outputs_and_no_solutions(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        assert not cell.get("outputs"), f"{_id(path)}: generated exercises must carry no outputs"
        assert exercises.BEGIN not in cell.source, f"{_id(path)}: a solution survived generation"


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for path in ALL:
        entry = str(path.relative_to(ROOT).with_suffix(""))
        assert f"file: {entry}" in toc, f"{entry} is not in _toc.yml, so the site would not show it"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv .*pytest.*$", readme, flags=re.MULTILINE)
    assert len(commands) == 1, "README.md must give exactly one test command (a line running pytest)"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test_command=$(.ci/readme-test-command)" in ci and 'bash -c "$test_command"' in ci, (
        ".ci/run must run the command .ci/readme-test-command reads from README.md")
    read = subprocess.run(["bash", str(ROOT / ".ci" / "readme-test-command")], capture_output=True, text=True)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == commands[0], ".ci/run would not run the README's test command verbatim"


def test_instructors_page_counts_match_the_solution_notebooks():
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    for source in exercises.solution_notebooks():
        cells = [cell.metadata.get("nbgrader", {}) for cell in nbformat.read(source, as_version=4).cells]
        tests = sum(1 for g in cells if g.get("grade") and not g.get("solution"))
        written = sum(1 for g in cells if g.get("grade") and g.get("solution"))
        points = sum(g.get("points", 0) for g in cells if g.get("grade"))
        row = next((line for line in page.splitlines() if source.parent.name in line), "")
        assert f"{tests} autograded tests, {written} written answer" in row and f"| {points} |" in row, (
            f"book/instructors.md's row for {source.parent.name} should say {tests} autograded tests, "
            f"{written} written answer(s), {points} points")


@pytest.mark.parametrize("path", exercises.solution_notebooks(), ids=_id)
def test_every_check_in_the_solutions_passes(path):
    notebook = nbformat.read(path, as_version=4)
    checks = [(i, c) for i, c in enumerate(notebook.cells)
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert checks, f"{_id(path)} has no test cells"
    for index, cell in checks:
        assert "raises-exception" not in cell.metadata.get("tags", []), (
            f"{_id(path)} cell {index}: solutions run strictly; the exercise version gets the tag when generated")
        texts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
        assert not [o for o in cell.outputs if o.output_type == "error"], f"{_id(path)} cell {index} fails"
        assert any(t.startswith("✔") for t in texts), f"{_id(path)} cell {index} printed no ✔ line: {texts}"


def test_readme_badges_point_at_the_repository_in_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    slug = repository_url().removeprefix("https://github.com/")
    badges = re.findall(r"\)\]\((https://(?:mybinder\.org|colab\.research\.google\.com)[^)]*)\)", readme)
    assert len(badges) == 2, "README.md should show a Binder and a Colab badge"
    for url in badges:
        assert f"/{slug}/" in url, f"badge {url} does not point at {repository_url()} (_config.yml)"
