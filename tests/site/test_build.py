"""The static site builds with no warning and shows what a reader needs.

The site is built once per test session, from clean, by the ``built_site`` fixture (conftest.py).
"""

from __future__ import annotations

import re

import pytest

import sitecheck
from sitecheck import ROOT, build_book

# How long a build takes is measured by `python -m neuronlab.tools.bench site`, never asserted here.


def _page(built_site, relative: str) -> str:
    path = built_site.html / relative
    assert path.exists(), f"{relative} was not built"
    return path.read_text(encoding="utf-8")


def test_site_builds_without_any_warning(built_site):
    problems = sitecheck.build_problems(built_site.log)
    assert not problems, "\n".join(problems[:40])
    assert built_site.returncode == 0, built_site.log[-4000:]


@pytest.mark.parametrize("page", [
    "book/intro.html", "book/setup.html", "book/instructors.html", "book/glossary.html", "book/bibliography.html",
    "chapters/01_logic_gate_neurons.html",
    "exercises/01_logic_gate_neurons/01_logic_gate_neurons.html",
    "solutions/01_logic_gate_neurons/01_logic_gate_neurons.html",
])
def test_every_page_a_reader_needs_is_built(built_site, page):
    assert "<h1" in _page(built_site, page)


def test_site_opens_on_the_landing_page(built_site):
    assert "book/intro.html" in _page(built_site, "index.html")


def test_chapter_pages_offer_binder_and_colab(built_site):
    html = _page(built_site, "chapters/01_logic_gate_neurons.html")
    assert "mybinder.org/v2/gh/" in html and "colab.research.google.com/github/" in html


def test_chapter_page_shows_glued_numbers_figures_and_the_widget_fallback(built_site):
    html = _page(built_site, "chapters/01_logic_gate_neurons.html")
    assert "{glue" not in html and ":::" not in html, "MyST syntax leaked into the page"
    # Glued numbers: every {glue:text} role of a chapter that uses them is a pasted value on its page.
    import nbformat

    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        roles = sum(len(re.findall(r"\{glue:text\}`", cell.source))
                    for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown")
        if roles:
            glued = _page(built_site, f"chapters/{notebook.stem}.html")
            assert "{glue" not in glued, f"{notebook.stem}: a glue role leaked into the page"
            assert glued.count('class="pasted-text"') >= roles, f"{notebook.stem}: glued numbers are missing"
            break
    else:
        raise AssertionError("no chapter quotes a glued number")
    section = html.split('id="try-it-the-gate-builder"', 1)[1].split("<section", 1)[0]
    assert re.search(r"<img[^>]+\.png", section), "the gate builder's static figure is missing from the page"
    assert "exercise" in html and 'class="admonition' in html


def test_glossary_and_bibliography_have_entries(built_site):
    glossary = _page(built_site, "book/glossary.html")
    assert "McCulloch–Pitts neuron" in glossary and "역전파" in glossary
    bibliography = _page(built_site, "book/bibliography.html")
    assert "McCulloch" in bibliography and "1943" in bibliography


def test_bibliography_labels_read_like_the_citations(built_site):
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]',
                        _page(built_site, "book/bibliography.html"))
    assert labels, "the bibliography lists no work"
    odd = [label for label in labels if not re.fullmatch(r"[^,\[\]]+, (\d{4}[a-z]?|n\.d\.)", label)]
    assert not odd, f"labels not in author–year form (as the citations are): {odd}"


def test_rebuild_with_nothing_changed_reads_and_executes_nothing(built_site):
    result, _ = build_book(ROOT, built_site.output)
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # Sphinx may colour its log
    assert result.returncode == 0, log[-3000:]
    assert re.search(r"updating environment: (\[[^]]*\] )?0 added, 0 changed, 0 removed", log), (
        "an unchanged rebuild re-read pages:\n" + log[-3000:])
    assert "Executing" not in log, "an unchanged rebuild executed a notebook"
