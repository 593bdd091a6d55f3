"""Every chapter opens with what you will learn and its prerequisites, and closes with a summary and exercises."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def markdown(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_opens_with_goals_and_prerequisites(path):
    opening = markdown(path)[0]
    assert opening.startswith("# "), f"{path.name}: the first cell should be the title"
    for label in ("**What you will learn.**", "**Prerequisites.**"):
        assert label in opening, f"{path.name}: the opening cell has no {label}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_closes_with_a_summary_then_its_exercises(path):
    text = "\n".join(markdown(path))
    summary, exercises = re.search(r"^## Summary\b", text, re.M), re.search(r"^## Exercises\b", text, re.M)
    assert summary and exercises and summary.start() < exercises.start(), \
        f"{path.name}: expected '## Summary' followed by '## Exercises'"
    slug = path.stem
    tail = text[exercises.start():]
    for folder in ("exercises", "solutions"):
        assert f"../{folder}/{slug}/{slug}.ipynb" in tail, f"{path.name}: the exercises section should link {folder}/{slug}"
    assert "{exercise}" in tail, f"{path.name}: no {{exercise}} directive after '## Exercises'"
