"""The reading aids the site's extension (_ext/reading_aids.py) adds at build time.

- the landing page's course-path figure is the one the code draws for the chapters in _toc.yml;
- the landing page's run-time table has one row per chapter in _toc.yml, with the stamps' times;
- every exercise page links to its solutions and every solution page to its exercises.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import PurePosixPath

import pytest
import yaml

import sitecheck
from browserkit import Visit
from sitecheck import ROOT

from neuronlab.tools import course_path, runtimes


def _toc_documents(built_site) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(PurePosixPath(node["file"]).with_suffix("")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(built_site.toc))
    return found


def _toc_chapters(built_site) -> list[str]:
    return [doc for doc in _toc_documents(built_site) if PurePosixPath(doc).parent.as_posix() == "chapters"]


@pytest.fixture(scope="module")
def landing(built_site) -> tuple[str, str]:
    page = sitecheck.redirect_target(built_site.html, "index.html")
    assert page, "index.html sends the reader nowhere"
    return page, (built_site.html / page).read_text(encoding="utf-8")


def _resolve(page: str, href: str) -> str:
    """The site path a relative link on ``page`` points to, without its #fragment."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), html.unescape(href).split("#")[0]))


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


# --------------------------------------------------------------------------- the course-path figure
def test_landing_page_shows_the_course_path_as_the_code_draws_it_now(built_site, landing):
    page, source = landing
    image = re.search(r"<img[^>]*class=\"course-path\"[^>]*>", source)
    assert image, f"{page} has no course-path figure"
    attributes = dict(re.findall(r'(\w+)="([^"]*)"', image.group(0)))
    ready = sorted(PurePosixPath(doc).name[:2] for doc in _toc_chapters(built_site))
    figure = built_site.html / _resolve(page, attributes["src"])
    assert figure.is_file(), f"{attributes['src']} was not written into the site"
    assert figure.read_bytes() == course_path.svg(ready=ready), "the built figure is not what the code draws"
    assert html.unescape(attributes["alt"]) == course_path.alt_text(ready=ready)
    assert source.index("course-path") < source.index('id="what-this-course-is"'), "the figure is not near the top"


# --------------------------------------------------------------------------- the run-time table
def test_landing_page_has_a_runtime_row_for_every_chapter_in_the_toc(built_site, landing):
    page, source = landing
    table = re.search(r'<table class="[^"]*runtime-table.*?</table>', source, re.S)
    assert table, f"{page} has no run-time table"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)
    header, body = rows[0], rows[1:]
    assert [_text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S)] == list(runtimes.HEADER)

    chapters = _toc_chapters(built_site)
    chapter_rows = [row for row in body if re.search(r'<a [^>]*href="[^"]*chapters/', row)]
    linked = [_resolve(page, re.search(r'href="([^"]+)"', row).group(1)) for row in chapter_rows]
    assert linked == [f"{doc}.html" for doc in chapters], "one row per chapter of _toc.yml, in its order"

    expected = runtimes.runtime_table(runtimes.chapter_runtimes(ROOT, chapters))[1]
    for row, cells in zip(body, expected, strict=True):
        shown = [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert shown[1:] == [cell.text for cell in cells[1:]], f"the row does not show the stamps now: {shown}"
        assert shown[0] == (cells[0].text or shown[0]) and shown[0], "a chapter row names its chapter"


# --------------------------------------------------------------------------- exercises ↔ solutions
def _pair_links(built_site, page: str) -> list[str]:
    source = (built_site.html / page).read_text(encoding="utf-8")
    bar = re.search(r'<div class="exercise-pair[^"]*">(.*?)</div>', source, re.S)
    assert bar, f"{page} has no exercise ↔ solution bar"
    return [_resolve(page, href) for href in re.findall(r'href="([^"]+)"', bar.group(1))]


def test_every_exercise_page_links_to_its_solutions_and_back(built_site):
    documents = _toc_documents(built_site)
    paired = [doc for doc in documents if PurePosixPath(doc).parts[0] in ("exercises", "solutions")]
    assert paired, "the table of contents lists no exercise or solution page"
    problems = []
    for doc in paired:
        kind, name, stem = PurePosixPath(doc).parts
        other = f"{'solutions' if kind == 'exercises' else 'exercises'}/{name}/{stem}"
        page = f"{doc}.html"
        links = _pair_links(built_site, page)
        wanted = [f"{other}.html"] if other in documents else []
        wanted += [f"chapters/{name}.html"] if f"chapters/{name}" in documents else []
        problems += [f"{page}: no link to {target}" for target in wanted if target not in links]
        problems += [f"{page}: {target} does not exist" for target in links if not (built_site.html / target).is_file()]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- in the browser, dark
def test_course_path_figure_is_readable_in_dark_mode(visitor, landing):
    page_name, _ = landing
    visit = Visit(page_name)
    page = visitor.open(visit, visitor.server.url + page_name)
    try:
        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'", timeout=5000)
        image = page.eval_on_selector("img.course-path", """image => {
            const style = getComputedStyle(image), box = image.getBoundingClientRect();
            return {width: image.naturalWidth, shown: box.width, background: style.backgroundColor,
                    filter: style.filter};
        }""")
    finally:
        page.close()
    assert image["width"] > 0, "the figure did not load"
    assert 400 <= image["shown"] <= 700, f"the figure is {image['shown']} px wide on a 1280 px screen"
    assert image["background"] == "rgb(255, 255, 255)" and image["filter"] == "none", image
    assert not visit.console_errors and not visit.failed_requests, visit.console_errors + visit.failed_requests
