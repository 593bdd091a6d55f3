"""learner/ against the built site: its links land on real anchors, its numbers are the site's.

The learner copies (``python -m neuronlab.tools.learner_notebooks``) link glossary terms and
citations to the site by anchor and print the glued numbers themselves. These checks read the
session's site build: every anchor a learner copy links to exists on the page it names, a
citation's words are the bibliography's own label, and each chapter's numbers are the ones the
site pastes, in the same order; and a notebook page's download button gives the learner copy.
"""

from __future__ import annotations

import html
import re
from pathlib import PurePosixPath

import nbformat
import pytest

from sitecheck import ROOT, report

from neuronlab.tools import learner_notebooks as learner

LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>https?://[^)\s]+)\)")


def _copies():
    return [learner.target_for(source) for source in learner.source_notebooks()]


def _ids(page) -> dict[str, str]:
    """``{id: the text that follows the element's opening tag}`` for every id on a built page."""
    text = page.read_text(encoding="utf-8")
    return {match[1]: html.unescape(re.sub(r"<[^>]+>", "", text[match.end():match.end() + 400]))
            for match in re.finditer(r'\bid="([^"]+)"[^>]*>', text)}


def test_learner_links_land_on_anchors_of_the_built_site(built_site):
    site = learner.site_url()
    pages: dict[str, dict[str, str]] = {}
    problems, checked = [], 0
    for copy in _copies():
        for index, cell in enumerate(nbformat.read(copy, as_version=4).cells):
            if cell.cell_type != "markdown":
                continue
            for match in LINK.finditer(cell.source):
                url = match["url"]
                if not url.startswith(site):
                    continue
                page, _, anchor = url[len(site):].partition("#")
                built = built_site.html / PurePosixPath(page)
                where = f"learner/{copy.relative_to(learner.LEARNER)} cell {index}: {match['text']!r} → {page}#{anchor}"
                if not built.is_file():
                    problems.append(f"{where}: the site has no such page")
                    continue
                ids = pages.setdefault(page, _ids(built))
                checked += 1
                if anchor and anchor not in ids:
                    problems.append(f"{where}: no such anchor on the page")
                elif (page == learner.BIBLIOGRAPHY_PAGE  # "Géron, 2022", or "Géron (2022)" for {cite:t}
                      and re.sub(r" \((\d{4}\w?)\)$", r", \1", match["text"]) not in re.sub(r"\s+", " ", ids[anchor])):
                    label = re.sub(r"\s+", " ", ids[anchor])[:60]
                    problems.append(f"{where}: the bibliography labels the entry {label!r}")
    assert checked, "the learner copies link to nothing on the site"
    assert not problems, "\n".join(problems[:30])
    report(f"learner copies: {checked} links to the site, every anchor found")


@pytest.mark.parametrize("source", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_learner_numbers_are_the_numbers_the_site_shows(built_site, source):
    page = built_site.html / "chapters" / f"{source.stem}.html"
    shown = [html.unescape(text) for text in
             re.findall(r'<span class="pasted-text">([^<]*)</span>', page.read_text(encoding="utf-8"))]
    notebook = nbformat.read(source, as_version=4)
    values = learner.glued_values(notebook)
    ours = [learner.glue_text(values, match["content"]) for cell in notebook.cells if cell.cell_type == "markdown"
            for match in learner.INLINE.finditer(cell.source) if match["role"] == "glue:text"]
    assert ours == shown, f"{source.name}: the learner copy and the site paste different numbers"


def test_a_notebook_page_downloads_its_learner_copy(built_site):
    downloads = sorted((built_site.html / "_sources").rglob("*.ipynb"))
    assert downloads, "the site offers no notebook download"
    differ = [str(d.relative_to(built_site.html)) for d in downloads
              if d.read_bytes() != (learner.LEARNER / d.relative_to(built_site.html / "_sources")).read_bytes()]
    assert not differ, f"downloads that are not the learner copy (_ext/learner_copies.py): {differ}"
