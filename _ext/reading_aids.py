"""Sphinx extension: the reading aids of the course's site, made at build time so they never go stale.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

- ``{course-path}`` — the overview figure of the course's path (``neuronlab.tools.course_path``),
  drawn at every build into the built site's ``_static/course_path.svg``: chapters in the table
  of contents are drawn solid, the others dashed. The alt text comes from the same data;
  the directive's content is the caption.
- ``{runtime-table}`` — the run-time table of the chapters in the table of contents, read from
  the executor's stamps in the chapter and solution notebooks (``neuronlab.tools.runtimes``).
  The page that holds it is re-read whenever one of those notebooks changes.
- **Exercises ↔ solutions.** Every page under ``exercises/`` or ``solutions/`` opens with a bar
  linking its chapter and its counterpart (the exercises link their solutions and back),
  so the notebooks need no link of their own.
- **The glossary by letter.** ``book/glossary.md`` keeps one ``{glossary}`` list (the form
  ``neuronlab.tools.glossary_links`` reads); the page is built from it sorted as a reader looks
  terms up (ℓ1 under L, case and accents ignored), in one section per letter ("0–9" first), under
  an A–Z bar of links — so the page has on-page contents and a reader jumps to a letter.
- **Exercise numbers per chapter.** sphinx-exercise numbers ``{exercise}`` directives across the
  whole book (chapter 04's would be "Exercise 13"); the exercise notebooks number theirs from 1 in
  each chapter. The numbers are reassigned page by page, 1, 2, … in reading order, so "Exercise 3"
  in a chapter is exercise 3 of its notebook (and ``{numref}`` links say the same).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

FIGURE = "_static/course_path.svg"  # where the built site holds the course-path figure
PAIRED = ("exercises", "solutions")


# --------------------------------------------------------------------------- which documents
def chapter_docs(documents) -> list[str]:
    """The chapters among the site's documents, in file-name order ("chapters/01_…")."""
    return sorted(doc for doc in documents if PurePosixPath(doc).parent.as_posix() == "chapters")


def pair_of(docname: str, documents) -> dict[str, str] | None:
    """For an exercise or solution page, the documents of its chapter, exercises and solutions.

    ``{"chapter": …, "exercises": …, "solutions": …}`` with those the site builds, or None
    when ``docname`` is neither kind of page.
    """
    parts = PurePosixPath(docname).parts
    if len(parts) != 3 or parts[0] not in PAIRED:
        return None
    name = parts[1]
    candidates = {"chapter": f"chapters/{name}", "exercises": f"exercises/{name}/{parts[2]}",
                  "solutions": f"solutions/{name}/{parts[2]}"}
    return {role: doc for role, doc in candidates.items() if doc in documents}


def _doc_link(target: str, fromdoc: str, text: str = "") -> addnodes.pending_xref:
    """A link to a document, resolved (and checked, with -n) as ``{doc}`` links are."""
    link = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{target}",
                                 refexplicit=bool(text), refwarn=True, refdoc=fromdoc)
    link += nodes.inline(text, text)
    return link


# --------------------------------------------------------------------------- exercises ↔ solutions
def add_pair_bar(app, doctree) -> None:
    docname = app.env.docname
    pair = pair_of(docname, app.env.found_docs)
    if not pair:
        return
    here = PurePosixPath(docname).parts[0]
    other = "solutions" if here == "exercises" else "exercises"
    paragraph = nodes.paragraph()
    paragraph += nodes.Text("Exercises for " if here == "exercises" else "Solutions to the exercises for ")
    if "chapter" in pair:
        paragraph += _doc_link(pair["chapter"], docname)
    else:
        paragraph += nodes.Text(f"chapter {PurePosixPath(docname).parts[1].split('_')[0]}")
    paragraph += nodes.Text(".")
    if other in pair:
        if here == "exercises":
            paragraph += nodes.Text(" When you have tried them, compare with ")
            paragraph += _doc_link(pair[other], docname, "the solutions")
        else:
            paragraph += nodes.Text(" The same exercises without the answers: ")
            paragraph += _doc_link(pair[other], docname, "the exercises")
        paragraph += nodes.Text(".")
    bar = nodes.container("", paragraph, classes=["exercise-pair", f"exercise-pair-{here}"])
    # Under the page's title: in the first section, after its heading.
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, bar)
    else:
        doctree.insert(0, bar)


