"""Passages: exact offsets, stable ids, merging short and cutting long paragraphs."""

from __future__ import annotations

import json
from pathlib import Path

import searchkit
from searchkit.ingest import source_text
from searchkit.ingest.text import make_article
from searchkit.passages import sentence_spans

from conftest import BUNDLED, write


def test_exact_offsets_over_every_bundled_passage() -> None:
    count = 0
    for article in searchkit.read_corpus(BUNDLED):
        source = source_text(BUNDLED, article.source, article.doc_id)
        assert source == (BUNDLED / article.source).read_text(encoding="utf-8")
        for passage in searchkit.split_article(article):
            assert source[passage.start : passage.end] == passage.text
            assert passage.text == passage.text.strip()
            count += 1
    assert count >= 20


def test_exact_offsets_in_every_format(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "# Heading\n\r\nFirst para.\r\n\r\nSecond para with “quotes”.\n")
    write(tmp_path, "b.html", "<h1>T</h1><p>One &amp; two.</p><p>Three.</p>")
    write(tmp_path, "c.jsonl", json.dumps({"id": "x", "title": "X", "text": "Line one.\n\nLine two é."}) + "\n")
    write(tmp_path, "d.txt", "\ufeffTitle\n\nCafé crème.\n")
    seen = 0
    for article in searchkit.read_corpus(tmp_path):
        source = source_text(tmp_path, article.source, article.doc_id)
        for passage in searchkit.split_article(article):
            assert source[passage.start : passage.end] == passage.text
            seen += 1
    assert seen == 4


def test_ids_are_stable_and_distinct() -> None:
    first = [p.passage_id for a in searchkit.read_corpus(BUNDLED) for p in searchkit.split_article(a)]
    second = [p.passage_id for a in searchkit.read_corpus(BUNDLED) for p in searchkit.split_article(a)]
    assert first == second
    assert len(set(first)) == len(first)


def test_short_paragraphs_merge_but_not_across_dropped_chrome() -> None:
    text = "Title\n\nShort one.\n\nShort two.\n\nShare this article\n\nShort three."
    article = make_article("d", "d.txt", text)
    passages = searchkit.split_article(article)
    assert [p.text for p in passages] == ["Short one.\n\nShort two.", "Short three."]


def test_long_paragraph_is_cut_at_sentences() -> None:
    sentence = "The committee met again on Tuesday to discuss the budget in detail. "
    paragraph = (sentence * 40).strip()
    article = make_article("e", "e.txt", "Title\n\n" + paragraph)
    settings = searchkit.Settings()
    passages = searchkit.split_article(article, settings)
    assert len(passages) > 1
    for p in passages:
        assert len(p.text) <= settings.max_chars
        assert p.text.endswith("detail.")
    assert [p.ordinal for p in passages] == list(range(len(passages)))


def test_passage_size_is_a_setting() -> None:
    paragraph = " ".join(f"Sentence number {i} is here." for i in range(60))
    article = make_article("f", "f.txt", "Title\n\n" + paragraph)
    small = searchkit.Settings(min_chars=50, target_chars=200, max_chars=300)
    assert len(searchkit.split_article(article, small)) > len(searchkit.split_article(article))


def test_sentences_respect_abbreviations() -> None:
    text = "On Dec. 29 the U.S. Secretary spoke. Dr. Lee agreed."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["On Dec. 29 the U.S. Secretary spoke.", "Dr. Lee agreed."]


def test_a_line_ending_in_a_colon_stays_with_what_it_introduces() -> None:
    quote = "“" + "We urge the leaders to act now and protect people. " * 8 + "”"
    text = "Title\n\n" + "Background paragraph that is long enough to stand alone. " * 6 + "\n\nThe spokesman said:\n\n" + quote
    passages = searchkit.split_article(make_article("q", "q.txt", text))
    assert any(p.text.startswith("The spokesman said:") or "The spokesman said:\n\n“We urge" in p.text for p in passages)
    assert all(not p.text.endswith(":") for p in passages)
