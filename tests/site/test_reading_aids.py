"""The reading aids the site's extension (_ext/reading_aids.py) adds at build time.

- the landing page's course-path figure is the one the code draws for the chapters in _toc.yml;
- the landing page's run-time table has one row per chapter in _toc.yml, with the stamps' times;
- every exercise page links to its solutions and every solution page to its exercises;
- the reading order (a chapter, its exercises, the next chapter) and the sidebar's names;
- a chapter's exercises numbered as its exercise notebook numbers them;
- the landing page's chapter table and footer, and the glossary's A–Z bar and order.
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


# --------------------------------------------------------------------------- reading order and names
def _next_page(built_site, page: str) -> str | None:
    source = (built_site.html / page).read_text(encoding="utf-8")
    link = re.search(r'<a class="right-next"[^>]*href="([^"]+)"', source)
    return _resolve(page, link.group(1)) if link else None


def test_next_from_a_chapter_is_its_exercises_and_from_them_the_next_chapter(built_site):
    chapters = _toc_chapters(built_site)
    problems = []
    for number, chapter in enumerate(chapters):
        name = PurePosixPath(chapter).name
        exercises = f"exercises/{name}/{name}.html"
        if not (built_site.html / exercises).is_file():
            continue
        if _next_page(built_site, f"{chapter}.html") != exercises:
            problems.append(f"Next from {chapter} is {_next_page(built_site, f'{chapter}.html')}, not {exercises}")
        if number + 1 < len(chapters) and _next_page(built_site, exercises) != f"{chapters[number + 1]}.html":
            problems.append(f"Next from {exercises} is {_next_page(built_site, exercises)}, "
                            f"not {chapters[number + 1]}.html")
    solutions = [doc for doc in _toc_documents(built_site) if doc.startswith("solutions/")]
    main_path = {f"{doc}.html" for doc in chapters} | {
        f"exercises/{PurePosixPath(doc).name}/{PurePosixPath(doc).name}.html" for doc in chapters}
    for page in main_path:
        following = _next_page(built_site, page) or ""
        if following.startswith("solutions/"):
            problems.append(f"Next from {page} leads into the solutions ({following})")
    assert solutions, "the solutions are not in the table of contents (they must stay reachable)"
    assert not problems, "\n".join(problems)


def _h1(built_site, page: str) -> str:
    source = (built_site.html / page).read_text(encoding="utf-8")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", source, re.S)
    return re.sub(r"\s+", " ", _text(re.sub(r'<a class="headerlink".*?</a>', "", heading.group(1)))) if heading else ""


def test_the_sidebar_names_each_page_by_its_title(built_site, landing):
    page, source = landing
    nav = re.search(r'<nav class="bd-links bd-docs-nav"[^>]*>(.*?)</nav>', source, re.S)
    assert nav, "no sidebar navigation on the landing page"
    problems = []
    for href, label in re.findall(r'<a class="reference internal" href="([^"#]+)"[^>]*>(.*?)</a>', nav.group(1), re.S):
        target = _resolve(page, href)
        label = re.sub(r"\s+", " ", _text(label))
        if target.endswith(".html") and (built_site.html / target).is_file() and label != _h1(built_site, target):
            problems.append(f"{target}: the sidebar says {label!r}, the page {_h1(built_site, target)!r}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- exercise numbers
def _exercise_numbers_on(built_site, page: str) -> list[int]:
    source = (built_site.html / page).read_text(encoding="utf-8")
    return [int(n) for n in re.findall(r'<span class="caption-number">Exercise (\d+)\s*</span>', source)]


def _notebook_exercise_numbers(notebook) -> list[int]:
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    return [int(n) for cell in cells if cell.cell_type == "markdown"
            for n in re.findall(r"^## Exercise (\d+)\b", cell.source, re.M)]


def test_a_chapters_exercises_have_the_numbers_of_its_exercise_notebook(built_site):
    problems = []
    for chapter in _toc_chapters(built_site):
        name = PurePosixPath(chapter).name
        notebook = ROOT / "exercises" / name / f"{name}.ipynb"
        on_site = _exercise_numbers_on(built_site, f"{chapter}.html")
        if not notebook.is_file() or not on_site:
            continue
        in_notebook = _notebook_exercise_numbers(notebook)
        if on_site != list(range(1, len(on_site) + 1)):
            problems.append(f"{chapter}: the site numbers its exercises {on_site} (from 1 in each chapter)")
        if on_site != in_notebook:
            problems.append(f"{chapter}: exercises {on_site} on the site, {in_notebook} in {notebook.relative_to(ROOT)} "
                            "(one {exercise} directive per exercise of the notebook)")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the landing page and the glossary
def test_landing_page_names_each_chapter_once_and_the_footer_its_authors(built_site, landing):
    page, source = landing
    table = re.search(r'<section id="chapters">(.*?)</section>', source, re.S)
    assert table, "the landing page has no Chapters section"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    repeated = [_text(row) for row in rows if (found := re.findall(r"\b0[1-9]\b", _text(row))) and len(found) > 1]
    assert not repeated, f"chapter numbers printed twice: {repeated}"
    author = re.search(r'<p class="component-author">(.*?)</p>', source, re.S)
    assert author and "From Neurons to Deep Networks" not in _text(author.group(1)), (
        f"the footer's author line repeats the title: {author and _text(author.group(1))!r}")


def test_glossary_has_a_letter_bar_and_its_terms_in_order_under_each_letter(built_site):
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    from reading_aids import glossary_letter, glossary_sort_key

    source = (built_site.html / "book" / "glossary.html").read_text(encoding="utf-8")
    bar = re.search(r'<nav class="glossary-letters"[^>]*>(.*?)</nav>', source, re.S)
    assert bar, "the glossary has no A–Z bar"
    letters = [(_text(text), href) for href, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', bar.group(1))]
    assert len(letters) >= 20
    problems = [f"the bar's {letter} links to #{target}, which is not on the page" for letter, target in letters
                if f'id="{target}"' not in source]
    terms = [_text(re.sub(r'<a class="headerlink".*?</a>', "", term))
             for term in re.findall(r'<dt id="term-[^"]*">(.*?)</dt>', source, re.S)]
    assert len(terms) > 100, "the glossary lost its terms"
    keys = [(glossary_letter(term), glossary_sort_key(term)) for term in terms]
    order = {letter: index for index, (letter, _) in enumerate(letters)}
    if [(order.get(letter, -1), key) for letter, key in keys] != sorted((order.get(letter, -1), key)
                                                                       for letter, key in keys):
        problems.append("the terms are not in alphabetical order under their letters")
    assert not problems, "\n".join(problems)
