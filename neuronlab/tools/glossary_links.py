"""Link every glossary term at its first use in each chapter (issue: reading aids).

A reader who meets a term should be one click from its definition, once per
chapter: the first time a term of ``book/glossary.md`` appears in a chapter's
prose, it must sit inside a ``{term}`` role.  The chapter's opening cell (what
you will learn, prerequisites), headings, and everything from ``## Exercises`` on
are not counted: the first use is the first one in the body of the chapter.

    python -m neuronlab.tools.glossary_links chapters/*.ipynb          # report
    python -m neuronlab.tools.glossary_links --fix chapters/*.ipynb    # link them

Matching is by whole words, case-insensitive, with a plural ``s``/``es``, across line breaks; a term
written with an abbreviation, "multilayer perceptron (MLP)", is matched by its
words, "multilayer perceptron".  Math, code, citations, links and glue are skipped.

Terms can contain other terms ("gradient" / "gradient descent").  Longer terms are
matched first and every place they match is taken, so a shorter term is never found
inside a longer one; the text of a ``{term}`` role is taken too.  A role is a use of
the term it targets, and only of that term: ``{term}`multilayer perceptron <multilayer
perceptron (MLP)>``` links the MLP entry, not "perceptron".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.md"
ROLE = re.compile(r"\{term\}`[^`]*`")  # found in the blanked text, which blanks ``<...>``: read with TERM_ROLE
TERM_ROLE = re.compile(r"\{term\}`(?P<text>[^`]*?)\s*(?:<(?P<target>[^`<>]*)>)?`")  # text <target>, or target
_SKIPPED = [  # spans that are not prose: blanked (same length) before searching
    re.compile(r"\$\$.*?\$\$", re.S), re.compile(r"\$[^$\n]*\$"),
    re.compile(r"\{(?!term\})[\w:-]+\}`[^`]*`"),
    re.compile(r"\{term\}`[^`]*`|(?<![}`])`[^`\n]*`"),  # a {term} role is kept whole: its closing ` opens no code span
    re.compile(r"\[[^\]\n]*\]\([^)\n]*\)"), re.compile(r"^\s*#.*$", re.M), re.compile(r"^:::.*$|^:label:.*$", re.M),
    re.compile(r"<[^>\n]+>"),
]


def glossary_terms(path: Path = GLOSSARY) -> list[str]:
    """The terms defined in the glossary's ``{glossary}`` block, in order."""
    text = path.read_text(encoding="utf-8")
    if "```{glossary}" not in text:
        raise ValueError(f"{path} has no ```{{glossary}} block")
    block = text[text.index("```{glossary}"):].splitlines()[1:]
    return [line.strip() for line in block if line.strip() and not line[0].isspace() and not line.startswith("```")]


def _words(term: str) -> str:
    return re.sub(r"\s*\([^)]*\)$", "", term)


def _pattern(term: str) -> re.Pattern:
    words = r"\s+".join(re.escape(word) for word in _words(term).split())  # prose wraps lines inside a term
    return re.compile(r"(?<![\w-])" + words + r"(?:s|es)?(?![\w-])", re.IGNORECASE)


def _blank(text: str) -> str:
    for pattern in _SKIPPED:
        text = pattern.sub(lambda m: m.group() if m.group().startswith("{term}`")
                           else re.sub(r"[^\n]", " ", m.group()), text)
    return text


@dataclass(frozen=True)
class FirstUse:
    """A term's first use in a chapter's body: cell index, offset in that cell's source, the words found."""

    term: str
    cell: int
    start: int
    end: int
    text: str
    linked: bool


def body_cells(notebook: dict) -> list[int]:
    """Indices of the markdown cells that count: after the opening cell, before ``## Exercises``."""
    cells = notebook["cells"]
    markdown = [i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"]
    body = []
    for i in markdown[1:]:
        source = "".join(cells[i]["source"])
        cut = re.search(r"^## Exercises\b", source, re.M)
        if cut:
            body.append((i, cut.start()))
            break
        body.append((i, len(source)))
    return body


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return all(span[1] <= a or b <= span[0] for a, b in taken)


def first_uses(notebook: dict, terms: list[str]) -> list[FirstUse]:
    """For every term used in the chapter's body, where it is first used and whether that use is linked.

    Longer terms are matched first, and each of their matches (every one, not only the
    first) is taken, as is the whole of every ``{term}`` role: a shorter term cannot be
    found inside a longer one.  A role is a use of its target term, a linked one.
    """
    sources = {i: "".join(notebook["cells"][i]["source"])[:end] for i, end in body_cells(notebook)}
    blanked = {i: _blank(source) for i, source in sources.items()}
    roles = {i: [TERM_ROLE.fullmatch(sources[i], *m.span()) for m in ROLE.finditer(text)]
             for i, text in blanked.items()}
    taken = {i: [m.span() for m in found] for i, found in roles.items()}
    found = {}
    for term in sorted(terms, key=lambda t: len(_words(t)), reverse=True):
        pattern, key = _pattern(term), term.casefold()
        for i, text in blanked.items():
            matches = [m for m in pattern.finditer(text) if _free(m.span(), taken[i])]
            linked = [m for m in roles[i] if (m["target"] or m["text"]).strip().casefold() == key]
            taken[i].extend(m.span() for m in matches)
            if term in found:
                continue
            first = min([(m.start(), m.end(), False) for m in matches]
                        + [(m.start("text"), m.start("text") + len(m["text"]), True) for m in linked], default=None)
            if first:
                start, end, is_linked = first
                found[term] = FirstUse(term, i, start, end, sources[i][start:end], is_linked)
    return [found[term] for term in terms if term in found]


def unlinked(path: Path, terms: list[str] | None = None) -> list[FirstUse]:
    """The first uses in the notebook at ``path`` that are not inside a ``{term}`` role."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return [use for use in first_uses(notebook, terms or glossary_terms()) if not use.linked]


def link(path: Path, terms: list[str] | None = None) -> int:
    """Wrap every unlinked first use in a ``{term}`` role, in place; returns how many were linked."""
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    terms = terms or glossary_terms()
    count = 0
    while True:  # one at a time: each edit shifts the offsets after it
        todo = [use for use in first_uses(notebook, terms) if not use.linked]
        if not todo:
            break
        use = todo[0]
        cell = notebook["cells"][use.cell]
        source = "".join(cell["source"])
        role = f"{{term}}`{use.text} <{use.term}>`"
        source = source[:use.start] + role + source[use.end:]
        cell["source"] = source.splitlines(keepends=True)
        count += 1
    if count:
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--fix", action="store_true", help="link the unlinked first uses in place")
    args = parser.parse_args(argv)
    terms, problems = glossary_terms(), 0
    for path in args.paths:
        if args.fix:
            print(f"{path}: linked {link(path, terms)} first use(s)")
        for use in unlinked(path, terms):
            problems += 1
            print(f"{path}: cell {use.cell}: first use of {use.term!r} ({use.text!r}) is not linked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
