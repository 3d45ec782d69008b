"""The search page in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium): type a query, read the ranked results, follow a citation to the source."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from searchkit.server import create_app

from serving import get_json, live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
QUESTION = "Who introduced Senate Resolution 211?"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    options = Options()
    options.binary_location = CHROMIUM
    # No sandbox as root; no background traffic, which this closed network refuses.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for downloads
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def site(built: Path, corpus: Path):
    with live_server(create_app(built, corpus)) as base:
        yield base


def wait(driver, condition, seconds: float = 20):
    # A list re-rendered while it is read leaves stale elements: read it again.
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def test_search_rank_and_follow_a_citation(browser, site: str) -> None:
    expected = get_json(f"{site}/search?q=Who+introduced+Senate+Resolution+211%3F&limit=10")[1]["hits"]
    browser.get(site + "/")
    box = wait(browser, EC.element_to_be_clickable((By.ID, "q")))
    box.send_keys(QUESTION, Keys.ENTER)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li.hit")) == len(expected))

    hits = browser.find_elements(By.CSS_SELECTOR, "#results li.hit")
    assert [h.get_attribute("data-passage-id") for h in hits] == [e["passage_id"] for e in expected]
    assert [h.get_attribute("data-rank") for h in hits] == [str(e["rank"]) for e in expected]
    first = hits[0]
    assert first.find_element(By.CSS_SELECTOR, ".title").text == expected[0]["title"]
    marks = [m.text.lower() for m in first.find_elements(By.CSS_SELECTOR, ".passage mark")]
    assert {"senate", "resolution", "211"} <= set(marks)
    assert browser.find_element(By.ID, "status").text.startswith("1–10 of ")
    assert "q=Who+introduced" in browser.current_url

    link = first.find_element(By.CSS_SELECTOR, "a.cite")
    assert link.text == expected[0]["citation"]
    link.click()
    cited = wait(browser, EC.presence_of_element_located((By.ID, "cited")))
    assert "/source" in browser.current_url
    assert " ".join(cited.text.split()) == " ".join(expected[0]["text"].split())
    assert browser.find_element(By.TAG_NAME, "h1").text == expected[0]["title"]
    assert cited.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"

    browser.back()  # the query lives in the address, so the results come back
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li.hit")) == len(expected))
    assert browser.find_element(By.ID, "q").get_attribute("value") == QUESTION


def test_query_syntax_and_errors_are_shown(browser, site: str) -> None:
    browser.get(site + "/")
    box = wait(browser, EC.element_to_be_clickable((By.ID, "q")))
    browser.find_element(By.ID, "syntax").click()
    box.send_keys('"Ed Markey" AND Toomey', Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
    for hit in browser.find_elements(By.CSS_SELECTOR, "#results li.hit .passage"):
        assert "Ed Markey" in hit.text and "Toomey" in hit.text

    box.clear()
    box.send_keys("*", Keys.ENTER)
    wait(browser, lambda d: "nothing to search for" in d.find_element(By.ID, "status").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#results li.hit") == []


def test_text_from_the_corpus_is_never_markup(browser, built: Path, corpus: Path) -> None:
    import searchkit
    from conftest import write

    write(corpus, "evil.txt", 'Evil <img src=x onerror="document.title=\'pwned\'"> title\n\n'
          + "The zebrafinch <b>sang</b> <script>document.title='pwned'</script> at dawn. " * 6)
    searchkit.build_index(corpus, built)
    with live_server(create_app(built, corpus)) as base:
        browser.get(base + "/?q=zebrafinch")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
        passage = browser.find_element(By.CSS_SELECTOR, "#results li.hit .passage")
        assert "<b>sang</b>" in passage.text and passage.find_elements(By.TAG_NAME, "b") == []
        assert browser.title != "pwned"
        browser.find_element(By.CSS_SELECTOR, "#results li.hit a.cite").click()
        wait(browser, EC.presence_of_element_located((By.ID, "cited")))
        assert browser.title != "pwned" and "<script>" in browser.find_element(By.ID, "cited").text


# --- Filters, facets, paging, similar passages, the address and a phone (issue 18) ---------

LONG_URL = "https://example.org/world?story=" + "averylongslugwithnoplacetobreakit" * 12 + "&page=1"
#: (path, publisher, author, date or None, url or None, paragraphs)
ARTICLES = [
    ("r1.txt", "Reuters", "Ann Lee", "2017-06-03", LONG_URL, 3),
    ("r2.txt", "Reuters", "Bo Chen", "2017-09-14", "https://example.org/r2", 3),
    ("r3.txt", "Reuters", "Ann Lee", "2018-01-20", None, 2),
    ("a1.txt", "AP", "Cy Diaz", "2017-06-30", "https://example.org/a1", 3),
    ("a2.txt", "AP", "Ann Lee", "2016-11-05", "javascript:document.title='pwned'", 2),
    ("g1.txt", "The Guardian", "Di Evans", "2019-03-01", "https://example.org/g1", 3),
    ("g2.txt", "The Guardian", "Di Evans", None, None, 2),
]

CAPTION = "The first tram leaves Bath Spa station on Thursday morning."
TRAM = f"""<!doctype html><html><head><title>Tram line opens in Bath</title></head><body><article>
<h1>Tram line opens in Bath</h1><figure><img src="t.jpg"><figcaption>{CAPTION}</figcaption></figure>
<p>The first tram line in Bath for ninety years opened on Thursday, carrying more than two thousand passengers.</p>
<p>The line runs from the railway station to the university and cost one hundred and twenty million pounds.</p>
</article></body></html>"""


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory):
    """A live server over articles with publishers, authors, dates and URLs; yields its base URL."""
    import json

    import searchkit
    from conftest import write

    root = tmp_path_factory.mktemp("page-newsroom")
    lines = []
    for n, (path, publisher, author, date, url, paragraphs) in enumerate(ARTICLES):
        body = "\n\n".join(  # each paragraph its own passage, with a different count of the query word
            f"Paragraph {p} of story {n} reports on the purge " + "and the inquiry " * (1 + (n * 3 + p) % 5)
            + f"in district {n * 10 + p}. " + f"Officials in district {n * 10 + p} declined to comment on the details of the case, citing the review. " * 3
            for p in range(paragraphs))
        write(root / "corpus", path, f"Story {n} about the purge\n\n{body}\n")
        meta = {"path": path, "publisher": publisher, "author": author}
        meta.update({k: v for k, v in (("date", date), ("url", url)) if v})
        lines.append(json.dumps(meta))
    write(root / "corpus", "metadata.jsonl", "\n".join(lines) + "\n")
    write(root / "corpus", "tram.html", TRAM)
    searchkit.build_index(root / "corpus", root / "index")
    with live_server(create_app(root / "index", root / "corpus")) as base:
        yield base


def paragraphs(publisher: str | None = None) -> int:
    """Passages in ARTICLES (one per paragraph), counted without the index."""
    return sum(a[5] for a in ARTICLES if publisher in (None, a[1]))


def api(base: str, path: str = "/search", **params: Any) -> dict[str, Any]:
    """The API's answer for these parameters (lists repeat the parameter)."""
    import urllib.parse

    status, data = get_json(f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}")
    assert status == 200, data
    return data


