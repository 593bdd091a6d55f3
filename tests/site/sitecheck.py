"""Checks of a built site that need no browser: pages, internal links, page weight, figures.

Everything here works on a folder of built HTML (``_build/html``), so the same functions
check the course's site and the small broken sites the tests make on purpose.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from neuronlab.tools import pytest_plugin

# Sphinx's own folders: not pages, though _static holds theme HTML snippets.
NOT_PAGES = ("_static", "_sources", "_images", "_downloads", "_panels_static")

# What one page may weigh: its own HTML plus the images it shows.
PAGE_BUDGET_BYTES = 3 * 1024 * 1024


def html_pages(html_dir: Path) -> list[str]:
    """Every built page, as a path relative to ``html_dir`` with '/' separators, sorted."""
    return sorted(path.relative_to(html_dir).as_posix() for path in html_dir.rglob("*.html")
                  if path.relative_to(html_dir).parts[0] not in NOT_PAGES)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PROGRESS = re.compile(r"^(reading sources|writing output|highlighting module code)\.\.\. \[\s*\d+%\]\s+(\S+)")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit)): (.*)")


def build_problems(log: str) -> list[str]:
    """What went wrong in a Sphinx / Jupyter Book build log, each line naming its page.

    Warnings and errors carry their source file. A crash (a page Sphinx cannot read at all)
    stops the build with a traceback that names no page, so the page it was working on is
    taken from the last progress line before it.
    """
    problems, page = [], None
    lines = [_ANSI.sub("", line).rstrip() for line in log.splitlines()]
    for number, line in enumerate(lines):
        progress = _PROGRESS.match(line)
        if progress:
            page = progress.group(2)
        elif re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b", line):
            problems.append(line.strip())
        elif line.startswith("Traceback") or "Exception occurred" in line:
            cause = next((match.group(0) for later in lines[number:]
                          if (match := _EXCEPTION.match(later))), "an exception")
            stopped = f"the build stopped while on page {page or '(before reading any page)'}"
            if not any(problem.startswith(stopped) for problem in problems):  # one cause a page
                problems.append(f"{stopped}: {cause}")
    return problems


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag.attribute, url)
    images: list[dict[str, str | None]] = field(default_factory=list)  # attributes of every <img>


class _PageParser(HTMLParser):
    # Where a URL may sit: what a reader follows or a browser loads.
    URL_ATTRIBUTES = {("a", "href"), ("img", "src"), ("script", "src"), ("link", "href"),
                      ("source", "src"), ("iframe", "src"), ("video", "src"), ("audio", "src")}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.page.ids.add(attributes[name])
        if tag == "link" and set((attributes.get("rel") or "").split()) & {"preconnect", "dns-prefetch"}:
            return
        for attribute in ("href", "src"):
            value = attributes.get(attribute)
            if (tag, attribute) in self.URL_ATTRIBUTES and value is not None:
                self.page.links.append((f"{tag}.{attribute}", value.strip()))
        if tag == "img":
            self.page.images.append(attributes)
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            target = re.search(r"url\s*=\s*['\"]?([^'\";]+)", attributes.get("content") or "", re.I)
            if target:
                self.page.links.append(("meta.refresh", target.group(1).strip()))


_PARSED: dict[tuple[Path, float, int], ParsedPage] = {}


def parse(path: Path) -> ParsedPage:
    """The ids, links and images of one HTML file (cached while the file is unchanged)."""
    stat = path.stat()
    key = (path, stat.st_mtime, stat.st_size)
    if key not in _PARSED:
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        _PARSED[key] = parser.page
    return _PARSED[key]


@dataclass
class LinkReport:
    broken: list[str]  # "page: tag.attribute 'url' — why"
    external: dict[str, set[str]]  # url → the pages that link to it


_BASE = "http://site.invalid/"  # a base no page can leave by a relative link


def _local_target(html_dir: Path, url_path: str) -> Path:
    relative = unquote(url_path[len(urlsplit(_BASE).path):])
    target = html_dir / PurePosixPath(relative)
    if url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def check_links(html_dir: Path) -> LinkReport:
    """Resolve every internal link and image of every page; list the external ones, fetching none.

    An internal link is broken when its file is missing, or when its ``#fragment`` names an id
    the target page does not have. Links that only run script (``javascript:``) and inline
    ``data:`` URLs are neither.
    """
    broken: list[str] = []
    external: dict[str, set[str]] = {}
    for page in html_pages(html_dir):
        page_url = urljoin(_BASE, page)
        for where, url in parse(html_dir / page).links:
            if not url or url.startswith(("javascript:", "data:", "blob:")):
                continue
            scheme = urlsplit(url).scheme
            if scheme or url.startswith("//"):
                if scheme in ("http", "https", "mailto", "ftp", "tel") or url.startswith("//"):
                    external.setdefault(url, set()).add(page)
                else:
                    broken.append(f"{page}: {where} {url!r} — unknown scheme {scheme!r}")
                continue
            absolute, fragment = urldefrag(urljoin(page_url, url))
            if not absolute.startswith(_BASE):
                broken.append(f"{page}: {where} {url!r} — leaves the site's folder")
                continue
            target = _local_target(html_dir, urlsplit(absolute).path)
            if not target.is_file():
                broken.append(f"{page}: {where} {url!r} — {target.relative_to(html_dir).as_posix()} does not exist")
                continue
            fragment = unquote(fragment)
            if fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                where_to = target.relative_to(html_dir).as_posix()
                broken.append(f"{page}: {where} {url!r} — {where_to} has no id {fragment!r}")
    return LinkReport(broken, external)


def redirect_target(html_dir: Path, page: str) -> str | None:
    """Where a redirect page (``<meta http-equiv="refresh">``) sends the reader, relative to ``html_dir``."""
    for where, url in parse(html_dir / page).links:
        if where == "meta.refresh":
            absolute = urldefrag(urljoin(urljoin(_BASE, page), url))[0]
            return absolute[len(_BASE):] if absolute.startswith(_BASE) else None
    return None


def local_images(html_dir: Path, page: str) -> list[Path]:
    """The image files on this site that a page shows, each once."""
    page_url = urljoin(_BASE, page)
    found: dict[Path, None] = {}
    for image in parse(html_dir / page).images:
        source = (image.get("src") or "").strip()
        if not source or urlsplit(source).scheme or source.startswith("//"):
            continue
        target = _local_target(html_dir, urlsplit(urldefrag(urljoin(page_url, source))[0]).path)
        if target.is_file():
            found[target] = None
    return list(found)


def page_weight(html_dir: Path, page: str) -> int:
    """Bytes a reader downloads for what is particular to one page: its HTML and its images.

    Theme assets (``_static``: CSS, scripts, fonts) are left out: every page shares them and
    the browser downloads them once for the whole site (the browser test reports their weight).
    Images inlined as ``data:`` URLs are inside the HTML and so are counted with it.
    """
    return (html_dir / page).stat().st_size + sum(path.stat().st_size for path in local_images(html_dir, page))


@dataclass
class Figure:
    path: Path
    width: int
    height: int
    dpi: float | None  # from the PNG's pHYs chunk, if it has one
    bytes: int

    @property
    def bytes_per_pixel(self) -> float:
        return self.bytes / max(1, self.width * self.height)


def read_png(path: Path) -> Figure:
    """Size, DPI and weight of a PNG, read from its header (raises ValueError if it is no PNG)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{path.name} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    dpi = None
    offset = 8
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[offset + 8:offset + 17])
            dpi = x * 0.0254 if unit == 1 else None
        if kind in (b"IDAT", b"IEND"):
            break
        offset += 12 + length
    return Figure(path, width, height, dpi, len(data))


# --------------------------------------------------------------------------- building
ROOT = Path(__file__).resolve().parents[2]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
BUILD_COMMAND = [str(JUPYTER_BOOK), "build", str(ROOT), "-W", "-n", "--keep-going"]

def report(line: str) -> None:
    """Say something at the end of the run, in the "site tests" section (shown even with -q)."""
    pytest_plugin.report("site tests", line)


def build_book(source: Path, output: Path) -> tuple[subprocess.CompletedProcess, float]:
    """`jupyter-book build SOURCE -W -n --keep-going` into OUTPUT; the result and its seconds."""
    command = [*BUILD_COMMAND[:2], str(source), *BUILD_COMMAND[3:], "--path-output", str(output)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    return result, time.perf_counter() - start


@dataclass
class BuiltSite:
    output: Path  # what --path-output was given
    log: str
    returncode: int
    seconds: float
    toc: str  # _toc.yml as the build read it (authors may be editing it meanwhile)

    @property
    def html(self) -> Path:
        return self.output / "_build" / "html"

    @property
    def pages(self) -> list[str]:
        return html_pages(self.html)
