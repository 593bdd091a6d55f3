"""Sphinx extension: the site works without a network — MathJax, the widget manager and fonts served by the site.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

Sphinx loads MathJax, and MyST-NB the widget manager (require.js and ``@jupyter-widgets/html-manager``),
from CDNs: read offline (a local build, a classroom without internet) every formula stays raw TeX. And
systems without Korean or emoji fonts (Debian with Chromium, for one) show the glossary's Korean terms
and the 🎛 / 🚀 marks as empty boxes. This extension puts the npm packages of the same releases into the
built site's ``_static/vendor/`` and points the pages at them:

- ``mathjax`` — ``tex-mml-chtml.js`` with its fonts, TeX extensions and menu;
- ``requirejs`` and ``@jupyter-widgets/html-manager`` — the scripts MyST-NB loads on a page with live widgets;
- ``@fontsource/noto-sans-kr`` and ``@fontsource/noto-emoji`` — the regular weight, split by fontsource into
  small files by Unicode range: a page downloads only the files holding the characters it shows (a page
  without Hangul downloads none), declared in ``_static/vendor/fonts.css`` as "Noto Sans KR" and
  "Noto Emoji", which ``_static/site.css`` names in its font stacks after the reader's own fonts.
  After the build, the stylesheet keeps only the files whose range holds a character some page of the
  site shows (about 20 of 136), and the others are removed from the built site.

The packages are fetched once with ``npm pack`` (npm's own client; the Debian package ``npm``) into a cache
outside the repository (``$NEURONLAB_SITE_CACHE``, default ``~/.cache/neuronlab-site``) and unpacked with
:func:`neuronlab.tools.archives.npm_package` (the same fetcher as the browser tests'). Without npm the build still succeeds and says so in its log:
the pages then load MathJax and the widget manager from the CDNs, as Sphinx and MyST-NB do by default.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sphinx.util import logging

from neuronlab.tools.archives import npm_package  # one fetcher for the site and its tests

logger = logging.getLogger(__name__)

# The releases the site serves; the CDN defaults of Sphinx 7.4 and MyST-NB 1.x name the same ones.
PACKAGES = {
    "mathjax": "3.2.2",
    "requirejs": "2.3.4",
    "@jupyter-widgets/html-manager": "1.0.6",
    "@fontsource/noto-sans-kr": "5.3.0",
    "@fontsource/noto-emoji": "5.3.2",
}
VENDOR = "vendor"  # under the built site's _static/
MATHJAX = f"{VENDOR}/mathjax/tex-mml-chtml.js"
REQUIREJS = f"{VENDOR}/requirejs/require.js"
WIDGET_MANAGER = f"{VENDOR}/html-manager/embed-amd.js"
FONTS_CSS = f"{VENDOR}/fonts.css"
FONTS = {"@fontsource/noto-sans-kr": ("noto-sans-kr", "Noto Sans KR"),
         "@fontsource/noto-emoji": ("noto-emoji", "Noto Emoji")}
_STAGE_VERSION = "1"  # bump when what is staged changes


def cache_dir() -> Path:
    base = os.environ.get("NEURONLAB_SITE_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neuronlab-site"


def _copy(source: Path, target: Path, keep=lambda path: True) -> None:
    for path in sorted(source.rglob("*")):
        if path.is_file() and keep(path):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def _font_faces(package: Path, folder: str, family: str) -> str:
    """fontsource's @font-face rules of the regular weight, pointing at the copied woff2 files."""
    return "\n".join(_FACE_START + block for block in _faces(package, folder, family))


_FACE_START = "@font-face {"


def _faces(package: Path, folder: str, family: str) -> list[str]:
    """The @font-face rules (each without its opening ``@font-face {``)."""
    css = (package / "400.css").read_text(encoding="utf-8")
    faces = []
    for block in re.findall(r"@font-face\s*\{[^}]*\}", css):
        woff2 = re.search(r"url\(\./files/([^)]+\.woff2)\)", block)
        ranges = re.search(r"unicode-range:\s*([^;]+);", block)
        if not (woff2 and ranges):
            continue
        faces.append(f"\n  font-family: '{family}';\n  font-style: normal;\n  font-weight: 400;\n"
                     f"  font-display: swap;\n  src: url(./{folder}/{woff2.group(1)}) format('woff2');\n"
                     f"  unicode-range: {ranges.group(1).strip()};\n}}")
    if not faces:
        raise RuntimeError(f"{package / '400.css'} declares no woff2 font with a unicode-range")
    return faces


