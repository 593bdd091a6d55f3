"""Generate ``learner/``: the course's notebooks as a learner opens them outside the site.

The chapter, solution and exercise notebooks are written in MyST Markdown for the site:
glossary roles (``{term}``), numbers pasted from the run (``{glue:text}``), citations
(``{cite}``), exercise and admonition directives (``:::{exercise}``, ``:::{note}``).
JupyterLab, Colab, VS Code and GitHub's viewer show that markup raw, and a glued number
not at all.  This command writes a copy of every notebook whose Markdown says the same in
plain Markdown, and changes nothing else::

    python -m neuronlab.tools.learner_notebooks           # write learner/
    python -m neuronlab.tools.learner_notebooks chapters/02_perceptrons.ipynb   # one notebook's copy
    python -m neuronlab.tools.learner_notebooks --check   # exit 1 if learner/ is out of date

``learner/`` mirrors the repository's folders (``learner/chapters/02_perceptrons.ipynb``,
``learner/exercises/02_perceptrons/02_perceptrons.ipynb``, …), so the file names a
learner sees are the chapters' own and the notebooks' relative links to each other
keep working.  The README's badges and the site's Binder and Colab buttons open these
copies (``repository.path_to_book`` in ``_config.yml``).

What a learner copy changes, in Markdown cells only:

- ``{term}`text <target>``` becomes a link to the term's entry in the site's glossary;
- ``{glue:text}`name:spec``` becomes the value the stored run glued, formatted by
  myst-nb's own function (the site's text, digit for digit); the glue records
  themselves, invisible data outputs, are dropped;
- ``{cite}`key1,key2``` becomes "(Author, Year; …)", each linked to its entry in the
  site's bibliography, with the bibliography's own labels (``_ext/site_tweaks.py``);
- ``:::{exercise}`` becomes a heading "Exercise N" (numbered within the notebook),
  ``{solution}`` "Solution to Exercise N", admonitions and dropdowns a block quote
  headed by their title;
- ``{ref}``, ``{numref}``, ``{doc}`` become links (to the learner copy of a notebook,
  else to the site), links to the book's Markdown pages point at the site;
- MyST-only lines (``(label)=`` targets, ``%`` comments, ``+++``) are dropped;
- cells the site hides (tags ``remove-cell``, ``remove-input``, ``hide-input``…) start
  collapsed in JupyterLab (``metadata.jupyter.source_hidden``);
- nbgrader's checksums are recomputed for the Markdown cells that changed.

Code cells, their stored outputs, cell ids and tags are the source's.  Markup this
module does not know stops the generation with the notebook, cell and construct named,
so nothing raw reaches a learner (``raw_markup`` is the check the tests run too).

The site's address is ``html.baseurl`` in ``_config.yml``.  :func:`update` is the call for the
executor after a run (the copies of the notebooks it ran), so stored outputs and learner copies
change together.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
LEARNER = ROOT / "learner"
SOURCE_FOLDERS = ("chapters", "solutions", "exercises")
CONFIG = ROOT / "_config.yml"
BIBLIOGRAPHY = ROOT / "book" / "references.bib"
GLOSSARY_PAGE, BIBLIOGRAPHY_PAGE = "book/glossary.html", "book/bibliography.html"
COMMAND = "python -m neuronlab.tools.learner_notebooks"
GLUE_PREFIX = "application/papermill.record/"
HIDDEN_INPUT_TAGS = {"remove-cell", "remove-input", "hide-input", "hide-cell"}
HIDDEN_OUTPUT_TAGS = {"remove-output", "hide-output"}

ADMONITIONS = {name: name.capitalize() for name in
               ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error")}
ADMONITIONS["seealso"] = "See also"
TITLED = {"admonition", "dropdown", "topic", "sidebar", "margin"}  # the title is the directive's argument
CITE_ROLES = {"cite", "cite:p", "cite:ps", "cite:t", "cite:ts"}

# A fenced block (code or directive): its opening line; the closing line is found by hand.
FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\s*\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<argument>.*?)\s*$")
# Inline: a code span, or a role ``{name}`content```; the leftmost wins, so a role written
# inside a code span stays code, and a role's own backticks never open a code span.
INLINE = re.compile(r"(?P<code>(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`))"
                    r"|\{(?P<role>[A-Za-z][\w:.-]*)\}`(?P<content>[^`]*)`", re.S)
LINK = re.compile(r"(?<!\\)(?P<image>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
MYST_LINE = re.compile(r"^\s*(?:\([\w.:-]+\)=\s*|%.*|\+\+\+.*)$")


class LearnerNotebookError(ValueError):
    """A source notebook holds markup a learner copy cannot say; the message names where."""


# --------------------------------------------------------------------------- what the site knows
def site_url(config_path: Path = CONFIG) -> str:
    """The site's address, ``html.baseurl`` in ``_config.yml``, ending in ``/``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    url = ((config.get("html") or {}).get("baseurl") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise LearnerNotebookError(f"{config_path.name}: html.baseurl must be the site's address "
                                   f"(https://…), got {url!r}; learner notebooks link to it")
    return url.rstrip("/") + "/"