def shown(driver) -> list[str]:
    return [h.get_attribute("data-passage-id") for h in driver.find_elements(By.CSS_SELECTOR, "#results li.hit")]


def wait_for_hits(driver, expected: dict[str, Any]) -> None:
    ids = [h["passage_id"] for h in expected["hits"]]
    assert ids, "the test needs a query with hits"
    wait(driver, lambda d: shown(d) == ids and d.find_element(By.ID, "results").get_attribute("aria-busy") == "false")


def chips(driver) -> list[str]:
    return [c.text.rstrip("×").strip() for c in driver.find_elements(By.CSS_SELECTOR, "#chips .chip")]


def test_typed_filters_narrow_to_what_the_api_returns_and_survive_a_reload(browser, newsroom: str) -> None:
    expected = api(newsroom, q="purge", where=["publisher=Reuters"], since="2017-07", sort="-date",
                   group_by="article", facets="publisher,author,year,kind")
    # Reuters from July 2017 on: r2 and r3, newest first, one hit per article.
    assert [h["source"] for h in expected["hits"]] == ["r3.txt", "r2.txt"]
    browser.get(newsroom + "/")
    wait(browser, EC.element_to_be_clickable((By.ID, "q"))).send_keys("purge")
    browser.find_element(By.ID, "publisher").send_keys("reuters")  # names compare without case
    browser.find_element(By.ID, "since").send_keys("2017-07", Keys.ENTER)
    Select(browser.find_element(By.ID, "sort")).select_by_visible_text("newest first")  # these apply at once
    browser.find_element(By.ID, "group").click()
    wait_for_hits(browser, expected)

    def same_page() -> None:
        assert chips(browser) == ["publisher: reuters", "since: 2017-07"]
        assert browser.find_element(By.ID, "q").get_attribute("value") == "purge"
        assert browser.find_element(By.ID, "since").get_attribute("value") == "2017-07"
        assert Select(browser.find_element(By.ID, "sort")).first_selected_option.text == "newest first"
        assert browser.find_element(By.ID, "group").is_selected()
        assert browser.find_element(By.ID, "status").text.startswith("1–2 of 2 articles")
        more = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results li.hit .more")]
        assert more == [f"and {n} more passage{'s' if n > 1 else ''} in this article"
                        for n in (h["group_count"] - 1 for h in expected["hits"]) if n]
        assert more  # the test's articles have several passages
        facet = {b.get_attribute("data-value"): b.find_element(By.CLASS_NAME, "count").text
                 for b in browser.find_elements(By.CSS_SELECTOR, '.facet[data-field="author"] .facet-value')}
        assert facet == {f["value"]: str(f["count"]) for f in expected["facets"]["author"]}

    same_page()
    browser.get(browser.current_url)  # a shared link: the same results and the same filters
    wait_for_hits(browser, expected)
    same_page()


