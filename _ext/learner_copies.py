"""Sphinx extension: a notebook page's download button gives the learner copy from ``learner/``.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

The theme's "download .ipynb" button serves the page's source as Sphinx copied it into
``_sources/``: MyST Markdown that only this site renders (``{term}``, ``{glue:text}``,
``{cite}``, ``:::{exercise}``). The launch buttons already open ``learner/<page>.ipynb``
(``repository.path_to_book``), the same notebook in plain Markdown made by
``python -m neuronlab.tools.learner_notebooks``; once the build has finished, the downloads
are replaced by those copies too, so a notebook reads the same however a learner gets it.
The pages themselves are untouched.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def use_learner_copies(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    learner, sources = Path(app.srcdir) / "learner", Path(app.outdir) / "_sources"
    for download in sources.rglob("*.ipynb"):
        copy = learner / download.relative_to(sources)
        if copy.is_file():
            shutil.copyfile(copy, download)


def setup(app):
    app.connect("build-finished", use_learner_copies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
