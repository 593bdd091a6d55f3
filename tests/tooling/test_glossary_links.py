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


OVERLAPPING = ["gradient", "gradient descent", "perceptron", "multilayer perceptron (MLP)"]


def test_a_compound_used_first_is_linked_whole_at_its_first_use(tmp_path):
    path = write(tmp_path, notebook("intro", "We train by gradient descent. Later, gradient descent again."))
    assert glossary_links.link(path, OVERLAPPING) == 1
    source = "".join(json.loads(path.read_text())["cells"][1]["source"])
    assert source == "We train by {term}`gradient descent <gradient descent>`. Later, gradient descent again."
    assert [use.term for use in glossary_links.first_uses(json.loads(path.read_text()), OVERLAPPING)] == [
        "gradient descent"]  # "gradient" is never used on its own here


def test_a_shorter_term_inside_a_compound_role_is_not_counted_as_linked():
    nb = notebook("intro", "A {term}`multilayer perceptron <multilayer perceptron (MLP)>` stacks layers "
                  "of perceptron units.")
    uses = {use.term: use for use in glossary_links.first_uses(nb, OVERLAPPING)}
    assert uses["multilayer perceptron (MLP)"].linked
    assert uses["perceptron"].text == "perceptron" and not uses["perceptron"].linked
    assert "".join(nb["cells"][1]["source"])[uses["perceptron"].start - 3:uses["perceptron"].end] == "of perceptron"


def test_a_shorter_term_is_still_linked_at_its_own_first_standalone_use(tmp_path):
    path = write(tmp_path, notebook("intro", "Gradient descent follows the gradient; each gradient descent step "
                                    "uses a fresh gradient."))
    assert glossary_links.link(path, OVERLAPPING) == 2
    source = "".join(json.loads(path.read_text())["cells"][1]["source"])
    assert source == ("{term}`Gradient descent <gradient descent>` follows the {term}`gradient <gradient>`; "
                      "each gradient descent step uses a fresh gradient.")
    assert glossary_links.unlinked(path, OVERLAPPING) == [] and glossary_links.link(path, OVERLAPPING) == 0


def test_a_role_links_only_the_term_it_targets():
    nb = notebook("intro", "The {term}`perceptron <multilayer perceptron (MLP)>` here points at the wrong entry.",
                  "A perceptron later.")
    uses = {use.term: use for use in glossary_links.first_uses(nb, OVERLAPPING)}
    assert uses["multilayer perceptron (MLP)"].linked
    assert uses["perceptron"].cell == 2 and not uses["perceptron"].linked


def test_text_after_a_role_is_not_mistaken_for_a_code_span():
    nb = notebook("intro", "{term}`XOR <XOR>` needs two layers; a margin too. {term}`margin` again.")
    uses = {use.term: use for use in glossary_links.first_uses(nb, TERMS)}
    assert uses["XOR"].linked and uses["margin"].text == "margin" and not uses["margin"].linked


def test_a_term_wrapped_over_two_lines_is_one_use_and_its_shorter_term_is_not_found_inside():
    nb = notebook("intro", "We use stochastic\ngradient descent here.")
    terms = ["gradient descent", "stochastic gradient descent (SGD)"]
    uses = {use.term: use.text for use in glossary_links.first_uses(nb, terms)}
    assert uses == {"stochastic gradient descent (SGD)": "stochastic\ngradient descent"}


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
