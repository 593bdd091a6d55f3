"""What the browser tests stand on: Debian's Chromium, the CDN scripts from npm, a local server.

The built site loads MathJax (and, on a page with live widgets, require.js and the widget
manager) from CDNs the tests cannot reach. The npm packages of the same versions are fetched
once into a cache outside the repository and served in place of the CDN through Playwright's
request routing; every other request that would leave this machine is aborted and reported.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from neuronlab.tools.archives import safe_extract

CHROMIUM = Path("/usr/bin/chromium")

# The CDN scripts the site may load, pinned; the CDN URLs name the same versions (or ranges
# these satisfy). A new URL in the site that no pin matches fails the tests with its name.
NPM_PACKAGES = {
    "mathjax": "3.2.2",                          # Sphinx: cdn.jsdelivr.net/npm/mathjax@3/es5/…
    "@jupyter-widgets/html-manager": "1.0.6",    # MyST-NB: …/html-manager@1.0.6/dist/embed-amd.js
    "requirejs": "2.3.4",                        # MyST-NB: cdnjs …/require.js/2.3.4/require.min.js
}

# Chromium as the workplace runs it: no first-run or background traffic, no GPU, as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(message: str):
    """Stop a test that cannot run here: a failure in CI, a skip (with the reason) elsewhere."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def cache_dir() -> Path:
    """Where the tests keep what they download (outside the repository; kept between runs)."""
    base = os.environ.get("NEURONLAB_SITE_TEST_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neuronlab-site-tests"


# --------------------------------------------------------------------------- Debian packages
def _as_root(command: list[str]) -> list[str] | None:
    if os.geteuid() == 0:
        return command
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
        return [sudo, "-n", *command]
    return None


def apt_install(package: str, wanted: Path) -> Path:
    """Install a Debian package with apt-get (as root or by sudo -n) unless ``wanted`` exists."""
    if wanted.exists():
        return wanted
    update, install = (_as_root(["apt-get", "update", "-q"]),
                       _as_root(["apt-get", "install", "-y", "-q", package]))
    if install is None or not shutil.which("apt-get"):
        unavailable(f"{wanted} is missing and cannot be installed here (needs apt-get as root or "
                    f"passwordless sudo): install the Debian package {package!r}")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (update, install):
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=1200)
        if result.returncode != 0:
            unavailable(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stderr[-2000:]}")
    if not wanted.exists():
        unavailable(f"apt-get installed {package!r} but {wanted} is still missing")
    return wanted


# --------------------------------------------------------------------------- npm packages
def npm_packages(root: Path | None = None) -> dict[str, Path]:
    """The pinned npm packages, unpacked under the cache (fetched with `npm pack` when missing).

    `npm pack` takes just each package's own files: the CDN serves the built bundles in them,
    so none of their (246 MB of) dependencies is needed.
    """
    root = (root or cache_dir()) / "npm"
    folders = {}
    for name, version in NPM_PACKAGES.items():
        folder = root / f"{name.replace('/', '__')}@{version}"
        if not (folder / ".complete").exists():
            _npm_fetch(name, version, folder)
        folders[name] = folder
    return folders


def _npm_fetch(name: str, version: str, folder: Path) -> None:
    npm = shutil.which("npm") or str(apt_install("npm", Path("/usr/bin/npm")))
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as scratch:
        result = subprocess.run([npm, "pack", f"{name}@{version}", "--json", "--pack-destination", scratch],
                                capture_output=True, text=True, timeout=600, cwd=scratch)
        if result.returncode != 0:
            unavailable(f"`npm pack {name}@{version}` failed:\n{result.stderr[-2000:]}")
        tarball = Path(scratch) / json.loads(result.stdout)[0]["filename"]
        unpacked = Path(scratch) / "unpacked"
        safe_extract(tarball, unpacked)  # tarfile's filter= needs Python 3.11.4; Debian 12 has 3.11.2
        (unpacked / "package" / ".complete").write_text(f"{name}@{version}\n")
        try:
            (unpacked / "package").rename(folder)
        except OSError:  # another test run got there first
            if not (folder / ".complete").exists():
                raise


