"""The static site builds with no warning and shows what a reader needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
COMMAND = [str(JUPYTER_BOOK), "build", str(ROOT), "-W", "-n", "--keep-going"]


def _build(output: Path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    result = subprocess.run([*COMMAND, "--path-output", str(output)], capture_output=True, text=True, timeout=900)
    return result, time.perf_counter() - start


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    output = tmp_path_factory.mktemp("site")
    result, seconds = _build(output)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the site build failed:\n{log[-4000:]}"
    return output, log, seconds


def _page(site, relative: str) -> str:
    path = site[0] / "_build" / "html" / relative
    assert path.exists(), f"{relative} was not built"
    return path.read_text(encoding="utf-8")


def test_site_builds_without_any_warning(site):
    _, log, _ = site
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR|CRITICAL", line)]
    assert not warnings, "\n".join(warnings[:20])


@pytest.mark.parametrize("page", [
    "book/intro.html", "book/setup.html", "book/instructors.html", "book/glossary.html", "book/bibliography.html",
    "chapters/01_logic_gate_neurons.html",
    "exercises/01_logic_gate_neurons/01_logic_gate_neurons.html",
    "solutions/01_logic_gate_neurons/01_logic_gate_neurons.html",
])
def test_every_page_a_reader_needs_is_built(site, page):
    assert "<h1" in _page(site, page)


def test_site_opens_on_the_landing_page(site):
    assert "book/intro.html" in _page(site, "index.html")


def test_chapter_pages_offer_binder_and_colab(site):
    html = _page(site, "chapters/01_logic_gate_neurons.html")
    assert "mybinder.org/v2/gh/" in html and "colab.research.google.com/github/" in html


def test_chapter_page_shows_glued_numbers_figures_and_the_widget_fallback(site):
    html = _page(site, "chapters/01_logic_gate_neurons.html")
    assert "{glue" not in html and ":::" not in html, "MyST syntax leaked into the page"
    assert re.search(r'class="pasted-text">80<', html), "the glued count of agreements is missing"
    section = html.split('id="try-it-the-gate-builder"', 1)[1].split("<section", 1)[0]
    assert re.search(r"<img[^>]+\.png", section), "the gate builder's static figure is missing from the page"
    assert "exercise" in html and 'class="admonition' in html


def test_glossary_and_bibliography_have_entries(site):
    glossary = _page(site, "book/glossary.html")
    assert "McCulloch–Pitts neuron" in glossary and "역전파" in glossary
    bibliography = _page(site, "book/bibliography.html")
    assert "McCulloch" in bibliography and "1943" in bibliography


def test_rebuild_with_nothing_changed_is_quick(site):
    output, _, _ = site
    result, seconds = _build(output)
    assert result.returncode == 0
    assert seconds < 10, f"an unchanged rebuild took {seconds:.1f} s (budget 10 s)"
