"""Sphinx extension: two fixes the course's site needs that no configuration value gives.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

- **Author–year labels in the bibliography.** Citations in the text are author–year
  ("Géron [2022]", "[LeCun *et al.*, 2015]"), but pybtex's styles label the bibliography's
  list ``[Ger22]`` (alpha) or ``[1]`` (number). The style ``author_year`` registered here is
  pybtex's alpha style (same entries, sorted by author, year and title) with labels written
  as the citations are: "Géron, 2022", "McCulloch and Pitts, 1943", "LeCun et al., 2015";
  works with the same label get "2015a", "2015b".
- **Each inline script once.** With Sphinx 7.4, an inline script that an extension adds
  after the builder starts (sphinx-thebe's ``const THEBE_JS_URL = …``, sphinx-togglebutton's
  selector) reaches every page twice; the second ``const`` is a SyntaxError in every
  reader's console. Identical script entries are dropped before a page is written.
- **Accessible markup in the page body** (axe-core's serious and critical rules in the course's
  own content): sphinxcontrib-bibtex writes the bibliography as ``role="list"`` holding
  ``role="doc-biblioentry"`` items, a deprecated role that leaves the list without list items
  (aria-required-children, critical); they become ``listitem``. A table header cell with nothing
  in it (pandas's corner above the index, an empty first column heading) becomes a plain cell.
"""

from __future__ import annotations

import re
import string
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels import BaseLabelStyle


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Surname, year", "A and B, year", "A et al., year", as author–year citations read."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        total, seen = Counter(labels), Counter()
        for label in labels:
            if total[label] > 1:
                seen[label] += 1
                yield label + string.ascii_lowercase[(seen[label] - 1) % 26]
            else:
                yield label

    @staticmethod
    def _surname(person) -> str:
        return " ".join(part.render_as("text") for part in person.rich_prelast_names + person.rich_last_names)

    def format_label(self, entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [self._surname(person) for person in people]
        if not names:
            who = entry.fields.get("organization") or entry.fields.get("title", entry.key)
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(AlphaStyle):
    default_label_style = "author_year"


register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if len(unique) != len(scripts):
        context["script_files"] = unique


_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>(?:\s|&#160;|&nbsp;|<p>\s*</p>)*</th>")


def accessible_body(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if not body:
        return
    body = body.replace('role="doc-biblioentry"', 'role="listitem"')
    body = _EMPTY_HEADER.sub(lambda match: f"<td{match.group(1) or ''}></td>", body)
    context["body"] = body


def setup(app):
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    app.connect("html-page-context", accessible_body, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
