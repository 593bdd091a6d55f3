"""The first code cell of every notebook, defined once.

The repository URL comes from ``_config.yml`` (``repository.url``), so the
Binder/Colab buttons and the Colab install line always point at the same place;
a test checks every notebook against :data:`SETUP_CELL`.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """``repository.url`` from the book's ``_config.yml``."""
    text = config_path.read_text(encoding="utf-8")
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, flags=re.MULTILINE)
    if not match:
        raise ValueError(f"{config_path} has no repository.url")
    return match.group(1).strip("'\"")


def setup_cell(url: str) -> str:
    """The setup cell's source for a repository at ``url``."""
    return (
        "# Setup: the same first cell in every notebook (local, Binder, Colab)\n"
        "import sys\n"
        'if "google.colab" in sys.modules:  # Colab: install the helper package\n'
        f'    %pip install --quiet "neuronlab @ git+{url}"\n'
        "import neuronlab\n"
        "neuronlab.setup()  # seeds, quiet logs, offline data, figure style"
    )


SETUP_CELL = setup_cell(repository_url()) if (ROOT / "_config.yml").exists() else None