@functools.cache
def glossary_anchors() -> dict[str, str]:
    """``{term in lower case: its anchor on the glossary page}``, as Sphinx makes them."""
    from sphinx.util.nodes import _make_id  # the id Sphinx's glossary gives a term: make_id(…, "term", term)

    from neuronlab.tools.glossary_links import glossary_terms

    anchors, seen = {}, {}
    for term in glossary_terms():
        anchor = _make_id(f"term-{term}")
        if anchor in seen:  # Sphinx would number the second one; say so instead of guessing
            raise LearnerNotebookError(f"book/glossary.md: the terms {seen[anchor]!r} and {term!r} get the same "
                                       f"anchor {anchor!r}; rename one")
        anchors[term.lower()], seen[anchor] = anchor, term
    return anchors


def _site_tweaks():
    """``_ext/site_tweaks.py``, the site's author–year labels (loaded once, as Sphinx loads it)."""
    module = sys.modules.get("site_tweaks")
    if module is None:
        spec = importlib.util.spec_from_file_location("site_tweaks", ROOT / "_ext" / "site_tweaks.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["site_tweaks"] = module
        spec.loader.exec_module(module)
    return module


def cited_keys() -> set[str]:
    """Every bibliography key the site cites: its list holds these (sphinxcontrib-bibtex's ``cited``)."""
    keys = set()
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")]
    for path in source_notebooks():
        texts += [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    for text in texts:
        for match in INLINE.finditer(text):
            if match["role"] in CITE_ROLES:
                keys.update(key.strip() for key in match["content"].split(",") if key.strip())
    return keys


@functools.cache
def bibliography_labels() -> dict[str, str]:
    """``{key: "Author et al., 2015"}``: the labels of the site's bibliography, for the entries it lists."""
    from pybtex.database import parse_file

    entries = parse_file(str(BIBLIOGRAPHY), bib_format="bibtex").entries
    cited = sorted(key for key in cited_keys() if key in entries)
    formatted = _site_tweaks().AuthorYearStyle().format_entries([entries[key] for key in cited])
    return {entry.key: entry.label for entry in formatted}


def bibliography_anchor(key: str) -> str:
    """The anchor of ``key``'s entry on the bibliography page (``bibtex_cite_id`` in ``_config.yml``)."""
    from docutils.nodes import make_id

    return make_id(f"cite-{key}")


# --------------------------------------------------------------------------- glued values
def glued_values(notebook: nbformat.NotebookNode) -> dict[str, dict]:
    """``{name: mime bundle}`` of every value the notebook's stored run glued (myst-nb's format)."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            record = output.get("metadata", {}).get("scrapbook")
            if record and "name" in record:
                prefix = record.get("mime_prefix", "")
                values[record["name"]] = {mime[len(prefix):]: data for mime, data in output.get("data", {}).items()}
    return values


def _is_glue_record(output) -> bool:
    return output.get("metadata", {}).get("scrapbook", {}).get("mime_prefix") == GLUE_PREFIX


def glue_text(values: dict[str, dict], content: str) -> str:
    """The text ``{glue:text}`content``` shows on the site: myst-nb's parsing and formatting."""
    from myst_nb.core.variables import format_plain_text

    key, _, spec = content.rpartition(":") if ":" in content else (content, "", "s")
    if "::" in key:
        raise LearnerNotebookError(f"{{glue:text}}`{content}` pastes from another notebook; "
                                   "glue the value in this one")
    if key not in values:
        raise LearnerNotebookError(f"{{glue:text}}`{content}`: no value glued as {key!r} in the stored outputs "
                                   "(rerun the notebook with the executor)")
    text = values[key].get("text/plain")
    if text is None:
        raise LearnerNotebookError(f"{{glue:text}}`{content}`: the value glued as {key!r} has no text/plain")
    return format_plain_text(text if isinstance(text, str) else "".join(text), spec)


# --------------------------------------------------------------------------- Markdown
@dataclass
class Context:
    """What rewriting a notebook's Markdown needs to know."""

    source: Path            # the source notebook
    values: dict            # its glued values
    site: str               # the site's address, ending in "/"
    exercises: dict         # exercise label -> its number in this notebook
    heading_level: int = 1  # the level of the last heading seen, for exercise headings
    exercise_count: int = 0
    where: str = ""

    @property
    def page(self) -> PurePosixPath:
        return PurePosixPath(self.source.relative_to(ROOT).as_posix())

    def fail(self, message: str) -> LearnerNotebookError:
        return LearnerNotebookError(f"{self.where}: {message}")


def _escape_link_text(text: str) -> str:
    return text.replace("[", r"\[").replace("]", r"\]")


def _term(content: str, context: Context) -> str:
    match = re.fullmatch(r"\s*(?P<text>.*?)\s*(?:<(?P<target>[^<>]*)>)?\s*", content, re.S)
    text, target = match["text"], (match["target"] or match["text"]).strip()
    anchor = glossary_anchors().get(re.sub(r"\s+", " ", target).lower())
    if anchor is None:
        raise context.fail(f"{{term}}`{content}`: {target!r} is not a term of book/glossary.md")
    return f"[{_escape_link_text(text or target)}]({context.site}{GLOSSARY_PAGE}#{anchor})"


def _citation(role: str, content: str, context: Context) -> str:
    if "{" in content:
        raise context.fail(f"{{{role}}}`{content}`: pre- and post-text in citations is not supported here")
    labels, parts = bibliography_labels(), []
    for key in (k.strip() for k in content.split(",")):
        if key not in labels:
            raise context.fail(f"{{{role}}}`{content}`: {key!r} is not in book/references.bib")
        url = f"{context.site}{BIBLIOGRAPHY_PAGE}#{bibliography_anchor(key)}"
        label = labels[key]
        if role in ("cite:t", "cite:ts"):
            who, _, year = label.rpartition(", ")
            parts.append(f"[{_escape_link_text(who)} ({year})]({url})")
        else:
            parts.append(f"[{_escape_link_text(label)}]({url})")
    return "; ".join(parts) if role in ("cite:t", "cite:ts") else f"({'; '.join(parts)})"


def _page_link(target: str, context: Context, what: str) -> str:
    """Where a link to ``target`` (a repository path relative to the source) goes from the learner copy."""
    path, _, anchor = target.partition("#")
    resolved = PurePosixPath(*_normalise((context.page.parent / path).parts))
    if resolved.suffix == ".ipynb" or (not resolved.suffix and (ROOT / f"{resolved}.ipynb").is_file()):
        notebook = resolved if resolved.suffix else resolved.with_suffix(".ipynb")
        if not (ROOT / notebook).is_file() or notebook.parts[0] not in SOURCE_FOLDERS:
            raise context.fail(f"{what} {target!r}: {notebook} is not one of the course's notebooks")
        relative = _relative(notebook, context.page.parent)
        return relative + (f"#{anchor}" if anchor else "")
    page = resolved.with_suffix("") if resolved.suffix in (".md", ".ipynb", "") else None
    if page is None or not (ROOT / f"{page}.md").is_file():
        raise context.fail(f"{what} {target!r}: no learner copy and no page of the site")
    return f"{context.site}{page}.html" + (f"#{anchor}" if anchor else "")


def _normalise(parts) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if not out:
                raise LearnerNotebookError(f"a link leaves the repository: {'/'.join(parts)}")
            out.pop()
        elif part not in (".", ""):
            out.append(part)
    return out


def _relative(target: PurePosixPath, start: PurePosixPath) -> str:
    common = 0
    while (common < len(start.parts) and common < len(target.parts) - 1
           and start.parts[common] == target.parts[common]):
        common += 1
    return "/".join([".."] * (len(start.parts) - common) + list(target.parts[common:]))


def _ref(role: str, content: str, context: Context) -> str:
    match = re.fullmatch(r"\s*(?P<text>.*?)\s*(?:<(?P<target>[^<>]*)>)?\s*", content, re.S)
    text, target = match["text"], (match["target"] or match["text"]).strip()
    if role == "doc":
        link = _page_link(target, context, "{doc}")
        if not match["target"]:
            text = _title_of(target, context)
        return f"[{_escape_link_text(text)}]({link})"
    if target in context.exercises:  # an exercise of this notebook
        title = f"Exercise {context.exercises[target]}"
        return title if not match["target"] else text
    label = labels().get(target)
    if label is None:
        raise context.fail(f"{{{role}}}`{content}`: no target ({target}) = or exercise :label: {target} in the course")
    page, title = label
    return f"[{_escape_link_text(text if match['target'] else title)}]({context.site}{page}.html#{target})"


def _title_of(target: str, context: Context) -> str:
    path = PurePosixPath(*_normalise((context.page.parent / target.partition("#")[0]).parts))
    for candidate in (ROOT / path, ROOT / f"{path}.ipynb", ROOT / f"{path}.md"):
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
            if candidate.suffix == ".ipynb":
                cells = nbformat.reads(text, as_version=4).cells
                text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
            heading = re.search(r"^#\s+(.+)$", text, re.M)
            if heading:
                return heading[1].strip()
    raise context.fail(f"{{doc}}`{target}`: cannot find its title")


@functools.cache
def labels() -> dict[str, tuple[str, str]]:
    """``{label: (page, title)}`` for the ``(label)=`` targets of the course's notebooks and pages."""
    found = {}
    sources = [(p, [c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "markdown"])
               for p in source_notebooks()]
    sources += [(p, [p.read_text(encoding="utf-8")]) for p in sorted((ROOT / "book").glob("*.md"))]
    for path, texts in sources:
        page = path.relative_to(ROOT).with_suffix("").as_posix()
        for text in texts:
            for match in re.finditer(r"^\((?P<label>[\w.:-]+)\)=\s*\n+#+\s+(?P<title>.+)$", text, re.M):
                found[match["label"]] = (page, match["title"].strip())
    return found


def _role(role: str, content: str, context: Context) -> str:
    if role == "term":
        return _term(content, context)
    if role in ("glue:text", "glue", "glue:any"):
        try:
            return glue_text(context.values, content if role == "glue:text" else content + ":")
        except LearnerNotebookError as error:
            raise context.fail(str(error)) from None
    if role in CITE_ROLES:
        return _citation(role, content, context)
    if role in ("ref", "numref", "doc"):
        return _ref(role, content, context)
    if role == "math":
        return f"${content}$"
    if role in ("sub", "sup"):
        return f"<{role}>{content}</{role}>"
    if role == "abbr":
        return re.sub(r"\s*\([^)]*\)\s*$", "", content)
    raise context.fail(f"the role {{{role}}}`{content}` has no plain-Markdown form here; "
                       f"teach neuronlab/tools/learner_notebooks.py or write it differently")


def _inline(text: str, context: Context) -> str:
    """Rewrite the roles and links of a stretch of Markdown that holds no fenced block."""

    def replace(match: re.Match) -> str:
        if match["code"]:
            return match["code"]
        return _role(match["role"], match["content"], context)

    def link(match: re.Match) -> str:
        target = match["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return match[0]  # a URL, or an anchor on the same page
        if match["image"]:
            raise context.fail(f"the image {target!r} is a file in the repository: a learner copy cannot show it")
        return f"[{match['text']}]({_page_link(target, context, 'the link')}{match['title'] or ''})"

    pieces, position = [], 0
    for match in INLINE.finditer(text):  # links outside code spans only
        pieces.append(LINK.sub(link, text[position:match.start()]))
        pieces.append(replace(match))
        position = match.end()
    pieces.append(LINK.sub(link, text[position:]))
    return "".join(pieces)


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The index of the line closing the fence opened at ``start`` (CommonMark: same character, as long)."""
    char, length = fence[0], len(fence)
    for index in range(start + 1, len(lines)):
        match = FENCE.match(lines[index])
        if match and match["fence"][0] == char and len(match["fence"]) >= length and not match["info"].strip():
            return index
    return len(lines)  # an unclosed fence runs to the end of the cell


def rewrite_markdown(text: str, context: Context) -> str:
    """The plain-Markdown version of one Markdown cell's source."""
    lines, out, prose, index = text.split("\n"), [], [], 0  # out: (is a rewritten block, its text)

    def flush():
        if prose:
            out.append((False, _inline("\n".join(prose), context)))
            prose.clear()

    while index < len(lines):
        line = lines[index]
        heading = re.match(r"^(#{1,6})\s", line)
        if heading:
            context.heading_level = len(heading[1])
        fence = FENCE.match(line)
        if fence:
            end = _closing(lines, index, fence["fence"])
            directive = DIRECTIVE_INFO.match(fence["info"])
            flush()
            if directive is None and fence["fence"][0] != ":":  # a code block: kept as it is
                out.append((False, "\n".join(lines[index:end + 1])))
            else:
                if directive is None:
                    raise context.fail(f"a colon fence without a directive: {line!r}")
                body = lines[index + 1:end]
                out.append((True, _directive(directive["name"], directive["argument"], body, context)))
            index = end + 1
            continue
        if MYST_LINE.match(line):
            index += 1
            continue
        prose.append(line)
        index += 1
    flush()
    text, after_block = "", False
    for block, piece in out:  # a rewritten block stands apart: one blank line before and after it
        if not text:
            text = piece
        elif block or after_block:
            text = text.rstrip("\n") + "\n\n" + piece.lstrip("\n")
        else:
            text += "\n" + piece
        after_block = block
    return text.strip("\n")


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:name: value`` options and the rest of its body (MyST's short form)."""
    options, rest = {}, list(body)
    while rest and (match := re.match(r"^:(?P<name>[\w-]+):\s*(?P<value>.*)$", rest[0])):
        options[match["name"]] = match["value"].strip()
        rest.pop(0)
    if rest and rest[0].strip() == "---":  # the YAML block form
        end = rest.index("---", 1) if "---" in rest[1:] else None
        if end is None:
            raise LearnerNotebookError("a directive's options block (---) is not closed")
        options.update({str(k): str(v) for k, v in (yaml.safe_load("\n".join(rest[1:end])) or {}).items()})
        rest = rest[end + 1:]
    return options, rest


def _quote(title: str, body: str) -> str:
    lines = [f"> **{title}**", ">"] + [f"> {line}" if line.strip() else ">" for line in body.split("\n")]
    return "\n".join(lines)


def _directive(name: str, argument: str, body: list[str], context: Context) -> str:
    options, rest = _options(body)
    level = context.heading_level
    content = rewrite_markdown("\n".join(rest), context).strip("\n")
    context.heading_level = level  # a directive's own headings do not move the notebook's
    argument = _inline(argument, context) if argument else ""
    if name == "exercise":
        context.exercise_count += 1
        number = "" if "nonumber" in options else f" {context.exercise_count}"
        title = f"Exercise{number}" + (f" · {argument}" if argument else "")
        return f"{'#' * min(level + 1, 6)} {title}\n\n{content}"
    if name == "solution":
        label = argument.strip()
        if label not in context.exercises:
            raise context.fail(f"{{solution}} {label}: no exercise with that :label: in this notebook")
        title = options.get("title") or f"Solution to Exercise {context.exercises[label]}"
        return f"{'#' * min(level + 1, 6)} {title}\n\n{content}"
    if name in ADMONITIONS:
        return _quote(argument or ADMONITIONS[name], content)
    if name in TITLED:
        return _quote(argument or name.capitalize(), content)
    if name == "math":
        return f"$$\n{chr(10).join(rest).strip()}\n$$"
    raise context.fail(f"the directive {{{name}}} has no plain-Markdown form here; "
                       "teach neuronlab/tools/learner_notebooks.py or write it differently")


def _exercise_labels(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """``{label: number}`` of the notebook's exercise directives, in order."""
    numbers, count = {}, 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        for index, line in enumerate(lines):
            fence = FENCE.match(line)
            directive = fence and DIRECTIVE_INFO.match(fence["info"])
            if directive and directive["name"] == "exercise":
                count += 1
                for option in lines[index + 1:]:
                    match = re.match(r"^:label:\s*(\S+)", option)
                    if match:
                        numbers[match[1]] = count
                    if not option.startswith(":"):
                        break
    return numbers


# --------------------------------------------------------------------------- what is left raw
def raw_markup(text: str) -> list[str]:
    """The MyST markup left in ``text`` that plain Markdown renderers would show raw."""
    found, lines, index, prose = [], text.split("\n"), 0, []
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence:
            end = _closing(lines, index, fence["fence"])
            if fence["fence"][0] == ":" or DIRECTIVE_INFO.match(fence["info"]):
                found.append(lines[index].strip())
            index = end + 1
            continue
        if MYST_LINE.match(lines[index]) or re.match(r"^:[\w-]+:", lines[index]):
            found.append(lines[index].strip())
        prose.append(lines[index])
        index += 1
    joined = "\n".join(prose)
    found += [match[0] for match in INLINE.finditer(joined) if match["role"]]
    found += re.findall(r"\{\{[^}]*\}\}", joined)
    return found


# --------------------------------------------------------------------------- notebooks
def source_notebooks(root: Path | None = None) -> list[Path]:
    """The notebooks a learner opens: chapters, solutions and the generated exercises."""
    root = root or ROOT
    return (sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "solutions").glob("*/*.ipynb"))
            + sorted((root / "exercises").glob("*/*.ipynb")))


def target_for(source: Path) -> Path:
    return LEARNER / Path(source).resolve().relative_to(ROOT)


def learner_version(notebook: nbformat.NotebookNode, source: Path) -> nbformat.NotebookNode:
    """The learner copy of ``notebook`` (read from ``source``): a new notebook; the input is unchanged."""
    from nbgrader.utils import compute_checksum

    copy = nbformat.from_dict(notebook)
    name = source.relative_to(ROOT).as_posix()
    context = Context(source=source, values=glued_values(notebook), site=site_url(),
                      exercises=_exercise_labels(notebook))
    copy.metadata.pop("neuronlab", None)  # the executor's stamp describes the source's run
    first_markdown = True
    for index, cell in enumerate(copy.cells):
        context.where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        if cell.cell_type == "markdown":
            original = cell.source
            cell.source = rewrite_markdown(cell.source, context)
            left = raw_markup(cell.source)
            if left:
                raise context.fail(f"markup left raw after rewriting: {left}")
            if first_markdown:
                cell.source += (f"\n\n<!-- Generated from {name} by `{COMMAND}`: "
                                "edit the source notebook, not this copy. -->")
                first_markdown = False
            grading = cell.metadata.get("nbgrader")
            if grading and "checksum" in grading and cell.source != original:
                grading["checksum"] = compute_checksum(cell)
        elif cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if not _is_glue_record(output)]
            tags = set(cell.metadata.get("tags", []))
            if tags & HIDDEN_INPUT_TAGS:
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            if tags & HIDDEN_OUTPUT_TAGS:
                cell.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
    return copy


def render(source: Path) -> str:
    """The learner copy of ``source``, as the text that belongs on disk."""
    source = Path(source).resolve()
    notebook = nbformat.read(source, as_version=4)
    return nbformat.writes(learner_version(notebook, source)) + "\n"


def refresh(sources: list[Path] | None = None, *, check: bool = False, out=None) -> list[Path]:
    """Bring ``learner/`` up to date with the source notebooks; the paths that were (or are) stale.

    ``sources`` limits the work to those notebooks' copies (default: every notebook, and
    copies whose source is gone are removed).  With ``check``, nothing is written.
    Raises :class:`LearnerNotebookError` with every problem found, after writing the rest.
    """
    every = sources is None
    known = source_notebooks()
    if every:
        sources = known
    else:
        sources = [Path(source).resolve() for source in sources]
        unknown = [str(source) for source in sources if source not in known]
        if unknown:
            raise LearnerNotebookError(f"not a chapter, solution or exercise notebook: {', '.join(unknown)}")
    expected = {target_for(source): source for source in sources}
    stale, errors = [], []
    for target, source in expected.items():
        try:
            text = render(source)
        except LearnerNotebookError as error:  # the others are still written; every problem is reported
            errors.append(str(error))
            continue
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    for orphan in sorted(LEARNER.glob("**/*.ipynb")) if every else []:
        if orphan not in expected and ".ipynb_checkpoints" not in orphan.parts:
            stale.append(orphan)
            if not check:
                orphan.unlink()
    if out is not None:
        for path in stale:
            state = "out of date" if check else ("written" if path.exists() else "removed (no source notebook)")
            print(f"learner/{path.relative_to(LEARNER).as_posix()}: {state}", file=out)
    if errors:
        raise LearnerNotebookError("\n".join(errors))
    return stale


def update(paths, out=sys.stdout) -> int:
    """Rewrite the learner copies of ``paths`` (notebooks just run); 0, or 2 after printing the problems.

    For the executor, after a run: ``learner_notebooks.update(paths)``.  Paths that are not
    course notebooks (a scratch notebook) are skipped; a problem is printed, never raised.
    """
    known = set(source_notebooks())
    ours = [Path(path).resolve() for path in paths if Path(path).resolve() in known]
    try:
        refresh(ours, out=out)
    except LearnerNotebookError as error:
        for line in str(error).splitlines():
            print(f"✘ learner copy not written: {line}", file=out)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="only these notebooks' copies (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if learner/ is out of date")
    args = parser.parse_args(argv)
    try:
        stale = refresh(args.paths or None, check=args.check, out=sys.stdout)
    except LearnerNotebookError as error:
        for line in str(error).splitlines():
            print(f"✘ {line}", file=sys.stderr)
        return 2
    if args.check and stale:
        print(f"learner/ is out of date with the notebooks it is made from: run `{COMMAND}`", file=sys.stderr)
        return 1
    if not stale:
        print(f"learner/ is up to date ({len(args.paths or source_notebooks())} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
