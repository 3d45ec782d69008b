"""Cut an ``Article`` into ``Passage``s with exact offsets and stable ids.

A passage is one or more whole paragraphs that stand next to each other in the
source (nothing dropped between them), or, for a paragraph too long to cite, a run
of its sentences. Sentence boundaries come from NLTK's Punkt tokenizer with a list
of English abbreviations shipped here, so nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from functools import lru_cache
from typing import Any, Iterator, Mapping

from .models import Article, Passage
from .settings import Settings

__all__ = ["split_article", "passage_id", "sentence_spans"]

# Abbreviations after which a full stop does not end a sentence (lower case, no final dot).
_ABBREVIATIONS = (
    "mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep pres "
    "rev hon u.s u.k u.n e.u a.m p.m e.g i.e etc vs no nos vol fig approx est inc ltd "
    "co corp dept univ assn jan feb mar apr jun jul aug sep sept oct nov dec "
    "ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss "
    "mo mont neb nev okla ore pa tenn tex va vt wash wis wyo"
).split()


@lru_cache(maxsize=1)
def _punkt() -> Any:
    # Loaded here, without the rest of NLTK: it is slow to import and only long paragraphs need it.
    from ._nltk import load

    punkt = load("nltk.tokenize.punkt")
    params = punkt.PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return punkt.PunktSentenceTokenizer(params)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` spans within ``text[start:end]``, as offsets into ``text``."""
    end = len(text) if end is None else end
    return [(start + a, start + b) for a, b in _punkt().span_tokenize(text[start:end])]


def passage_id(doc_id: str, ordinal: int, text: str) -> str:
    """A stable id: the same article text gives the same ids on every build."""
    digest = hashlib.sha1(f"{doc_id}\x00{ordinal}\x00{text}".encode("utf-8")).hexdigest()
    return digest[:16]


def _groups(article: Article) -> Iterator[list[tuple[int, int]]]:
    """Runs of body paragraphs with only white space between them."""
    group: list[tuple[int, int]] = []
    for span in article.body:
        if group and article.text[group[-1][1] : span[0]].strip():
            yield group
            group = []
        group.append(span)
    if group:
        yield group


def _cut_long(article: Article, span: tuple[int, int], settings: Settings) -> list[tuple[int, int]]:
    """Cut one over-long paragraph into runs of sentences of about ``target_chars``."""
    sentences = sentence_spans(article.text, *span)
    pieces: list[tuple[int, int]] = []
    for a, b in sentences:
        if pieces and b - pieces[-1][0] <= settings.target_chars:
            pieces[-1] = (pieces[-1][0], b)
        else:
            pieces.append((a, b))
    # A sentence longer than max_chars is cut at white space so no passage is huge.
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        while b - a > settings.max_chars:
            cut = article.text.rfind(" ", a + settings.min_chars, a + settings.target_chars)
            cut = cut if cut > a else a + settings.target_chars
            out.append((a, cut))
            a = cut
            while a < b and article.text[a].isspace():
                a += 1
        if a < b:
            out.append((a, b))
    return out


def _pack(text: str, spans: list[tuple[int, int]], settings: Settings) -> list[tuple[int, int]]:
    """Merge short neighbouring pieces so each passage has some context."""
    packed: list[tuple[int, int]] = []
    for a, b in spans:
        if packed:
            pa, pb = packed[-1]
            short = pb - pa < settings.min_chars or b - a < settings.min_chars
            # "X said:" belongs with the quote that follows it.
            introduces = text[pb - 1] == ":" and b - pa <= settings.max_chars
            if introduces or (short and b - pa <= settings.target_chars):
                packed[-1] = (pa, b)
                continue
        packed.append((a, b))
    return packed


def _with_page(article: Article, start: int, end: int) -> Mapping[str, str]:
    """The article's metadata, plus the page (or pages) a passage of a paged source spans."""
    if not article.page_starts:
        return article.metadata
    first = bisect_right(article.page_starts, start)
    last = bisect_right(article.page_starts, max(start, end - 1))
    return {**article.metadata, "page": str(first) if first == last else f"{first}-{last}"}


def split_article(article: Article, settings: Settings | None = None) -> list[Passage]:
    """The passages of ``article``, in order; ``article.text[p.start:p.end] == p.text``."""
    settings = settings or Settings()
    spans: list[tuple[int, int]] = []
    for group in _groups(article):
        pieces: list[tuple[int, int]] = []
        for span in group:
            if span[1] - span[0] > settings.max_chars:
                pieces.extend(_cut_long(article, span, settings))
            else:
                pieces.append(span)
        spans.extend(_pack(article.text, pieces, settings))
    passages = [_passage(article, n, a, b, _with_page(article, a, b)) for n, (a, b) in enumerate(spans)]
    for ordinal, (start, end, credit) in enumerate(article.captions, len(passages)):
        meta = {**_with_page(article, start, end), "kind": "caption", "credit": credit}
        passages.append(_passage(article, ordinal, start, end, meta))
    return passages


def _passage(article: Article, ordinal: int, start: int, end: int, metadata: Mapping[str, str]) -> Passage:
    text = article.text[start:end]
    return Passage(
        passage_id=passage_id(article.doc_id, ordinal, text),
        doc_id=article.doc_id,
        ordinal=ordinal,
        title=article.title,
        text=text,
        source=article.source,
        start=start,
        end=end,
        metadata=metadata,
    )
