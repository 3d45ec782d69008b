"""Issue 17: HTML articles read through trafilatura. On the written page corpus
(tests/data/html: Guardian-, BBC-, wire-, WordPress-like papers, blogs, paywalled
teasers, AMP, JSON-LD) the body scores F1 >= 0.95 by 5-word shingles and title,
authors and date are right on >= 90 % of pages; chrome never becomes a passage,
offsets stay exact, and the page's metadata is read from its tags."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import searchkit
from searchkit.ingest import source_text
from searchkit.ingest.html import extractor

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "html"


def _benchmark():
    spec = importlib.util.spec_from_file_location("extraction_benchmark", ROOT / "benchmarks" / "extraction.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_corpus_scores() -> None:
    bench = _benchmark()
    truth = bench.load_truth(PAGES)
    assert len(truth) >= 30
    result = bench.score(bench.read_pages(PAGES), truth)
    means = result["means"]
    assert means["f1"] >= 0.95, means
    for key in ("title", "author", "date"):
        assert means[key] >= 0.90, (key, means)


def test_shingle_measure() -> None:
    bench = _benchmark()
    assert bench.SHINGLE == 5
    assert bench.body_scores("one two three four five six", "one two three four five six") == (1.0, 1.0, 1.0)
    precision, recall, _ = bench.body_scores("one two three four five six seven", "one two three four five six")
    assert recall == 1.0 and precision == 2 / 3
    assert bench.body_scores("", "one two") == (0.0, 0.0, 0.0)


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


PAGE = """<!doctype html><html><head><title>Tram line opens in Bath - Western News</title>
<meta property="og:site_name" content="Western News">
<link rel="canonical" href="https://news.example/bath-tram">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Tram line opens in Bath", "datePublished": "2024-03-14T18:02:11Z",
 "author": [{"@type": "Person", "name": "Ann Lee", "jobTitle": "Transport Correspondent"},
            {"@type": "Person", "name": "Raj Patel"}]}</script></head>