def _in_range(ranges: str, code: int) -> bool:
    for part in ranges.split(","):
        low, _, high = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
        if int(low, 16) <= code <= int(high or low, 16):
            return True
    return False


def keep_used_fonts(app, exception) -> None:
    """Keep in fonts.css, and in the built site, only the font files some page needs."""
    if exception is not None or app.builder.format != "html" or not getattr(app, "neuronlab_offline", False):
        return
    out = Path(app.outdir)
    stylesheet = out / "_static" / FONTS_CSS
    if not stylesheet.is_file():
        return
    shown = set()
    for page in out.rglob("*.html"):
        shown.update(ord(c) for c in page.read_text(encoding="utf-8", errors="replace") if ord(c) > 0x2FF)
    css = stylesheet.read_text(encoding="utf-8")
    header, *blocks = css.split(_FACE_START)
    kept, dropped = [], []
    for block in blocks:
        ranges = re.search(r"unicode-range:\s*([^;]+);", block).group(1)
        source = re.search(r"url\(\./([^)]+)\)", block).group(1)
        (kept if any(_in_range(ranges, code) for code in shown) else dropped).append((block, source))
    stylesheet.write_text(header + "".join(_FACE_START + block for block, _ in kept), encoding="utf-8")
    for _, source in dropped:
        (stylesheet.parent / source).unlink(missing_ok=True)
    logger.info(f"offline_assets: {len(kept)} of {len(blocks)} font files hold characters the site shows")


def stage(root: Path) -> Path:
    """A folder holding ``vendor/…`` as the site serves it (made once, then reused)."""
    key = "-".join(f"{name.split('/')[-1]}{version}" for name, version in PACKAGES.items())
    staged = root / f"static-{_STAGE_VERSION}-{key}"
    if (staged / ".complete").exists():
        return staged
    packages = {name: npm_package(name, version, root / "npm") for name, version in PACKAGES.items()}
    scratch = Path(tempfile.mkdtemp(dir=root, prefix="staging-"))
    vendor = scratch / VENDOR
    es5 = packages["mathjax"] / "es5"
    (vendor / "mathjax").mkdir(parents=True)
    shutil.copyfile(es5 / "tex-mml-chtml.js", vendor / "mathjax" / "tex-mml-chtml.js")
    for part in ("output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"):
        _copy(es5 / part, vendor / "mathjax" / part)
    (vendor / "requirejs").mkdir()
    shutil.copyfile(packages["requirejs"] / "require.js", vendor / "requirejs" / "require.js")
    _copy(packages["@jupyter-widgets/html-manager"] / "dist", vendor / "html-manager",
          keep=lambda path: path.suffix in (".js", ".woff2", ".woff", ".css"))
    faces = []
    for name, (folder, family) in FONTS.items():
        _copy(packages[name] / "files", vendor / folder, keep=lambda path: path.name.endswith("-400-normal.woff2"))
        faces.append(_font_faces(packages[name], folder, family))
    (vendor / "fonts.css").write_text(
        "/* Korean and emoji glyphs served by the site (_ext/offline_assets.py): a page downloads only\n"
        "   the files whose unicode-range holds a character it shows. */\n" + "\n".join(faces) + "\n",
        encoding="utf-8")
    (scratch / ".complete").write_text(key + "\n")
    try:
        scratch.rename(staged)
    except OSError:  # another build staged it first
        shutil.rmtree(scratch, ignore_errors=True)
    return staged


# --------------------------------------------------------------------------- Sphinx
def use_local_assets(app, config) -> None:
    try:
        staged = stage(cache_dir())
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as error:
        logger.info(f"offline_assets: the site will load MathJax and the widget manager from their CDNs ({error})")
        app.neuronlab_offline = False
        return
    config.html_static_path = [*config.html_static_path, str(staged)]
    config.mathjax_path = MATHJAX
    # MyST-NB adds these to a page with live widgets; a relative name is a file under _static.
    # The html-manager loads widget modules it does not bundle from data-jupyter-widgets-cdn: the
    # standard controls are bundled, so the course's pages never reach it.
    config.nb_ipywidgets_js = {REQUIREJS: {},
                               WIDGET_MANAGER: {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"}}
    app.neuronlab_offline = True


def add_fonts(app) -> None:
    if getattr(app, "neuronlab_offline", False):
        app.add_css_file(FONTS_CSS, priority=400)  # before the theme's and site.css, which name the families


def setup(app):
    app.connect("config-inited", use_local_assets, priority=900)  # after MyST-NB registered its settings
    app.connect("builder-inited", add_fonts)
    app.connect("build-finished", keep_used_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
