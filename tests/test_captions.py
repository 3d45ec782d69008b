"""Issue 17: an image caption is reporting, a passage of its own (kind "caption"),
searchable and filterable; only its credit is chrome, kept in metadata."""

from __future__ import annotations

from pathlib import Path

import searchkit


def test_seed_caption_is_a_searchable_caption_passage(built: Path) -> None:
    hits = searchkit.search("protest on Place de la Republique in Paris", index=built).hits
    caption = next(h for h in hits if h.metadata.get("kind") == "caption")
    assert "Place de la Republique" in caption.text
    assert caption.metadata["credit"] == "Ian Langsdon / EPA"
    assert "Langsdon" not in caption.text and "EPA" not in caption.text


def test_kind_filters_captions_and_bodies(built: Path) -> None:
    only = searchkit.search("Paris AND kind:caption", index=built, syntax=True).hits
    assert only and all(h.metadata.get("kind") == "caption" for h in only)
    bodies = searchkit.search("Chechnya AND kind:body", index=built, syntax=True).hits
    assert bodies and all(h.metadata.get("kind", "body") == "body" for h in bodies)


def test_caption_offsets_are_exact(corpus: Path) -> None:
    for article in searchkit.read_corpus(corpus):
        for passage in searchkit.split_article(article):
            assert searchkit.source_text(corpus, passage.source, passage.doc_id)[passage.start : passage.end] == passage.text