<body><div class="cookie-banner"><p>We use cookies to improve your experience on our site.</p><button>Accept</button></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><header><h1>Tram line opens in Bath</h1><p class="byline">By Ann Lee and Raj Patel</p></header>
<figure><img src="t.jpg"><figcaption>The first tram leaves Bath Spa station on Thursday morning.
<span class="credit">Photograph: Kim Ode</span></figcaption></figure>
<p>The first tram line in Bath for ninety years opened on Thursday, carrying more than two thousand passengers on its first day of service.</p>
<p>The line runs from the railway station to the university and cost one hundred and twenty million pounds, most of it from the government.</p>
<p>Shopkeepers on the route said the works had been hard on trade but hoped the trams would now bring more customers into the city centre.</p>
</article>
<aside class="most-viewed"><h2>Most viewed</h2><ol><li><a href="#">Council tax to rise again next year in most areas</a></li></ol></aside>
<footer><p>Copyright 2024 Western News. All rights reserved.</p></footer></body></html>"""


def test_page_metadata_body_and_caption(tmp_path: Path) -> None:
    write(tmp_path, "tram.html", PAGE)
    (article,) = searchkit.read_corpus(tmp_path)
    assert article.title == "Tram line opens in Bath"  # not the <title> with its " - Western News"
    assert article.metadata["author"] == "Ann Lee; Raj Patel"  # never the job title
    assert article.metadata["date"] == "2024-03-14T18:02:11+00:00"
    assert article.metadata["date_text"] == "2024-03-14T18:02:11Z"
    assert article.metadata["publisher"] == "Western News"
    assert article.metadata["url"] == "https://news.example/bath-tram"
    passages = searchkit.split_article(article)
    text = " ".join(p.text for p in passages)
    for chrome in ("cookies", "Most viewed", "Council tax", "Copyright", "Home", "By Ann Lee", "Kim Ode"):
        assert chrome not in text, chrome
    caption = next(p for p in passages if p.metadata.get("kind") == "caption")
    assert caption.text == "The first tram leaves Bath Spa station on Thursday morning."
    assert caption.metadata["credit"] == "Photograph: Kim Ode"
    source = source_text(tmp_path, "tram.html")
    assert source == article.text
    for passage in passages:
        assert source[passage.start : passage.end] == passage.text


TWO_PARAGRAPHS = ("<p>The company will add a second daily sailing from Penzance on Saturdays in July and August.</p>"
                  "<p>Island businesses had asked for more capacity after visitors were turned away last summer.</p>")


def article_of(tmp_path: Path, head: str, article: str) -> searchkit.Article:
    """The one article read from a page of ``head`` and an ``<article>`` of ``article``."""
    write(tmp_path, "page.html", f"<html><head>{head}</head><body><article>{article}</article></body></html>")
    (read,) = searchkit.read_corpus(tmp_path)
    return read


def test_meta_author_list_and_time_element(tmp_path: Path) -> None:
    article = article_of(tmp_path, "<meta name='author' content='Anita Kumar, Mark Tessler, Markets Correspondent'>",
                         f"<h1>Copper falls</h1><time datetime='2023-09-29'>29 September</time>{TWO_PARAGRAPHS}")
    assert article.metadata["author"] == "Anita Kumar; Mark Tessler"
    assert article.metadata["date"] == "2023-09-29"


def test_organisation_is_not_an_author_and_byline_is_read(tmp_path: Path) -> None:
    ld = json.dumps({"@type": "NewsArticle", "author": {"@type": "NewsMediaOrganization", "name": "Broadcast News"}})
    article = article_of(tmp_path, f"<script type='application/ld+json'>{ld}</script>",
                         f"<h1>Ferry sailings added</h1><div class='byline'><span>By Jack Penrose</span></div>{TWO_PARAGRAPHS}")
    assert article.metadata.get("author") == "Jack Penrose"


def test_date_is_never_guessed(tmp_path: Path) -> None:
    article = article_of(tmp_path, "", "<h1>Notes</h1><p>We met on a Tuesday, some time in the spring, and talked "
                                       "for hours about the garden and the allotment and the weather.</p>")
    assert "date" not in article.metadata


def test_extractor_is_named_with_its_version() -> None:
    assert extractor() == "trafilatura 2.3.1"


def test_pyproject_pins_the_extractor() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    dependencies = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert '"trafilatura==2.3.1"' in dependencies


def test_truth_file_is_complete() -> None:
    for line in (PAGES / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert (PAGES / record["file"]).is_file()
        assert record["title"] and record["body"]


def test_line_breaks_and_nested_lists_give_one_block_each(tmp_path: Path) -> None:
    article = article_of(tmp_path, "", "<h1>Trip</h1><p>What we need for the trip to the coast this weekend, in order of priority.</p>"
                                       "<ul><li>Food<ul><li>Bread</li><li>Cheese</li></ul></li><li>Tent pegs</li></ul>"
                                       "<div>Meet at the station,<br>platform two,<br>at nine on Friday.</div>")
    body = [article.text[a:b] for a, b in article.body]
    assert body[1:] == ["Food", "Bread", "Cheese", "Tent pegs", "Meet at the station,", "platform two,", "at nine on Friday."]
    assert article.text.count("Bread") == 1


def test_json_ld_graph_names_authors_and_publisher_by_id(tmp_path: Path) -> None:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "headline": "Canal boatyards revive", "datePublished": "2023-06-14T08:00:00+00:00",
         "author": {"@id": "#p1"}, "publisher": {"@id": "#org"}},
        {"@type": "Person", "@id": "#p1", "name": "Isobel Grant"},
        {"@type": "Organization", "@id": "#org", "name": "The Makers' Journal"}]}
    article = article_of(tmp_path, f"<script type='application/ld+json'>{json.dumps(graph)}</script>",
                         f"<h1>Canal boatyards revive</h1>{TWO_PARAGRAPHS}")
    assert article.metadata["author"] == "Isobel Grant"
    assert article.metadata["publisher"] == "The Makers' Journal"
    assert article.metadata["date"] == "2023-06-14T08:00:00+00:00"


def test_host_name_is_not_a_publisher(tmp_path: Path) -> None:
    article = article_of(tmp_path, "<link rel='canonical' href='https://valleygazette.example/2024/bridge/'>",
                         f"<h1>Bridge closes</h1>{TWO_PARAGRAPHS}")
    assert "publisher" not in article.metadata
    assert article.metadata["url"] == "https://valleygazette.example/2024/bridge/"


def test_inline_links_newsletter_prompts_and_author_notes_are_left_out(tmp_path: Path) -> None:
    article = article_of(
        tmp_path, "<meta name='author' content='Prof. Helen Achterberg'>",
        "<h1>Libraries are the last free indoor space</h1>"
        "<p>In winter, the central library in my city fills up by ten in the morning, with people who have nowhere else to be warm.</p>"
        "<p>Read more: Paddle steamers return after a winter of repairs</p>"
        "<p>That is not a misuse of the library. It is one of the things libraries have always been for.</p>"
        "<p><em>Want to keep up with the latest news from Craven? Sign up to our free newsletter here.</em></p>"
        "<p><em>Helen Achterberg is a professor of urban studies at the University of Tyneside.</em></p>")
    assert article.metadata["author"] == "Helen Achterberg"  # no honorific
    body = [article.text[a:b] for a, b in article.body]
    assert body == [
        "In winter, the central library in my city fills up by ten in the morning, with people who have nowhere else to be warm.",
        "That is not a misuse of the library. It is one of the things libraries have always been for.",
    ]
    reasons = {article.text[a:b][:9]: r for a, b, r in article.dropped}
    assert reasons["Read more"] == "related link" and reasons["Want to k"] == "engagement prompt"
    assert reasons["Helen Ach"] == "author note"


def test_byline_element_beats_trafilaturas_comma_split_and_date_element_is_read(tmp_path: Path) -> None:
    write(tmp_path, "page.html", "<html><body><main><h1>Homes approved</h1><div class='publish-info'>"
          "<span class='author'>By Kim Ode, Local Democracy Reporter</span><span class='time'>Published 3 April 2024, 14:02</span>"
          f"</div>{TWO_PARAGRAPHS}</main></body></html>")
    (article,) = searchkit.read_corpus(tmp_path)
    assert article.metadata["author"] == "Kim Ode"
    assert article.metadata["date"] == "2024-04-03"
    assert article.metadata["date_text"] == "Published 3 April 2024, 14:02"


def test_a_related_sentence_is_content(tmp_path: Path) -> None:
    from searchkit.ingest.chrome import chrome_reason

    assert chrome_reason("Related: the budget was cut by a third, officials said. Two more departments will close.") is None
    assert chrome_reason("Related stories") is None  # a heading: the trailing-list rule decides
