"""learner/: every notebook a learner opens outside the site, in plain Markdown, in sync with its source."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat
import pytest

from neuronlab.tools import learner_notebooks as learner
from neuronlab.tools import stamp

ROOT = Path(__file__).resolve().parents[2]
SOURCES = learner.source_notebooks()
SITE = learner.site_url()
CHAPTER = ROOT / "chapters" / "02_perceptrons.ipynb"  # where the made-up cells below claim to come from


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _notebook(*cells, glued: dict | None = None) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = nbformat.v4.new_code_cell("neuronlab.glue(...)")
    for name, text in (glued or {}).items():
        code.outputs.append(nbformat.v4.new_output(
            "display_data", data={f"{learner.GLUE_PREFIX}text/plain": text},
            metadata={"scrapbook": {"name": name, "mime_prefix": learner.GLUE_PREFIX}}))
    notebook.cells.append(code)
    for cell in cells:
        notebook.cells.append(nbformat.v4.new_markdown_cell(cell) if isinstance(cell, str) else cell)
    return notebook


def _markdown(*cells, glued: dict | None = None, source: Path = CHAPTER) -> list[str]:
    copy = learner.learner_version(_notebook(*cells, glued=glued), source)
    return [cell.source.split("\n\n<!-- Generated")[0] for cell in copy.cells if cell.cell_type == "markdown"]


# --------------------------------------------------------------------------- the committed copies
def test_learner_folder_is_in_sync_with_the_notebooks():
    assert learner.main(["--check"]) == 0, (
        "learner/ is out of date with chapters/, solutions/ or exercises/: run python -m neuronlab.tools.learner_notebooks")


def test_every_notebook_has_its_learner_copy():
    assert len(SOURCES) >= 21, "7 chapters, 7 solutions and 7 exercises"
    missing = [_id(source) for source in SOURCES if not learner.target_for(source).is_file()]
    assert not missing, f"no learner copy of {missing}: run python -m neuronlab.tools.learner_notebooks"


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_learner_copy_has_no_raw_markup_and_the_same_code_and_outputs(source):
    target = learner.target_for(source)
    if not target.is_file():
        pytest.fail(f"{_id(target)} is missing: run python -m neuronlab.tools.learner_notebooks")
    original, copy = nbformat.read(source, as_version=4), nbformat.read(target, as_version=4)
    assert [c.cell_type for c in copy.cells] == [c.cell_type for c in original.cells]
    assert stamp.KEY not in copy.metadata, "the executor's stamp describes the source's run"
    for index, (mine, theirs) in enumerate(zip(copy.cells, original.cells)):
        where = f"{_id(target)} cell {index}"
        assert mine.get("id") == theirs.get("id"), f"{where}: cell id changed"
        if mine.cell_type == "markdown":
            assert not learner.raw_markup(mine.source), f"{where}: raw MyST left: {learner.raw_markup(mine.source)}"
        else:
            assert mine.source == theirs.source, f"{where}: a code cell differs from its source"
        if mine.cell_type == "code":
            kept = [o for o in theirs.outputs if not learner._is_glue_record(o)]
            assert mine.outputs == kept, f"{where}: stored outputs differ from the source's"


def test_the_sources_do_hold_the_markup_the_copies_lose():
    """The check above has something to find: the sources are MyST, the copies are not."""
    raw = sum(len(learner.raw_markup(cell.source)) for source in SOURCES
              for cell in nbformat.read(source, as_version=4).cells if cell.cell_type == "markdown")
    assert raw > 100


def test_site_url_comes_from_config():
    assert SITE.startswith("https://") and SITE.endswith("/")


# --------------------------------------------------------------------------- rewriting, construct by construct
def test_glossary_terms_become_links_to_the_site_glossary():
    (text,) = _markdown("A {term}`weights <weight>` and a {term}`perceptron` and a "
                        "{term}`ANN <artificial neural network (ANN)>`.")
    assert text == (f"A [weights]({SITE}book/glossary.html#term-weight) and a "
                    f"[perceptron]({SITE}book/glossary.html#term-perceptron) and a "
                    f"[ANN]({SITE}book/glossary.html#term-artificial-neural-network-ANN).")


def test_glossary_anchors_are_sphinx_ids():
    anchors = learner.glossary_anchors()
    assert anchors["1cycle scheduling"] == "term-1cycle-scheduling"  # a leading digit is kept after "term-"
    assert anchors["ℓ1 regularisation"] == "term-l1-regularisation"


def test_an_unknown_term_names_the_notebook_and_cell():
    with pytest.raises(learner.LearnerNotebookError, match=r"02_perceptrons\.ipynb, cell 1 .*'no such term'"):
        _markdown("{term}`no such term`")


@pytest.mark.parametrize("spec, stored, shown", [
    ("x:.0%", "0.6667", "67%"), ("x:.1%", "0.625", "62.5%"), ("x:,", "266610", "266,610"),
    ("x:,.0f", "12345.6", "12,346"), ("x:+.2f", "1.5", "+1.50"), ("x:.1e", "0.00012", "1.2e-04"),
    ("x", "5", "5"), ("x", "'ReLU'", "ReLU"), ("x:.2g", "0.0031622", "0.0032"),
])
def test_glued_values_are_formatted_as_the_site_formats_them(spec, stored, shown):
    (text,) = _markdown(f"got {{glue:text}}`{spec}` here", glued={"x": stored})
    assert text == f"got {shown} here"


def test_glue_records_are_dropped_and_other_outputs_kept():
    notebook = _notebook("{glue:text}`x`", glued={"x": "1"})
    notebook.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="hello\n"))
    copy = learner.learner_version(notebook, CHAPTER)
    assert [o.output_type for o in copy.cells[0].outputs] == ["stream"]
    assert len(notebook.cells[0].outputs) == 2, "the source notebook is not modified"


def test_a_missing_glued_value_is_an_error():
    with pytest.raises(learner.LearnerNotebookError, match="no value glued as 'gone'.*rerun"):
        _markdown("{glue:text}`gone:.1f`")


def test_citations_read_author_year_and_link_the_bibliography():
    labels = learner.bibliography_labels()
    assert labels["geron2022hands"] == "Géron, 2022" and labels["lecun2015deep"] == "LeCun et al., 2015"
    (text,) = _markdown("as shown {cite}`lecun2015deep,geron2022hands`. {cite:t}`geron2022hands` says so.")
    assert text == (f"as shown ([LeCun et al., 2015]({SITE}book/bibliography.html#cite-lecun2015deep); "
                    f"[Géron, 2022]({SITE}book/bibliography.html#cite-geron2022hands)). "
                    f"[Géron (2022)]({SITE}book/bibliography.html#cite-geron2022hands) says so.")


def test_an_unknown_citation_is_an_error():
    with pytest.raises(learner.LearnerNotebookError, match="'nobody2099' is not in book/references.bib"):
        _markdown("{cite}`nobody2099`")


def test_exercises_become_numbered_headings_one_level_down():
    cells = _markdown("## Exercises\n\nIntro.\n\n:::{exercise}\n:label: ex-a\n\nFirst *task*.\n:::\n\n"
                      ":::{exercise} With a title\n:label: ex-b\n\nSecond, see {ref}`ex-a`.\n:::",
                      "::::{solution} ex-b\n:class: dropdown\n\nBecause.\n::::")
    assert cells[0] == ("## Exercises\n\nIntro.\n\n### Exercise 1\n\nFirst *task*.\n\n"
                        "### Exercise 2 · With a title\n\nSecond, see Exercise 1.")
    assert cells[1] == "### Solution to Exercise 2\n\nBecause."


def test_admonitions_and_dropdowns_become_block_quotes_with_their_title():
    (text,) = _markdown(":::{note}\nOne.\n\nTwo with {term}`weights <weight>`.\n:::\n\n"
                        "```{admonition} Why?\n:class: dropdown\nBecause.\n```\n\n:::{seealso}\nMore.\n:::")
    assert text == (f"> **Note**\n>\n> One.\n>\n> Two with [weights]({SITE}book/glossary.html#term-weight).\n\n"
                    "> **Why?**\n>\n> Because.\n\n> **See also**\n>\n> More.")


def test_code_blocks_and_code_spans_are_left_alone():
    source = ("Write `` {term}`x` `` to link a term.\n\n```python\nprint(f\"{value}\")\n```\n\n"
              "```\n:::{note}\n% a line of code, not a MyST comment\n```")
    (text,) = _markdown(source)
    assert text == source


def test_myst_only_lines_are_dropped_and_math_kept():
    (text,) = _markdown("(my-label)=\n## Title\n\n% a comment\n$$\nz = \\mathbf{x}^\\top\\mathbf{w}\n$$\n+++\nEnd.")
    assert text == "## Title\n\n$$\nz = \\mathbf{x}^\\top\\mathbf{w}\n$$\nEnd."


def test_links_to_notebooks_stay_relative_and_pages_go_to_the_site():
    (text,) = _markdown("[next](03_mlp_backprop.ipynb), [setup](../book/setup.md#in-your-browser-binder-or-colab), "
                        "[the web](https://keras.io), [here](#a-heading), {doc}`../book/glossary`, "
                        "{doc}`the exercises <../exercises/02_perceptrons/02_perceptrons>`")
    assert text == ("[next](03_mlp_backprop.ipynb), "
                    f"[setup]({SITE}book/setup.html#in-your-browser-binder-or-colab), "
                    "[the web](https://keras.io), [here](#a-heading), "
                    f"[Glossary]({SITE}book/glossary.html), "
                    "[the exercises](../exercises/02_perceptrons/02_perceptrons.ipynb)")


def test_a_link_to_a_missing_notebook_is_an_error():
    with pytest.raises(learner.LearnerNotebookError, match="not one of the course's notebooks"):
        _markdown("[gone](09_missing.ipynb)")


@pytest.mark.parametrize("source", ["{eq}`my-eq`", ":::{figure} a.png\nA figure.\n:::", "{{ substitution }}"])
def test_unknown_markup_stops_the_generation(source):
    with pytest.raises(learner.LearnerNotebookError, match=r"cell 1"):
        _markdown(source)


def test_raw_markup_finds_what_plain_renderers_show_raw():
    assert learner.raw_markup("A {term}`x` and {glue:text}`y:.1f`") == ["{term}`x`", "{glue:text}`y:.1f`"]
    assert learner.raw_markup(":::{exercise}\n:label: a\ntext\n:::") == [":::{exercise}"]
    assert learner.raw_markup("(target)=\n# T") == ["(target)="]
    assert learner.raw_markup("Plain [link](x.ipynb), `{term}` in code, $\\{a\\}$.") == []


def test_hidden_cells_start_collapsed_and_nbgrader_checksums_follow_the_text():
    from nbgrader.utils import compute_checksum

    code = nbformat.v4.new_code_cell("neuronlab.claim(...)", metadata={"tags": ["remove-cell"]})
    answer = nbformat.v4.new_markdown_cell("A {term}`perceptron <perceptron>`.")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 1,
                                   "grade_id": "a", "schema_version": 3}
    answer.metadata["nbgrader"]["checksum"] = compute_checksum(answer)
    copy = learner.learner_version(_notebook(code, answer), CHAPTER)
    assert copy.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert copy.cells[2].metadata["nbgrader"]["checksum"] == compute_checksum(copy.cells[2])
    assert copy.cells[2].metadata["nbgrader"]["checksum"] != answer.metadata["nbgrader"]["checksum"]


def test_the_first_markdown_cell_says_it_is_generated():
    copy = learner.learner_version(_notebook("# Title", "More."), CHAPTER)
    assert "learner_notebooks" in copy.cells[1].source and "<!--" in copy.cells[1].source
    assert copy.cells[2].source == "More."


def test_check_reports_a_stale_copy_and_names_the_command(tmp_path, monkeypatch, capsys):
    source = tmp_path / "chapters" / "09_demo.ipynb"
    source.parent.mkdir()
    nbformat.write(_notebook("# 09 · Demo\n\nA {term}`perceptron` got {glue:text}`x:.0%`.", glued={"x": "0.5"}), source)
    monkeypatch.setattr(learner, "ROOT", tmp_path)
    monkeypatch.setattr(learner, "LEARNER", tmp_path / "learner")
    assert learner.main(["--check"]) == 1
    captured = capsys.readouterr()
    assert "learner/chapters/09_demo.ipynb: out of date" in captured.out
    assert "run `python -m neuronlab.tools.learner_notebooks`" in captured.err
    assert learner.main([]) == 0
    assert "got 50%." in (tmp_path / "learner" / "chapters" / "09_demo.ipynb").read_text(encoding="utf-8")
    assert learner.main(["--check"]) == 0
    (tmp_path / "learner" / "chapters" / "10_orphan.ipynb").write_text("{}", encoding="utf-8")
    assert learner.main(["--check"]) == 1, "a copy whose source is gone is stale too"
    assert learner.main([]) == 0 and not (tmp_path / "learner" / "chapters" / "10_orphan.ipynb").exists()


def test_update_rewrites_only_the_copies_of_the_notebooks_named(tmp_path, monkeypatch):
    (tmp_path / "chapters").mkdir()
    first, second = tmp_path / "chapters" / "08_a.ipynb", tmp_path / "chapters" / "09_b.ipynb"
    nbformat.write(_notebook("# 08 · A\n\n{glue:text}`x:.1f`", glued={"x": "0.25"}), first)
    nbformat.write(_notebook("# 09 · B\n\n{glue:text}`missing`"), second)
    monkeypatch.setattr(learner, "ROOT", tmp_path)
    monkeypatch.setattr(learner, "LEARNER", tmp_path / "learner")
    out = io.StringIO()
    assert learner.update([first, tmp_path / "scratch.ipynb"], out=out) == 0, out.getvalue()
    assert "0.2" in (tmp_path / "learner" / "chapters" / "08_a.ipynb").read_text(encoding="utf-8")
    assert not (tmp_path / "learner" / "chapters" / "09_b.ipynb").exists(), "only the notebooks named"
    assert learner.update([second], out=out) == 2
    assert "learner copy not written: chapters/09_b.ipynb, cell 1" in out.getvalue()
