"""Every glossary term is linked at its first use in each chapter's body (the site's reading aids)."""

from pathlib import Path

import pytest

from neuronlab.tools import glossary_links

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glossary_term_is_linked_at_its_first_use(path):
    missing = [f"{use.term!r} (first written {use.text!r}, cell {use.cell})"
               for use in glossary_links.unlinked(path)]
    assert not missing, (f"{path.name}: link these first uses with {{term}}, or run "
                         f"python -m neuronlab.tools.glossary_links --fix {path.relative_to(ROOT)}: "
                         + "; ".join(missing))
