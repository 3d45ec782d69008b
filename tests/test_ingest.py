"""Ingestion: formats, titles, bylines, encodings, and site chrome kept out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import searchkit
from searchkit.ingest import list_files, load_metadata, read_file, source_text
from searchkit.ingest.chrome import chrome_reason, parse_byline, related_list_start
from searchkit.ingest.text import make_article, split_paragraphs

from conftest import BUNDLED, write

# Every kind of chrome the seed corpus carries, as it appears there.
SEED_CHROME = [
    "IE 11 is not supported",
    "Be first to like this",
    "This post is also available in",
    "Related Stories",
    "These Hornet Users Had Our Favorite Posts",
    "Taylor Swift-Themed Cruise",
    "Featured image",
    "strixcode via iStock",
    "Quantcast",
    "Follow NBC Out on Twitter",
    "Image: Rally in Paris",
    "Ian Langsdon / EPA",
    "Article by Jesse Jones",
]


def all_passages(folder: Path) -> list[searchkit.Passage]:
    return [p for article in searchkit.read_corpus(folder) for p in searchkit.split_article(article)]


def test_seed_chrome_is_in_no_passage() -> None:
    passages = all_passages(BUNDLED)
    assert len(passages) > 15
    for passage in passages:
        for chrome in SEED_CHROME:
            assert chrome not in passage.text, (chrome, passage.source)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Internet Explorer is no longer supported. Please update your browser.", "browser notice"),
        ("Please enable JavaScript to view this page.", "browser notice"),
        ("Be the first to comment", "engagement prompt"),
        ("Share this article", "engagement prompt"),
        ("Sign up for our newsletter", "engagement prompt"),
        ("This article is also available in: Español, Deutsch", "language switcher"),
        ("Photo by Jane Smith on Unsplash", "image credit"),
        ("Header image: Getty Images", "image credit"),
        ("Image credit: NASA/JPL", "image credit"),
        ("Crowds gathered outside parliament on Monday.John Doe / AFP", "image caption"),
        ("Follow us on Instagram", "social footer"),
        ("Follow The Daily Planet on Twitter and Facebook", "social footer"),
        ("Chartbeat", "tracker"),
    ],
)
def test_unseen_chrome_is_recognised(line: str, kind: str) -> None:
    assert chrome_reason(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        "Shares of Apple rose 3% on Monday after the results.",
        "The photographer said the image was taken in 1920 and shows the old harbour wall.",
        "Follow-up talks are planned for next week.",
        "He said the browser wars of the 1990s were fierce.",
        "Related research by the team is due next year, the university said.",
    ],
)
def test_prose_is_not_chrome(line: str) -> None:
    assert chrome_reason(line) is None


def test_related_list_only_when_trailing_links() -> None:
    links = ["Main story text is here. It goes on.", "More from the site", "Ten things to know", "A quiz about cats"]
    assert related_list_start(links) == 1
    body = ["Related coverage", "The council met on Tuesday. It argued for hours. Then it voted. Then it went home."]
    assert related_list_start(body) is None


def test_byline_gives_metadata() -> None:
    assert parse_byline("Article by Jesse Jones, StarObserver.com.au") == {
        "author": "Jesse Jones",
        "publisher": "StarObserver.com.au",
    }
    assert parse_byline("By Ann Lee") == {"author": "Ann Lee"}
    assert parse_byline("by the time we arrived it was late") is None


def test_title_first_line_repeated_title_read_once(tmp_path: Path) -> None:
    text = "Big News Today\n\nBig News Today\n\nThe first paragraph of the story.\n"
    article = make_article("a", "a.txt", text)
    assert article.title == "Big News Today"
    assert [article.text[a:b] for a, b in article.body] == ["The first paragraph of the story."]
    assert {reason for *_, reason in article.dropped} == {"title", "repeated title"}


def test_paragraphs_blank_lines_one_per_line_and_wrapped() -> None:
    assert len(split_paragraphs("One.\n\nTwo.\n\nThree.")) == 3
    assert len(split_paragraphs("One.\nTwo.\nThree.")) == 3
    wrapped = "This sentence is wrapped\nacross two lines, as old\ntext files do.\n\nNext one."
    spans = split_paragraphs(wrapped)
    assert len(spans) == 2
    assert wrapped[spans[0][0] : spans[0][1]].endswith("text files do.")


def test_bundled_titles_and_metadata() -> None:
    articles = {a.doc_id: a for a in searchkit.read_corpus(BUNDLED)}
    assert articles["001_a0a0058218b2342f"].title == "Congress Passes Resolution Condemning LGBTQ Torture in Chechnya"
    assert articles["003_20a889af627007e3"].title.startswith("Chechnya’s Anti-LGBTQ Purge Has Restarted")
    assert articles["002_5883718dadfc0e72"].metadata["author"] == "Jesse Jones"
    assert articles["002_5883718dadfc0e72"].metadata["publisher"] == "Star Observer"
    assert articles["000_b4a1880a0ab40fd3"].metadata == {"author": "Dan Avery"}
    assert articles["004_912fc622c2e6cf7e"].metadata == {}


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "---\nauthor: Ann Lee\ndate: 2024-05-01\n---\n# The Heading\n\n![pic](x.png)\n\nBody text here.\n")
    (article,) = searchkit.read_corpus(tmp_path)
    assert article.title == "The Heading"
    assert article.metadata == {"author": "Ann Lee", "date": "2024-05-01"}
    assert [article.text[a:b] for a, b in article.body] == ["Body text here."]


def test_html_extracts_visible_text_and_meta(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Site | Story</title><meta name='author' content='Ann Lee'>"
        "<meta property='og:site_name' content='The Planet'><script>var x=1;</script></head>"
        "<body><nav>Home | World</nav><h1>Storm hits coast</h1><p>The storm arrived at dawn &amp; left by noon.</p>"
        "<figure><img src=a.jpg><figcaption>Photo by Someone</figcaption></figure>"
        "<p>Clean-up began at once.</p><footer>Copyright</footer></body></html>"
    )
    write(tmp_path, "story.html", html)
    (article,) = searchkit.read_corpus(tmp_path)
    assert article.title == "Storm hits coast"
    assert article.metadata == {"author": "Ann Lee", "publisher": "The Planet"}
    body = [article.text[a:b] for a, b in article.body]
    assert body == ["The storm arrived at dawn & left by noon.", "Clean-up began at once."]
    assert source_text(tmp_path, "story.html") == article.text


def test_html_chrome_by_class_or_id_is_left_out(tmp_path: Path) -> None:
    html = (
        "<article><h1>Budget passes</h1><p>The budget passed on Friday.</p>"
        "<div class='share-bar'><div><a>Tweet</a></div><p>Share on Facebook</p></div>"
        "<p>Debate lasted hours.</p><ul id='related-stories'><li><a>Other story</a></li></ul>"
        "<aside>Most read</aside><p class='tagline'>Kept: a tagline is content.</p></article>"
    )
    write(tmp_path, "b.html", html)
    (article,) = searchkit.read_corpus(tmp_path)
    body = [article.text[a:b] for a, b in article.body]
    assert body == ["The budget passed on Friday.", "Debate lasted hours.", "Kept: a tagline is content."]


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "title": "First", "text": "Alpha text.", "author": "Ann"}),
        "{not json",
        json.dumps({"title": "no id", "text": "x"}),
        json.dumps({"id": "a2", "text": "Beta text.", "metadata": {"url": "https://example.org/b"}}),
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    (file,), _ = list_files(tmp_path)
    read = read_file(file)
    assert [a.doc_id for a in read.articles] == ["a1", "a2"]
    assert read.articles[0].metadata == {"author": "Ann"}
    assert read.articles[1].metadata == {"url": "https://example.org/b"}
    assert [s.path for s in read.skipped] == ["feed.jsonl:2", "feed.jsonl:3"]
    assert source_text(tmp_path, "feed.jsonl", "a2") == "Beta text."


def test_non_utf8_is_decoded_by_stated_fallback(tmp_path: Path) -> None:
    write(tmp_path, "old.txt", "Title\n\nPrice: \u00a35 a ticket.\n".encode("cp1252"))
    (file,), _ = list_files(tmp_path)
    read = read_file(file)
    assert "£5" in read.articles[0].text
    assert read.warnings and "cp1252" in read.warnings[0].reason


def test_binary_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "blob.txt", b"\x00\x01\x02binary")
    (file,), _ = list_files(tmp_path)
    with pytest.raises(searchkit.CorpusError, match="blob.txt: binary"):
        read_file(file)


def test_sidecar_metadata_and_missing_corpus(tmp_path: Path) -> None:
    write(tmp_path, "metadata.jsonl", '{"path": "a.txt", "author": "Ann"}\nnot json\n')
    found, problems = load_metadata(tmp_path)
    assert found == {"a.txt": {"author": "Ann"}}
    assert problems[0].path == "metadata.jsonl:2"
    with pytest.raises(searchkit.CorpusError, match="does not exist"):
        list_files(tmp_path / "nope")
