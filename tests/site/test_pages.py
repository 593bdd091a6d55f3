"""Every built page without a browser: its links resolve, it is light, its figures are compressed.

The link check parses every page's links (a, img, script, link), resolves the relative ones
and their #fragments against the built files, and lists the external ones without fetching
them (the list goes to the artefacts folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sitecheck
from sitecheck import build_book, report

# Figures: PNG from matplotlib at the course's DPI (neuronlab.plots: 100), or SVG.
FIGURE_DPI = (72, 200)
FIGURE_MAX_PIXELS_WIDE = 2400
FIGURE_MAX_BYTES = 1024 * 1024
PNG_MAX_BYTES_PER_PIXEL = 0.9  # an RGBA PNG stored without compression takes 4 (photo-like panels, e.g.
# chapter 07's CIFAR/MC-dropout images, reach ~0.8; plots take ~0.1)


def test_every_page_in_the_table_of_contents_is_built(built_site):
    toc = yaml.safe_load(built_site.toc)
    documents = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                documents.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    missing = [document for document in documents
               if not (built_site.html / f"{Path(document).with_suffix('')}.html").is_file()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}\n" + "\n".join(
        sitecheck.build_problems(built_site.log)[:20])


def test_every_internal_link_and_image_resolves(built_site, artefacts):
    links = sitecheck.check_links(built_site.html)
    listing = artefacts / "external-links.txt"
    listing.write_text("".join(f"{url}\t{' '.join(sorted(pages))}\n" for url, pages in sorted(links.external.items())),
                       encoding="utf-8")
    report(f"external links (listed, not fetched): {len(links.external)} → {listing}")
    assert not links.broken, f"{len(links.broken)} broken internal link(s):\n" + "\n".join(links.broken)


def test_link_check_names_the_page_and_the_link(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(b"png")
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    (tmp_path / "book" / "intro.html").write_text(
        '<h1 id="top">Intro</h1><a href="other.html#there">ok</a> <a href="#top">ok</a>'
        '<img src="../_images/a.png" alt="a"> <a href="https://example.org/x">out</a>'
        '<a href="missing.html">gone</a> <a href="other.html#nowhere">no anchor</a>'
        '<img src="../_images/b.png" alt="b"> <a href="mailto:someone@example.org">mail</a>')
    (tmp_path / "book" / "other.html").write_text('<section id="there"><a href="intro.html">back</a></section>')

    links = sitecheck.check_links(tmp_path)

    assert sorted(links.broken) == sorted([
        "book/intro.html: a.href 'missing.html' — book/missing.html does not exist",
        "book/intro.html: a.href 'other.html#nowhere' — book/other.html has no id 'nowhere'",
        "book/intro.html: img.src '../_images/b.png' — _images/b.png does not exist",
    ])
    assert set(links.external) == {"https://example.org/x", "mailto:someone@example.org"}
    assert sitecheck.redirect_target(tmp_path, "index.html") == "book/intro.html"


def test_every_page_with_its_images_is_under_the_weight_budget(built_site):
    """Counted: the page's HTML and every image it shows. Not counted: the theme's shared assets
    (_static), which the browser downloads once for the whole site; their weight is reported."""
    weights = {page: sitecheck.page_weight(built_site.html, page) for page in built_site.pages}
    heaviest = max(weights, key=weights.get)
    theme = sum(path.stat().st_size for path in (built_site.html / "_static").rglob("*")
                if path.is_file() and path.suffix != ".map")
    report(f"page weight: heaviest {heaviest} {weights[heaviest] / 1e6:.2f} MB (HTML + its images); "
           f"shared theme assets {theme / 1e6:.1f} MB on disk")
    over = {page: weight for page, weight in weights.items() if weight > sitecheck.PAGE_BUDGET_BYTES}
    assert not over, "pages over 3 MB with their images: " + ", ".join(
        f"{page} {weight / 1e6:.2f} MB" for page, weight in over.items())


def test_figures_are_compressed_png_or_svg_at_a_sensible_dpi(built_site):
    problems = []
    figures = {}
    for page in built_site.pages:
        for path in sitecheck.local_images(built_site.html, page):
            if "_static" not in path.relative_to(built_site.html).parts:
                figures.setdefault(path, page)
    for path, page in sorted(figures.items()):
        name = f"{page}: {path.name}"
        size = path.stat().st_size
        if size > FIGURE_MAX_BYTES:
            problems.append(f"{name} weighs {size / 1e6:.2f} MB")
        if path.suffix.lower() == ".svg":
            continue
        if path.suffix.lower() != ".png":
            problems.append(f"{name} is {path.suffix}, not PNG or SVG")
            continue
        try:
            figure = sitecheck.read_png(path)
        except ValueError as error:
            problems.append(f"{page}: {error}")
            continue
        if figure.dpi is not None and not FIGURE_DPI[0] <= figure.dpi <= FIGURE_DPI[1]:
            problems.append(f"{name} is at {figure.dpi:.0f} dpi (sensible: {FIGURE_DPI[0]}–{FIGURE_DPI[1]})")
        if figure.width > FIGURE_MAX_PIXELS_WIDE:
            problems.append(f"{name} is {figure.width} px wide (at most {FIGURE_MAX_PIXELS_WIDE})")
        if figure.bytes_per_pixel > PNG_MAX_BYTES_PER_PIXEL:
            problems.append(f"{name} takes {figure.bytes_per_pixel:.2f} bytes a pixel: poorly compressed")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def broken_book(tmp_path_factory):
    """A two-page book, one page of which cannot be read, built as the course's site is."""
    source = tmp_path_factory.mktemp("broken-book")
    (source / "_config.yml").write_text("title: Broken\nexecute:\n  execute_notebooks: 'off'\n")
    (source / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/broken_chapter\n")
    (source / "intro.md").write_text("# Intro\n\nSee [the chapter](chapters/broken_chapter.ipynb).\n")
    (source / "chapters").mkdir()
    (source / "chapters" / "broken_chapter.ipynb").write_text('{"cells": [ this is not JSON')
    result, _ = build_book(source, source / "out")
    return result


def test_a_page_that_fails_to_build_fails_the_build_with_its_name(broken_book):
    problems = sitecheck.build_problems(broken_book.stdout + broken_book.stderr)
    assert broken_book.returncode != 0
    assert any("broken_chapter" in line for line in problems), problems
