"""What the browser tests stand on: Debian's Chromium, axe-core from npm, a local server.

The built site serves everything it uses itself (MathJax, the widget manager and its fonts are
put into ``_static/vendor`` by ``_ext/offline_assets.py``), so the browser is shown the site and
nothing else: every request that would leave it is aborted and reported. The tests' own tool,
axe-core (the accessibility rules), is fetched once from npm into a cache outside the repository
and injected into the pages it checks.
"""

from __future__ import annotations

import functools
import http.server
import mimetypes
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from neuronlab.tools.archives import npm_package

CHROMIUM = Path("/usr/bin/chromium")

# The tests' own npm packages, pinned.
NPM_PACKAGES = {
    "axe-core": "4.14.1",  # the accessibility rules, run in the page (axe.min.js)
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

    `npm pack` takes just each package's own files (axe-core's is one built script), none of
    their dependencies.
    """
    root = (root or cache_dir()) / "npm"
    npm = shutil.which("npm") or str(apt_install("npm", Path("/usr/bin/npm")))
    folders = {}
    for name, version in NPM_PACKAGES.items():
        try:
            folders[name] = npm_package(name, version, root, npm=npm)
        except RuntimeError as error:
            unavailable(str(error))
    return folders


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
    loaded_bytes: dict[str, int] = field(default_factory=dict)  # URL → bytes: the first visit's download
    math: dict = field(default_factory=dict)
    images: list[dict] = field(default_factory=list)
    widgets: list[dict] = field(default_factory=list)
    launch_links: list[str] = field(default_factory=list)
    launch_menu_opens: bool | None = None
    dark_images: list[dict] = field(default_factory=list)
    search_fields: int = 0  # search boxes and buttons a reader sees
    wide_code: list[str] = field(default_factory=list)  # code cells that scroll sideways at 1280 px
    phone_overflow: dict = field(default_factory=dict)  # at 390 px: the page's width and what sticks out
    hidden_tables: list[str] = field(default_factory=list)  # tables that hide columns without a cue
    glyphs: dict = field(default_factory=dict)  # characters outside ASCII: how many, and those drawn as empty boxes
    axe: list[dict] = field(default_factory=list)  # axe-core's violations, each node in or out of the article
    seconds: float = 0.0


class Visits(dict):
    """Page → its Visit, and how long visiting them all took."""

    seconds: float = 0.0


class Visitor:
    """Opens pages of the local site in Chromium, nothing but the site reachable, and records what they do.

    ``axe`` is axe-core's script (axe.min.js), injected into each page it checks (None: no check).
    """

    def __init__(self, browser, server: SiteServer, html: Path, axe: str | None = None):
        self.browser, self.server, self.html, self.axe = browser, server, html, axe
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
                return route.fallback()  # to the server (or to a test's own route)
            if request.url.startswith(("data:", "blob:")):
                return route.fallback()
            blocked.add(request.url)  # the site works without a network: nothing leaves it
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


# The page's own content: what the course writes (the theme's header, sidebars and footer are not).
ARTICLE = "article.bd-article"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

_DESCRIBE = r"""const describe = (e) => {
  const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + [...e.classList].slice(0, 2).map(c => '.' + c).join('');
  const section = e.closest('section');
  const text = (e.innerText || e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
  return `${name}${section && section.id ? ' in #' + section.id : ''} "${text}"`;
};"""

_WIDE_CODE = r"""() => {
  DESCRIBE
  return [...document.querySelectorAll('ARTICLE div.highlight pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => {
      const longest = pre.innerText.split('\n').reduce((a, b) => b.length > a.length ? b : a, '');
      const kind = pre.closest('.cell_output') ? 'output' : 'code';
      return `${kind} in ${describe(pre.closest('.cell') || pre)}: a line of ${longest.length} characters `
           + `(${pre.scrollWidth} px in ${pre.clientWidth} px)`;
    });
}"""

_PAGE_WIDTH = r"""() => {
  DESCRIBE
  const root = document.documentElement, width = root.clientWidth;
  const clips = e => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
  const inClippingBox = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
                                 if (clips(p)) return true; return false; };
  const culprits = [];
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    const style = getComputedStyle(e);
    if (style.position === 'fixed' || style.visibility === 'hidden' || inClippingBox(e)) continue;
    const parent = e.parentElement.getBoundingClientRect();
    if (parent.right > width + 1 && e.parentElement !== document.body) continue;  // its parent is named
    culprits.push(`${describe(e)} reaches ${Math.round(box.right)} px`);
  }
  return {scrollWidth: root.scrollWidth, width, culprits: culprits.slice(0, 6)};
}"""

_TABLES = r"""() => {
  DESCRIBE
  const clips = e => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
  const problems = [];
  for (const table of document.querySelectorAll('ARTICLE table')) {
    let box = table.parentElement;
    while (box && box !== document.body && !clips(box)) box = box.parentElement;
    if (!box || box === document.body) continue;  // not clipped: the page-width check sees it
    const wide = table.getBoundingClientRect().width;
    if (wide <= box.clientWidth + 1) continue;
    const style = getComputedStyle(box);
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
    const cue = /gradient/.test(style.backgroundImage);
    // The cue is the box's background: an opaque row or cell would paint over it.
    const opaque = [...table.querySelectorAll('tr, th, td')].some(e => {
      const rgba = (getComputedStyle(e).backgroundColor.match(/[\d.]+/g) || []).map(Number);
      return rgba.length === 3 || (rgba.length === 4 && rgba[3] > 0.5);
    });
    if (!scrolls || !cue || opaque) {
      problems.push(`${describe(table)}: ${Math.round(wide)} px in ${box.clientWidth} px, `
                    + (!scrolls ? 'its other columns cut off' : !cue ? 'scrolls with no cue that it does'
                       : 'its rows paint over the scroll cue'));
    }
  }
  return problems;
}"""

_GLYPHS = r"""async () => {
  // Every character outside ASCII the page shows, drawn in its element's font on a canvas and
  // compared with a character no font has (U+10FFFD): the same pixels mean an empty box.
  const seen = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(node) {
    const e = node.parentElement;
    if (!e || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEXTAREA'].includes(e.tagName) || e.closest('mjx-container, svg'))
      return NodeFilter.FILTER_REJECT;
    return NodeFilter.FILTER_ACCEPT;
  }});
  while (walker.nextNode()) {
    for (const ch of walker.currentNode.nodeValue) {
      if (ch.codePointAt(0) < 128 || /[\s\p{M}\p{Cf}\p{Co}]/u.test(ch) || seen.has(ch)) continue;
      const e = walker.currentNode.parentElement;
      if (!e.getClientRects().length) continue;  // not shown
      seen.set(ch, e);
    }
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (font, text) => {
    context.clearRect(0, 0, 48, 48);
    context.font = font;
    context.fillText(text, 4, 36);
    return context.getImageData(0, 0, 48, 48).data.join(',');
  };
  const missing = [];
  const hangul = [...seen.keys()].filter(ch => /\p{Script=Hangul}/u.test(ch)).length;
  for (const [ch, e] of seen) {
    const style = getComputedStyle(e);
    const font = `${style.fontStyle} ${style.fontWeight} 28px ${style.fontFamily}`;
    await document.fonts.load(font, ch);
    const drawn = draw(font, ch);
    if (drawn === draw(font, String.fromCodePoint(0x10FFFD)) || !/[1-9]/.test(drawn)) {
      missing.push({character: ch, code: 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0'),
                    where: (e.innerText || '').trim().slice(0, 40)});
    }
  }
  return {checked: seen.size, hangul, missing};
}"""

_AXE = r"""async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const element = target => { try { return document.querySelector(target[target.length - 1]); } catch (e) { return null; } };
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => {
    const e = element(n.target);
    return {target: n.target.join(' '), html: n.html.slice(0, 160), inArticle: !!(e && e.closest('ARTICLE'))};
  })}));
}"""


def _js(source: str) -> str:  # the snippets share selectors and a helper
    return (source.replace("OUTPUT_IMAGES", repr(OUTPUT_IMAGES)).replace("DESCRIBE", _DESCRIBE)
            .replace("ARTICLE", ARTICLE))


def visit_page(visitor: Visitor, relative: str, screenshot: Path | None = None,
               dark_screenshot: Path | None = None, phone_screenshot: Path | None = None) -> Visit:
    """Open one page, let it settle (scripts, MathJax, images), and record what the tests check.

    A step that fails (a time-out, say) is recorded as a console error of the page, so one bad
    page fails the tests with its name instead of stopping the visits.
    """
    start = time.perf_counter()
    visit = Visit(relative, url=visitor.server.url + relative)
    source = (visitor.html / relative).read_text(encoding="utf-8", errors="replace")
    try:
        _look(visitor, visit, source, screenshot, dark_screenshot, phone_screenshot)
    except Exception as error:  # noqa: BLE001 - reported with the page's name
        visit.console_errors.append(f"the visit failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    visit.seconds = time.perf_counter() - start
    return visit


_MATHJAX_SCRIPT = re.compile(r"<script[^>]+src=\"[^\"]*mathjax[^\"]*\"", re.IGNORECASE)


def _look(visitor, visit, source, screenshot, dark_screenshot, phone_screenshot=None) -> None:
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
        # Fits the column at 1280 px: code, and tables that hide columns say so.
        visit.wide_code = page.evaluate(_js(_WIDE_CODE))
        visit.hidden_tables = page.evaluate(_js(_TABLES))
        visit.glyphs = page.evaluate(_js(_GLYPHS))
        if visitor.axe:
            page.add_script_tag(content=visitor.axe)
            visit.axe = page.evaluate(_js(_AXE))
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        # A phone (390 px): the page must not scroll sideways; tables still say that they scroll.
        page.set_viewport_size(PHONE)
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        visit.phone_overflow = page.evaluate(_js(_PAGE_WIDTH))
        visit.hidden_tables += [f"at {PHONE['width']} px: {problem}" for problem in page.evaluate(_js(_TABLES))]
        if phone_screenshot:
            page.screenshot(path=str(phone_screenshot), full_page=False)
        page.set_viewport_size(DESKTOP)
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