def test_a_facet_value_adds_a_filter_and_its_chip_removes_it(browser, newsroom: str) -> None:
    everything = api(newsroom, q="purge")
    browser.get(newsroom + "/?q=purge")
    wait_for_hits(browser, everything)
    browser.find_element(By.CSS_SELECTOR, '.facet[data-field="publisher"] .facet-value[data-value="AP"]').click()
    ap = api(newsroom, q="purge", where="publisher=AP")
    wait_for_hits(browser, ap)
    assert {h["metadata"]["publisher"] for h in ap["hits"]} == {"AP"} and ap["total"] == paragraphs(publisher="AP")
    assert chips(browser) == ["publisher: AP"] and "where=publisher%3DAP" in browser.current_url

    browser.find_element(By.CSS_SELECTOR, '.facet[data-field="year"] .facet-value[data-value="2017"]').click()
    ap2017 = api(newsroom, q="purge", where="publisher=AP", since="2017", until="2017")
    wait_for_hits(browser, ap2017)
    assert {h["source"] for h in ap2017["hits"]} == {"a1.txt"}
    assert chips(browser) == ["publisher: AP", "since: 2017", "until: 2017"]

    browser.back()  # the address is the state: Back shows the results before
    wait_for_hits(browser, ap)
    browser.find_element(By.CSS_SELECTOR, "#chips .chip .remove").click()
    wait_for_hits(browser, everything)
    assert chips(browser) == []


def test_next_and_previous_pages(browser, newsroom: str) -> None:
    first, second = api(newsroom, q="purge"), api(newsroom, q="purge", offset=10)
    assert first["total"] == paragraphs() == 18 and len(second["hits"]) == 8
    browser.get(newsroom + "/?q=purge")
    wait_for_hits(browser, first)
    assert browser.find_element(By.ID, "status").text.startswith("1–10 of 18 passages")
    assert not browser.find_element(By.ID, "previous").is_enabled()
    browser.find_element(By.ID, "next").click()
    wait_for_hits(browser, second)
    assert browser.find_element(By.ID, "status").text.startswith("11–18 of 18 passages")
    assert not browser.find_element(By.ID, "next").is_enabled()
    assert [h.get_attribute("data-rank") for h in browser.find_elements(By.CSS_SELECTOR, "#results li.hit")][0] == "11"
    browser.get(browser.current_url)
    wait_for_hits(browser, second)
    browser.find_element(By.ID, "previous").click()
    wait_for_hits(browser, first)


