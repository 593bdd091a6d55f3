"""A learner's notebook in a real JupyterLab, in Chromium: clean Markdown, the stored numbers, links.

``learner/`` holds the notebooks the README's badges and the site's launch buttons open
(``python -m neuronlab.tools.learner_notebooks`` writes them). Here JupyterLab, from the
course's own environment, serves a copy of one chapter and one exercise notebook with empty
settings and workspaces; Chromium opens each and reads what JupyterLab rendered. No raw MyST
may show, every number the stored run glued must appear as its value, glossary terms and
citations must be links to the site, formulas must be typeset by JupyterLab's own MathJax, and
nothing may be fetched from outside this machine.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

import browserkit
from sitecheck import ROOT, report

from neuronlab.tools import learner_notebooks

RAW = ("{term}", "{glue", "{cite", ":::{", "{exercise}", "{note}", "{ref}", "{doc}")
CHAPTER = "chapters/02_perceptrons.ipynb"              # glued numbers, citations, terms, math, exercises
EXERCISE = "exercises/02_perceptrons/02_perceptrons.ipynb"  # what a learner opens from a chapter's exercises
SETTINGS = {  # an empty profile, less the two things that would fetch from the internet or hide cells
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        '{"windowingMode": "none"}',  # render every cell, not only those in view
}


_STATE = """() => {
    const rendered = [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')];
    return {
        text: rendered.map(node => node.innerText).join('\\n'),
        links: rendered.flatMap(node => [...node.querySelectorAll('a[href]')].map(a => a.href)),
        headings: rendered.flatMap(node => [...node.querySelectorAll('h1,h2,h3,h4')]
                                           .map(h => h.tagName + ' ' + h.innerText.replace(/¶$/, '').trim())),
        math: document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
        raw_tex: rendered.some(node => /\\$[^$\\n]*\\\\(mathbf|eta|phi|le|ge)\\b[^$\\n]*\\$/.test(node.innerText)),
        cells: document.querySelectorAll('.jp-Notebook .jp-Cell').length,
        images: document.querySelectorAll('.jp-OutputArea-output img').length,
    };
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """``jupyter lab`` from the course's environment on a free port, serving a copy of two learner notebooks."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        browserkit.unavailable(f"{jupyter} is missing: pip install -r requirements-dev.txt")
    base = tmp_path_factory.mktemp("jupyterlab")
    served = base / "learner"
    for relative in (CHAPTER, EXERCISE):
        (served / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(learner_notebooks.LEARNER / relative, served / relative)
    for relative, text in SETTINGS.items():
        (base / "settings" / relative).parent.mkdir(parents=True, exist_ok=True)
        (base / "settings" / relative).write_text(text, encoding="utf-8")
    (base / "workspaces").mkdir()
    # A learner's JupyterLab (requirements.txt) has no nbgrader: hide the instructors' menus it adds here.
    (base / "config" / "labconfig").mkdir(parents=True)
    (base / "config" / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyter/nbgrader": true}}', encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "IPYTHONDIR": str(base / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces")}
    command = [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
               f"--LabApp.user_settings_dir={base / 'settings'}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
               "--ServerApp.port_retries=0", *(["--allow-root"] if os.geteuid() == 0 else [])]
    log = (base / "jupyterlab.log").open("w")
    process = subprocess.Popen(command, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"jupyter lab did not start (exit {process.poll()}):\n"
                                f"{(base / 'jupyterlab.log').read_text()[-3000:]}", pytrace=False)
                time.sleep(0.5)
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _open(browser, jupyterlab, relative: str, screenshot: Path | None = None) -> dict:
    """Open ``learner/<relative>`` in JupyterLab; what its rendered Markdown says and links to."""
    url, token = jupyterlab
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    external = []

    def route(route):
        if route.request.url.startswith(url) or urlsplit(route.request.url).scheme in ("data", "blob"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        cells = nbformat.read(learner_notebooks.LEARNER / relative, as_version=4).cells
        markdown = sum(1 for cell in cells if cell.cell_type == "markdown")
        page.goto(f"{url}lab/workspaces/{Path(relative).stem}/tree/{relative}?reset&token={token}", wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_function(f"document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown').length"
                               f" >= {markdown}", timeout=120_000)
        # JupyterLab's own MathJax typesets cell by cell once the Markdown is in place: wait until no
        # formula is left as TeX and the count of typeset ones stops growing (or a minute has passed)
        deadline, last = time.monotonic() + 60, -1
        while time.monotonic() < deadline:
            state = page.evaluate(_STATE)
            if not state["raw_tex"] and state["math"] == last:
                break
            last = state["math"]
            time.sleep(1)
        found = page.evaluate(_STATE)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
            first_figure = page.locator(".jp-OutputArea-output img").first
            if first_figure.count():
                first_figure.scroll_into_view_if_needed()
                time.sleep(0.5)
                page.screenshot(path=str(screenshot.with_name(screenshot.stem + "-figure.png")))
        found["expected_cells"], found["external"] = len(cells), external
        return found
    finally:
        context.close()


def _glued_texts(relative: str) -> list[str]:
    """Every number or word the source notebook's text pastes from its stored run, as the site shows it."""
    source = ROOT / relative
    notebook = nbformat.read(source, as_version=4)
    values = learner_notebooks.glued_values(notebook)
    return [learner_notebooks.glue_text(values, match["content"])
            for cell in notebook.cells if cell.cell_type == "markdown"
            for match in learner_notebooks.INLINE.finditer(cell.source) if match["role"] == "glue:text"]


def test_a_chapter_reads_cleanly_in_jupyterlab(browser, jupyterlab, artefacts):
    start = time.perf_counter()
    shot = artefacts / "jupyterlab-chapter-02.png"
    found = _open(browser, jupyterlab, CHAPTER, screenshot=shot)
    text = found["text"]
    assert found["cells"] == found["expected_cells"], "JupyterLab did not render every cell"
    assert not [raw for raw in RAW if raw in text], (
        f"raw MyST in the rendered chapter: {[raw for raw in RAW if raw in text]}")
    glued = _glued_texts(CHAPTER)
    assert glued, f"{CHAPTER} pastes no number from its run: pick a chapter that does"
    missing = [value for value in glued if value not in text]
    assert not missing, f"stored numbers missing from the rendered chapter: {missing}"
    site = learner_notebooks.site_url()
    terms = [link for link in found["links"] if link.startswith(f"{site}{learner_notebooks.GLOSSARY_PAGE}#term-")]
    cites = [link for link in found["links"]
             if link.startswith(f"{site}{learner_notebooks.BIBLIOGRAPHY_PAGE}#cite-")]
    assert terms and cites, f"no glossary ({len(terms)}) or bibliography ({len(cites)}) links in the chapter"
    assert re.search(r"\((?:\w|[-’' ])+(?: et al\.)?, \d{4}[a-z]?\)", text), "no citation reads (Author, Year)"
    assert any(h.startswith("H3 Exercise 1") for h in found["headings"]), (
        f"the exercises are not plain headings: {found['headings'][-8:]}")
    assert found["math"] > 0 and not found["raw_tex"], "JupyterLab's MathJax did not typeset the formulas"
    assert found["images"] > 0, "the stored figures are not shown"
    assert not found["external"], f"JupyterLab fetched from outside this machine: {found['external']}"
    report(f"JupyterLab: {CHAPTER} rendered {found['cells']} cells, {len(glued)} stored numbers, "
           f"{len(terms)} glossary and {len(cites)} citation links, {found['math']} formulas "
           f"({time.perf_counter() - start:.1f} s); screenshot {shot.name}")


def test_an_exercise_notebook_reads_cleanly_in_jupyterlab(browser, jupyterlab):
    found = _open(browser, jupyterlab, EXERCISE)
    assert found["cells"] == found["expected_cells"], "JupyterLab did not render every cell"
    assert not [raw for raw in RAW if raw in found["text"]], "raw MyST in the rendered exercise notebook"
    assert any(h.startswith("H1 Exercises 02") for h in found["headings"]), found["headings"][:3]
    assert any(urlsplit(link).path.endswith("chapters/02_perceptrons.ipynb") for link in found["links"]), (
        f"the exercise notebook does not link its chapter: {found['links'][:5]}")
    assert not found["external"], f"JupyterLab fetched from outside this machine: {found['external']}"
