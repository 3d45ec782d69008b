"""The search page in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium): type a query, read the ranked results, follow a citation to the source."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

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
    return WebDriverWait(driver, seconds).until(condition)


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
    assert "10 passages" in browser.find_element(By.ID, "status").text
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
