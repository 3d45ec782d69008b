"""Issue 17: dates become ISO 8601 (the written form kept), bylines give authors and
never a job title as publisher; what cannot be read is left out, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

import searchkit
from searchkit.ingest import list_files, read_file
from searchkit.ingest.chrome import parse_byline
from searchkit.ingest.dates import parse_date

from conftest import write


@pytest.mark.parametrize(("written", "iso"), [
    ("2024-03-14T18:02:11Z", "2024-03-14T18:02:11+00:00"),
    ("2024-03-14T18:02:11+01:00", "2024-03-14T18:02:11+01:00"),
    ("14 February 2005", "2005-02-14"),
    ("2005/02/16", "2005-02-16"),
    ("March 3, 2024", "2024-03-03"),
    ("2024-05-01", "2024-05-01"),
    ("Thu, 14 Mar 2024 18:02:11 +0000", "2024-03-14T18:02:11+00:00"),
])
def test_dates_read_into_iso(written: str, iso: str) -> None:
    assert parse_date(written) == iso


@pytest.mark.parametrize("written", ["03/04/2024", "last Tuesday", "31 February 2024", "2024"])
def test_unreadable_or_ambiguous_date_is_not_guessed(written: str) -> None:
    assert parse_date(written) is None


def test_job_title_is_not_publisher_and_authors_split() -> None:
    assert parse_byline("By Jane Smith, Political Correspondent") == {
        "author": "Jane Smith", "role": "Political Correspondent"}
    assert parse_byline("By Jane Smith and Tom Ellery")["author"] == "Jane Smith; Tom Ellery"


def article_of(tmp_path: Path, text: str) -> searchkit.Article:
    write(tmp_path, "a.txt", text)
    (article,) = read_file(list_files(tmp_path)[0][0]).articles
    return article


def test_date_line_in_text_gives_iso_date_and_leaves_passages(tmp_path: Path) -> None:
    article = article_of(tmp_path, "Harbour plan approved\n\nBy Jane Smith, Political Correspondent\n\n"
                                   "Published: 3 March 2024\n\nThe council approved the plan.\n")
    assert article.metadata == {"author": "Jane Smith", "role": "Political Correspondent",
                                "date": "2024-03-03", "date_text": "Published: 3 March 2024"}
    assert all("Published" not in article.text[a:b] for a, b in article.body)


def test_sidecar_dates_are_iso_and_range_query_works(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "old.txt", "Old story\n\nThe mill closed its doors.\n")
    write(corpus, "new.txt", "New story\n\nThe mill opened its doors.\n")
    write(corpus, "metadata.jsonl", '{"path": "old.txt", "date": "14 February 2005"}\n'
                                    '{"path": "new.txt", "date": "2024-03-14T18:02:11Z"}\n')
    searchkit.build_index(corpus, tmp_path / "index")
    hits = searchkit.search("mill AND date:[2020-01-01 TO 2030-01-01]", index=tmp_path / "index", syntax=True).hits
    assert [h.source for h in hits] == ["new.txt"]
    assert hits[0].metadata["date_text"] == "2024-03-14T18:02:11Z"


def test_unknown_metadata_keys_are_kept(tmp_path: Path) -> None:
    write(tmp_path, "feed.jsonl", '{"id": "w-1", "text": "Body text.", "section": "Politics", "tags": ["tax", "budget"]}\n')
    write(tmp_path, "post.md", "---\nsection: Sport\ntags: rugby\n---\n# Heading\n\nBody text here.\n")
    files, _ = list_files(tmp_path)
    metas = {f.source: read_file(f).articles[0].metadata for f in files}
    assert metas["feed.jsonl"] == {"section": "Politics", "tags": "tax, budget"}
    assert metas["post.md"] == {"section": "Sport", "tags": "rugby"}


def test_comma_separated_author_list() -> None:
    assert parse_byline("By Amy Lindqvist, Paul Ferrante and Grace Ho") == {"author": "Amy Lindqvist; Paul Ferrante; Grace Ho"}
    assert parse_byline("By A. Lee, Raj Patel, and Kim Ode")["author"] == "A. Lee; Raj Patel; Kim Ode"
    # Without a closing "and NAME", what follows the comma is a job or a publisher, not a name.
    assert parse_byline("By Tom Ellery, BBC News") == {"author": "Tom Ellery", "publisher": "BBC News"}
    assert parse_byline("By Jane Smith and Kim Ode, Political Correspondents") == {
        "author": "Jane Smith; Kim Ode", "role": "Political Correspondents"}