# --------------------------------------------------------------------------- the glossary by letter
GLOSSARY = "book/glossary"
_GLOSSARY_BLOCK = re.compile(r"^```\{glossary\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def glossary_entries(block: str) -> list[str]:
    """The entries of a ``{glossary}`` block: each its term line(s) and indented definition."""
    entries: list[list[str]] = []
    previous_blank = True
    for line in block.splitlines():
        starts_term = bool(line.strip()) and not line[0].isspace() and not line.startswith(":")
        if starts_term and previous_blank:
            entries.append([])
        if entries:
            entries[-1].append(line)
        elif line.strip():  # an option line (":sorted:") before the first term: not an entry
            pass
        previous_blank = not line.strip()
    return ["\n".join(lines).rstrip() for lines in entries]


def glossary_sort_key(term: str) -> str:
    """How a reader looks a term up: ℓ1 as l1, without case or accents."""
    text = unicodedata.normalize("NFKD", term.replace("ℓ", "l"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def glossary_letter(term: str) -> str:
    first = glossary_sort_key(term)[:1]
    return "0–9" if first.isdigit() else first.upper() if first.isalpha() else "#"


def _letter_id(letter: str) -> str:
    return "glossary-" + ("0-9" if letter == "0–9" else "symbols" if letter == "#" else letter.lower())


def glossary_by_letter(app, docname, source) -> None:
    if docname != GLOSSARY:
        return
    text = source[0]
    match = _GLOSSARY_BLOCK.search(text)
    if not match:
        return
    groups: dict[str, list[str]] = {}
    for entry in sorted(glossary_entries(match.group(1)), key=glossary_sort_key):
        groups.setdefault(glossary_letter(entry), []).append(entry)
    order = sorted(groups, key=lambda letter: ("0" if letter == "0–9" else "1" if letter == "#" else "2") + letter)
    bar = " ".join(f'<a href="#{_letter_id(letter)}">{letter}</a>' for letter in order)
    parts = [f'<nav class="glossary-letters" aria-label="Glossary, by letter">{bar}</nav>\n']
    for letter in order:
        parts.append(f"({_letter_id(letter)})=\n## {letter}\n\n```{{glossary}}\n" + "\n\n".join(groups[letter])
                     + "\n```\n")
    source[0] = text[:match.start()] + "\n".join(parts) + text[match.end():]


# --------------------------------------------------------------------------- exercise numbers
def number_exercises_per_page(app, env) -> list[str]:
    """After Sphinx numbers figures across the book, number each page's exercises from 1.

    Runs after the toctree collector's ``env-get-updated`` handler (priority 900), which has just
    filled ``env.toc_fignumbers``: {docname: {figtype: {node id: (number,)}}} in document order.
    """
    for numbers in env.toc_fignumbers.values():
        exercises = numbers.get("exercise")
        if exercises:
            for position, node_id in enumerate(exercises, start=1):
                exercises[node_id] = (position,)
    return []


# --------------------------------------------------------------------------- the run-time table
class RuntimeTable(SphinxDirective):
    """The chapters of the table of contents with their notebooks' run times and exercise points."""

    has_content = False
    option_spec = {"class": directives.class_option}

    def run(self):
        from neuronlab.tools import runtimes

        documents = self.env.found_docs
        chapters = chapter_docs(documents)
        _toc_dependent_pages(self.env).add(self.env.docname)
        try:
            rows = runtimes.chapter_runtimes(self.env.srcdir, chapters, documents)
        except (OSError, ValueError) as error:  # a chapter that is no notebook, or one nbformat cannot read
            return [self.state.document.reporter.warning(f"runtime-table: {error}", line=self.lineno)]
        for row in rows:  # re-read this page when a stamp changes
            for doc in (row.chapter, row.solutions):
                if doc:
                    self.env.note_dependency(str(Path(self.env.srcdir) / f"{doc}.ipynb"))
        header, body = runtimes.runtime_table(rows)
        table = nodes.table(classes=["runtime-table", *self.options.get("class", [])])
        group = nodes.tgroup(cols=len(header))
        table += group
        for width in (36, 24, 14, 26):  # chapter, run time · memory, points, run time · memory
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self._row([runtimes.Cell(text) for text in header])
        group += head
        rows_node = nodes.tbody()
        for index, cells in enumerate(body):
            row = self._row(cells)
            if index == len(rows) and len(body) > len(rows):
                row["classes"].append("runtime-total")
            rows_node += row
        group += rows_node
        return [table]

    def _row(self, cells) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph += _doc_link(cell.doc, self.env.docname, cell.text) if cell.doc else nodes.Text(cell.text)
            entry += paragraph
            row += entry
        return row


def _toc_dependent_pages(env) -> set[str]:
    if not hasattr(env, "neuronlab_toc_dependent_pages"):
        env.neuronlab_toc_dependent_pages = set()
    return env.neuronlab_toc_dependent_pages


# --------------------------------------------------------------------------- the course-path figure
class course_path_image(nodes.General, nodes.Inline, nodes.Element):
    """The generated figure's ``<img>``: its file is written into the built site, not read from the source."""


def visit_course_path_image_html(self, node) -> None:
    source = relative_uri(self.builder.get_target_uri(self.builder.current_docname), FIGURE)
    self.body.append(self.emptytag(node, "img", "", src=source, alt=node["alt"], CLASS="course-path"))
    raise nodes.SkipNode


def skip_node(self, node) -> None:
    raise nodes.SkipNode


class CoursePath(SphinxDirective):
    """The overview figure of the course's path; the content is its caption."""

    has_content = True
    option_spec = {"alt": directives.unchanged, "name": directives.unchanged}

    def run(self):
        from neuronlab.tools import course_path

        ready = _ready_chapters(self.env.found_docs)
        figure = nodes.figure(classes=["course-path-figure"], align="center")
        figure += course_path_image(alt=self.options.get("alt") or course_path.alt_text(ready=ready))
        if self.content:
            caption = nodes.caption()
            inline, messages = self.state.inline_text("\n".join(self.content), self.lineno)
            caption.extend(inline)
            figure += caption
            figure.extend(messages)
        self.add_name(figure)
        _toc_dependent_pages(self.env).add(self.env.docname)  # its alt text names the chapters of the toc
        return [figure]


def _ready_chapters(documents) -> list[str]:
    from neuronlab.tools import course_path

    numbers = {station.number for station in course_path.STATIONS}
    return sorted({PurePosixPath(doc).name[:2] for doc in chapter_docs(documents)} & numbers)


def write_course_path(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from neuronlab.tools import course_path

    course_path.write_svg(Path(app.outdir) / FIGURE, ready=_ready_chapters(app.env.found_docs))


# --------------------------------------------------------------------------- incremental builds
def outdated_with_the_toc(app, env, added, changed, removed) -> list[str]:
    """Pages whose aids depend on which chapters, exercises and solutions exist: re-read them when that changes."""
    touched = {doc for doc in (set(added) | set(removed)) if PurePosixPath(doc).parts[0] in ("chapters", *PAIRED)}
    if not touched:
        return []
    pages = set(_toc_dependent_pages(env)) & env.found_docs
    pages |= {doc for doc in env.found_docs if pair_of(doc, env.found_docs) is not None}
    return sorted(pages - set(added))


def purge(app, env, docname) -> None:
    _toc_dependent_pages(env).discard(docname)


def merge(app, env, docnames, other) -> None:
    _toc_dependent_pages(env).update(_toc_dependent_pages(other) & set(docnames))


def setup(app):
    app.add_directive("runtime-table", RuntimeTable)
    app.add_directive("course-path", CoursePath)
    app.add_node(course_path_image, html=(visit_course_path_image_html, None),
                 latex=(skip_node, None), text=(skip_node, None), man=(skip_node, None), texinfo=(skip_node, None))
    app.connect("source-read", glossary_by_letter)
    app.connect("doctree-read", add_pair_bar)
    app.connect("env-get-updated", number_exercises_per_page, priority=900)
    app.connect("env-get-outdated", outdated_with_the_toc)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("build-finished", write_course_path)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
