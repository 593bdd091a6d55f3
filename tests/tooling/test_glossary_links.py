"""neuronlab.tools.glossary_links: finding and linking a term's first use in a chapter's body."""

import json

import pytest

from neuronlab.tools import glossary_links

TERMS = ["activation function", "multilayer perceptron (MLP)", "XOR", "margin"]


def notebook(*markdown):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": text} for text in markdown]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def write(tmp_path, nb):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_glossary_terms_are_read_from_the_books_glossary():
    terms = glossary_links.glossary_terms()
    assert "backpropagation" in terms and "multilayer perceptron (MLP)" in terms and len(terms) > 100


def test_first_use_in_the_body_is_found_and_plurals_and_case_match():
    nb = notebook("# Title\n\nIntro mentions XOR and activation functions.",
                  "## Section\n\nHere Activation Functions appear, then XOR.")
    uses = {use.term: use for use in glossary_links.first_uses(nb, TERMS)}
    assert set(uses) == {"activation function", "XOR"}  # the opening cell does not count
    assert uses["activation function"].text == "Activation Functions" and uses["activation function"].cell == 1
    assert not uses["XOR"].linked


def test_headings_math_code_links_and_exercises_do_not_count():
    nb = notebook("intro", "## XOR heading\n\n$XOR$ and `XOR` and [XOR](x.md)... and {cite}`XOR`\n\n"
                  "## Exercises\n\nXOR here is after the body.")
    assert glossary_links.first_uses(nb, TERMS) == []


def test_a_linked_first_use_passes_and_abbreviated_terms_match_their_words():
    nb = notebook("intro", "A {term}`multilayer perceptron <multilayer perceptron (MLP)>` stacks layers.")
    (use,) = glossary_links.first_uses(nb, TERMS)
    assert use.term == "multilayer perceptron (MLP)" and use.linked


def test_link_wraps_every_unlinked_first_use_and_only_that_one(tmp_path):
    path = write(tmp_path, notebook("intro", "XOR needs two layers; XOR again. The activation functions differ."))
    assert glossary_links.link(path, TERMS) == 2
    source = "".join(json.loads(path.read_text())["cells"][1]["source"])
    assert source == ("{term}`XOR <XOR>` needs two layers; XOR again. "
                      "The {term}`activation functions <activation function>` differ.")
    assert glossary_links.unlinked(path, TERMS) == [] and glossary_links.link(path, TERMS) == 0


def test_words_inside_other_words_are_not_matched():
    nb = notebook("intro", "The margins of XORing and sub-margin are not terms here; marginal neither.")
    uses = {use.term: use.text for use in glossary_links.first_uses(nb, TERMS)}
    assert uses == {"margin": "margins"}


def test_command_reports_unlinked_uses_and_exits_nonzero(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, notebook("intro", "XOR."))
    monkeypatch.setattr(glossary_links, "glossary_terms", lambda: TERMS)
    assert glossary_links.main([str(path)]) == 1
    assert "first use of 'XOR' ('XOR') is not linked" in capsys.readouterr().out
    assert glossary_links.main(["--fix", str(path)]) == 0


def test_a_glossary_file_without_a_glossary_block_is_refused(tmp_path):
    path = tmp_path / "glossary.md"
    path.write_text("# Glossary\n\nnothing here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no ```{glossary} block"):
        glossary_links.glossary_terms(path)