def test_original_article_link_and_a_phone_width(browser, newsroom: str) -> None:
    expected = api(newsroom, q="purge", where="doc_id=r1")
    browser.get(newsroom + "/?q=purge&where=doc_id%3Dr1")
    wait_for_hits(browser, expected)
    for hit in browser.find_elements(By.CSS_SELECTOR, "#results li.hit"):
        assert hit.find_element(By.CSS_SELECTOR, "a.original").get_attribute("href") == LONG_URL
        assert hit.find_element(By.CSS_SELECTOR, "a.cite").get_attribute("href").endswith("/source#cited")
    # Only http(s) addresses are links: a javascript: url from the metadata is not one.
    unsafe = api(newsroom, q="purge", where="doc_id=a2")
    browser.get(newsroom + "/?q=purge&where=doc_id%3Da2")
    wait_for_hits(browser, unsafe)
    assert browser.find_elements(By.CSS_SELECTOR, "#results a.original") == []

    size = browser.get_window_size()
    browser.set_window_size(375, 800)
    try:
        for address in ("/?q=purge&where=doc_id%3Dr1", "/?q=purge&group_by=article"):
            browser.get(newsroom + address)
            wait(browser, lambda d: shown(d))
            assert LONG_URL in browser.find_element(By.ID, "results").text.replace("\n", "") or "r1" not in address
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 375 and width <= browser.execute_script("return window.innerWidth")
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_similar_passages_in_the_same_list(browser, newsroom: str) -> None:
    browser.get(newsroom + "/?q=purge")
    wait_for_hits(browser, api(newsroom, q="purge"))
    first = browser.find_element(By.CSS_SELECTOR, "#results li.hit")
    passage_id = first.get_attribute("data-passage-id")
    expected = api(newsroom, f"/passages/{passage_id}/similar")
    first.find_element(By.CSS_SELECTOR, "a.similar").click()
    wait_for_hits(browser, expected)
    assert passage_id not in shown(browser)
    assert f"similar={passage_id}" in browser.current_url
    cited = api(newsroom, f"/passages/{passage_id}")["passage"]
    like = f"like passage {cited['ordinal'] + 1} of “{cited['title']}”"
    assert browser.find_element(By.ID, "status").text.endswith(like)
    browser.get(browser.current_url)
    wait_for_hits(browser, expected)


def test_kind_select_and_a_listing_without_words(browser, newsroom: str) -> None:
    captions = api(newsroom, q="tram", where="kind=caption")
    assert [(h["text"], h["kind"]) for h in captions["hits"]] == [(CAPTION, "caption")]
    browser.get(newsroom + "/?q=tram")
    wait_for_hits(browser, api(newsroom, q="tram"))
    Select(browser.find_element(By.ID, "kind")).select_by_visible_text("caption")  # applies at once
    wait_for_hits(browser, captions)
    assert chips(browser) == ["kind: caption"] and "where=kind%3Dcaption" in browser.current_url

    # No words, only a filter: every passage that passes, newest first.
    listing, n = api(newsroom, q="", where="publisher=AP"), paragraphs(publisher="AP")
    assert listing["total"] == n
    dates = [h["date"] for h in listing["hits"]]
    assert dates == sorted(dates, reverse=True)
    browser.get(newsroom + "/")
    wait(browser, EC.element_to_be_clickable((By.ID, "publisher"))).send_keys("AP", Keys.ENTER)
    wait_for_hits(browser, listing)
    assert browser.find_element(By.ID, "status").text == f"1–{n} of {n} passages matching the filters"


def test_a_misspelled_name_shows_what_it_matched_and_a_suggestion(browser, site: str) -> None:
    # "Kadirov": the bundled corpus writes Kadyrov. The page says which spelling each hit
    # matched, and offers the query with the corpus's spelling.
    expected = get_json(f"{site}/search?q=Kadirov&limit=10")[1]
    assert expected["suggestion"] == "Kadyrov" and expected["hits"][0]["matched"] == {"kadirov": "Kadyrov"}
    browser.get(site + "/?q=Kadirov")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li.hit")) == len(expected["hits"]))
    first = browser.find_element(By.CSS_SELECTOR, "#results li.hit")
    assert first.find_element(By.CSS_SELECTOR, ".matched").text == "also matched: Kadyrov"
    offer = browser.find_element(By.CSS_SELECTOR, "#suggestion a.suggested")
    assert browser.find_element(By.ID, "suggestion").text == "Did you mean Kadyrov?"
    offer.click()
    wait(browser, lambda d: d.find_element(By.ID, "q").get_attribute("value") == "Kadyrov")
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#suggestion a"))
    assert "q=Kadyrov" in browser.current_url