# --------------------------------------------------------------------------- CDN → npm
def _version_satisfies(version: str, wanted: str) -> bool:
    """Does ``version`` (x.y.z) satisfy ``wanted`` as a CDN URL writes it: 3, 3.2, 3.2.2, ^3.2, ~3.2.1?"""
    have = tuple(int(part) for part in version.split("."))
    match = re.fullmatch(r"([\^~]?)(\d+(?:\.\d+){0,2})", wanted)
    if not match:
        return False
    operator, numbers = match.groups()
    want = tuple(int(part) for part in numbers.split("."))
    if operator == "^":
        return have[0] == want[0] and have >= want
    if operator == "~":
        return have[:2] == (want + (0,))[:2] and have >= want
    return have[:len(want)] == want


_NPM_CDN = re.compile(r"^/(?:npm/)?((?:@[^/@]+/)?[^/@]+)@([^/]+)/(.+)$")


@dataclass
class CdnMirror:
    """Maps the CDN URLs the site uses to files of the pinned npm packages."""

    packages: dict[str, Path]

    def resolve(self, url: str) -> Path | None:
        """The local file that stands for ``url``, or None when no pinned package has it."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        name = wanted = inner = None
        if parts.netloc in ("cdn.jsdelivr.net", "unpkg.com"):
            match = _NPM_CDN.match(path)
            if match and (parts.netloc == "unpkg.com" or path.startswith("/npm/")):
                name, wanted, inner = match.groups()
        elif parts.netloc == "cdnjs.cloudflare.com":
            match = re.fullmatch(r"/ajax/libs/require\.js/([^/]+)/require(?:\.min)?\.js", path)
            if match:  # cdnjs's minified build of the same release: npm ships it unminified
                name, wanted, inner = "requirejs", match.group(1), "require.js"
        if name not in self.packages or not _version_satisfies(NPM_PACKAGES[name], wanted):
            return None
        folder = self.packages[name]
        target = (folder / inner).resolve()
        if folder.resolve() not in target.parents or not target.is_file():
            return None
        return target

    @staticmethod
    def integrity(path: Path, algorithm: str) -> str:
        digest = hashlib.new(algorithm, path.read_bytes()).digest()
        return f"{algorithm}-{base64.b64encode(digest).decode()}"

    def relax_integrity(self, html: str) -> tuple[str, list[str]]:
        """Drop the ``integrity`` of script tags whose CDN file the mirror replaces with other bytes.

        The mirror serves npm's files; a CDN may serve another build of the same release (cdnjs
        minifies require.js), so the page's hash cannot match. Only those tags are changed, and
        the change is reported; a tag whose hash matches the npm file keeps it, and so is checked.
        """
        dropped = []

        def fix(match: re.Match) -> str:
            tag = match.group(0)
            source = re.search(r'\bsrc="([^"]+)"', tag)
            integrity = re.search(r'\s+integrity="([^"]*)"', tag)
            local = self.resolve(source.group(1)) if source else None
            if not (integrity and local):
                return tag
            hashes = integrity.group(1).split()
            if any(self.integrity(local, value.split("-", 1)[0]) == value for value in hashes
                   if value.split("-", 1)[0] in ("sha256", "sha384", "sha512")):
                return tag
            dropped.append(source.group(1))
            return tag.replace(integrity.group(0), "")

        return re.sub(r"<script\b[^>]*>", fix, html), dropped


# --------------------------------------------------------------------------- local server
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the tests report what matters themselves
        pass


@dataclass
class SiteServer:
    """`_build/html` served on 127.0.0.1 from a thread."""

    directory: Path
    url: str = ""
    _server: http.server.ThreadingHTTPServer | None = field(default=None, repr=False)

    def __enter__(self) -> "SiteServer":
        mimetypes.add_type("application/javascript", ".js")
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/"
        threading.Thread(target=self._server.serve_forever, name="site-server", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- visiting pages
@dataclass
class Visit:
    """What one page did in the browser."""

    page: str
    url: str = ""
    redirect_to: str | None = None
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    relaxed_integrity: list[str] = field(default_factory=list)
    loaded_bytes: dict[str, int] = field(default_factory=dict)  # URL → bytes, local and mirrored
    math: dict = field(default_factory=dict)
    images: list[dict] = field(default_factory=list)
    widgets: list[dict] = field(default_factory=list)
    launch_links: list[str] = field(default_factory=list)
    launch_menu_opens: bool | None = None
    dark_images: list[dict] = field(default_factory=list)
    search_fields: int = 0  # search boxes and buttons a reader sees
    seconds: float = 0.0


class Visits(dict):
    """Page → its Visit, and how long visiting them all took."""

    seconds: float = 0.0


class Visitor:
    """Opens pages of the local site in Chromium with the CDN mirror, and records what they do."""

    def __init__(self, browser, server: SiteServer, mirror: CdnMirror, html: Path):
        self.browser, self.server, self.mirror, self.html = browser, server, mirror, html
        self._context = None

    def context(self):
        """One browser context (a fresh profile: nothing cached, nothing stored) for all visits."""
        if self._context is None:
            self._context = self.browser.new_context(
                color_scheme="light", viewport={"width": 1280, "height": 900}, service_workers="block")
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()

    def _local_file(self, url: str) -> Path | None:
        relative = unquote(urlsplit(url).path).lstrip("/")
        path = self.html / relative
        if url.split("?")[0].endswith("/") or path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None

    def open(self, visit: Visit, url: str):
        """A new page that records into ``visit``, navigated to ``url`` (not yet checked)."""
        page = self.context().new_page()
        blocked: set[str] = set()

        def route(route):
            request = route.request
            if request.url.startswith(self.server.url):
                local = self._local_file(request.url)
                if local is not None:
                    visit.loaded_bytes[request.url] = local.stat().st_size
                    if request.resource_type == "document" and local.suffix == ".html":
                        text = local.read_text(encoding="utf-8")
                        if "integrity=" in text:
                            text, dropped = self.mirror.relax_integrity(text)
                            if dropped:
                                visit.relaxed_integrity.extend(dropped)
                                return route.fulfill(body=text, content_type="text/html; charset=utf-8")
                return route.fallback()  # to the server (or to a test's own route)
            if request.url.startswith(("data:", "blob:")):
                return route.fallback()
            local = self.mirror.resolve(request.url)
            if local is not None:
                visit.loaded_bytes[request.url] = local.stat().st_size
                return route.fulfill(path=str(local), headers={"Access-Control-Allow-Origin": "*"})
            blocked.add(request.url)
            visit.external_requests.append(request.url)
            return route.abort("blockedbyclient")

        def console(message):
            if message.type == "error" and message.location.get("url") not in blocked:
                where = message.location.get("url", "")
                visit.console_errors.append(f"{message.text} ({where}:{message.location.get('lineNumber', '?')})")

        def failed(request):
            if request.url not in blocked:
                visit.failed_requests.append(f"{request.url}: {request.failure}")

        def response(answer):
            if answer.status >= 400:
                visit.failed_requests.append(f"{answer.url}: HTTP {answer.status}")

        page.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
        page.on("requestfailed", failed)
        page.on("response", response)
        page.goto(url, wait_until="load")
        return page


# The figures the notebooks made (the theme's logos are not).
OUTPUT_IMAGES = ".cell_output img, .output img, figure img, img.image"

_MATH_STATE = r"""() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'NOSCRIPT', 'MJX-CONTAINER']);
  const leftovers = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(node) {
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (skip.has(e.tagName) || e.classList.contains('highlight')) return NodeFilter.FILTER_REJECT;
    }
    return NodeFilter.FILTER_ACCEPT;
  }});
  while (walker.nextNode()) {
    const text = walker.currentNode.nodeValue;
    if (/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(text)) leftovers.push(text.trim().slice(0, 80));
  }
  return {elements: document.querySelectorAll('.math').length,
          typeset: document.querySelectorAll('mjx-container').length, leftovers};
}"""

_IMAGES = r"""async () => {
  const images = [...document.images];
  await Promise.all(images.map(image => {
    if (image.loading === 'lazy') image.loading = 'eager';
    return image.complete ? null : new Promise(done => {
      image.addEventListener('load', done, {once: true});
      image.addEventListener('error', done, {once: true});
      setTimeout(done, 10000);
    });
  }));
  return images.map(image => ({src: image.getAttribute('src'), url: image.currentSrc || image.src,
                               alt: image.getAttribute('alt'), width: image.naturalWidth}));
}"""

_WIDGETS = r"""() => {
  const widgetCells = [...document.querySelectorAll('.cell')].filter(cell => cell.matches('.tag_widget')
      || cell.querySelector('script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets'));
  return widgetCells.map(cell => {
    const shown = [...cell.querySelectorAll('.cell_output img')].some(image => {
      const box = image.getBoundingClientRect(), style = getComputedStyle(image);
      return image.naturalWidth > 0 && box.width > 0 && box.height > 0
          && style.visibility !== 'hidden' && Number(style.opacity) > 0;
    });
    const section = cell.closest('section');
    return {section: section ? section.id : '', shown,
            code: (cell.querySelector('.cell_input') || cell).innerText.trim().split('\n').pop().slice(0, 60)};
  });
}"""

_DARK_IMAGES = r"""() => [...document.querySelectorAll(OUTPUT_IMAGES)].map(image => {
  const style = getComputedStyle(image);
  const [r, g, b, a = 1] = (style.backgroundColor.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
  return {src: image.getAttribute('src'), background: style.backgroundColor, filter: style.filter,
          light: a > 0.9 && (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.95 && style.filter === 'none'};
})"""


def _js(source: str) -> str:  # the snippets share one selector
    return source.replace("OUTPUT_IMAGES", repr(OUTPUT_IMAGES))


def visit_page(visitor: Visitor, relative: str, screenshot: Path | None = None,
               dark_screenshot: Path | None = None) -> Visit:
    """Open one page, let it settle (scripts, MathJax, images), and record what the tests check.

    A step that fails (a time-out, say) is recorded as a console error of the page, so one bad
    page fails the tests with its name instead of stopping the visits.
    """
    start = time.perf_counter()
    visit = Visit(relative, url=visitor.server.url + relative)
    source = (visitor.html / relative).read_text(encoding="utf-8", errors="replace")
    try:
        _look(visitor, visit, source, screenshot, dark_screenshot)
    except Exception as error:  # noqa: BLE001 - reported with the page's name
        visit.console_errors.append(f"the visit failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    visit.seconds = time.perf_counter() - start
    return visit


_MATHJAX_SCRIPT = re.compile(r"<script[^>]+src=\"[^\"]*mathjax[^\"]*\"", re.IGNORECASE)


def _look(visitor, visit, source, screenshot, dark_screenshot) -> None:
    page = visitor.open(visit, visit.url)
    try:
        if 'http-equiv="refresh"' in source.lower():  # index.html: a redirect to the landing page
            page.wait_for_url(lambda url: url != visit.url, timeout=10000)
            page.wait_for_load_state("load")
            visit.redirect_to = page.url.removeprefix(visitor.server.url)
            return
        if _MATHJAX_SCRIPT.search(source):
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=20000)
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        visit.math = page.evaluate(_MATH_STATE)
        visit.images = page.evaluate(_IMAGES)
        visit.widgets = page.evaluate(_WIDGETS)
        visit.search_fields = page.locator(".search-button__button:visible, .search-button-field:visible").count()
        visit.launch_links = page.eval_on_selector_all(".dropdown-launch-buttons a[href]",
                                                       "links => links.map(a => a.href)")
        if visit.launch_links:
            page.click(".dropdown-launch-buttons .dropdown-toggle")
            menu = page.locator(".dropdown-launch-buttons .dropdown-menu a[href]").first
            menu.wait_for(state="visible", timeout=5000)
            visit.launch_menu_opens = menu.is_visible()
            page.keyboard.press("Escape")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        if 'class="cell' in source or dark_screenshot:  # notebook output: is it readable in dark mode?
            # The reader's system turns dark: the theme (mode "auto") follows without a reload.
            page.emulate_media(color_scheme="dark")
            page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'", timeout=5000)
            visit.dark_images = page.evaluate(_js(_DARK_IMAGES))
            if dark_screenshot:
                page.screenshot(path=str(dark_screenshot), full_page=True)
        page.wait_for_timeout(50)  # let late console messages arrive
    finally:
        page.close()


def screenshot_pages(pages: list[str], landing: str | None) -> dict[str, str]:
    """A few pages worth looking at: the landing page, the first chapter, the glossary."""
    chosen = {}
    if landing in pages:
        chosen[landing] = "landing"
    chapters = [page for page in pages if page.startswith("chapters/")]
    if chapters:
        chosen[chapters[0]] = "chapter-" + Path(chapters[0]).stem
    for page in pages:
        if Path(page).stem == "glossary":
            chosen[page] = "glossary"
    return chosen
