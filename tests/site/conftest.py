"""Fixtures of the site tests: one build per test session, and one browser visit per page.

The site is built once, from clean, into a temporary folder (``built_site``); the static
checks and the browser tests all read that build. The browser visits every page once
(``page_visits``) and records what the tests then assert, so adding a check costs no visit;
the browser and the local server live only as long as the test module that uses them.
Artefacts (screenshots, the list of external links) go to a folder under pytest's
temporary directory (``--basetemp`` chooses it); the end of the run prints where.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml

import browserkit
import sitecheck
from sitecheck import ROOT, BuiltSite, build_book, report


# --------------------------------------------------------------------------- the site
@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """The course's site, built once from clean for the whole session."""
    output = tmp_path_factory.mktemp("site")
    _npm_for_the_offline_assets()
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    result, seconds = build_book(ROOT, output)
    site = BuiltSite(output, result.stdout + result.stderr, result.returncode, seconds, toc)
    report(f"site build from clean: {seconds:.1f} s, {len(site.pages) if site.html.is_dir() else 0} pages")
    if not (site.html / "index.html").is_file():
        problems = "\n".join(sitecheck.build_problems(site.log)[:40])
        pytest.fail(f"the site build failed (exit {result.returncode}) and produced no site:\n{problems}\n\n"
                    f"the end of its log:\n{site.log[-3000:]}", pytrace=False)
    return site


def _npm_for_the_offline_assets() -> None:
    """The build serves MathJax, the widget manager and fonts from npm packages (_ext/offline_assets.py).

    Without npm it falls back to the CDNs and the offline tests fail, naming the cause; so npm is
    installed first where it can be (as root or with passwordless sudo).
    """
    if shutil.which("npm"):
        return
    try:
        browserkit.apt_install("npm", Path("/usr/bin/npm"))
    except (pytest.skip.Exception, pytest.fail.Exception) as reason:
        report(f"npm is missing and could not be installed: the site is built with CDN scripts ({reason})")


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Path:
    """A folder for what a person may want to look at after the run."""
    folder = tmp_path_factory.mktemp("site-artefacts", numbered=False)
    report(f"site test artefacts (screenshots, external links): {folder}")
    return folder


@pytest.fixture(scope="session")
def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def chromium() -> Path:
    return browserkit.apt_install("chromium", browserkit.CHROMIUM)


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's rules (npm ``axe-core``), to run in the pages Chromium shows."""
    return (browserkit.npm_packages()["axe-core"] / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")  # the server, like Chromium, stops after the browser tests
def site_server(built_site):
    with browserkit.SiteServer(built_site.html) as server:
        yield server


@pytest.fixture(scope="module")  # Chromium closes after the browser tests
def browser(chromium):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browserkit.unavailable("the Python package 'playwright' is missing: pip install -r requirements-dev.txt")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=browserkit.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")  # Chromium closes after the browser tests
def visitor(browser, site_server, built_site, axe_script):
    visitor = browserkit.Visitor(browser, site_server, built_site.html, axe=axe_script)
    yield visitor
    visitor.close()


@pytest.fixture(scope="module")  # Chromium closes after the browser tests
def page_visits(visitor, built_site, artefacts) -> browserkit.Visits:
    """Every built page, visited once in Chromium (screenshots of a few on the way)."""
    start = time.perf_counter()
    pages = built_site.pages
    landing = sitecheck.redirect_target(built_site.html, "index.html")
    shots = browserkit.screenshot_pages(pages, landing)
    visits = browserkit.Visits()
    for relative in pages:
        name = shots.get(relative)
        visits[relative] = browserkit.visit_page(
            visitor, relative,
            screenshot=artefacts / f"{name}.png" if name else None,
            dark_screenshot=artefacts / f"{name}-dark.png" if name and name.startswith("chapter-") else None,
            phone_screenshot=artefacts / f"{name}-phone.png" if name and name.startswith("chapter-") else None)
    visits.seconds = seconds = time.perf_counter() - start
    slowest = max(visits.values(), key=lambda visit: visit.seconds)
    report(f"browser visits: {len(visits)} pages in {seconds:.1f} s (slowest {slowest.page}, "
           f"{slowest.seconds:.1f} s); screenshots: {', '.join(f'{n}.png' for n in shots.values())}")
    cold = {page: sum(visit.loaded_bytes.values()) for page, visit in visits.items()}
    heaviest = max(cold, key=cold.get)
    report(f"first visit with an empty cache (theme, MathJax and fonts included): heaviest {heaviest} "
           f"{cold[heaviest] / 1e6:.2f} MB")
    return visits
