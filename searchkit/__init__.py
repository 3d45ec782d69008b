"""searchkit: cited passage search over collections of articles.

    >>> import searchkit
    >>> report = searchkit.build_index("corpus", "index")
    >>> for hit in searchkit.search("Who introduced Senate Resolution 211?", index="index"):
    ...     print(hit.rank, hit.citation)

The pipeline, one module per stage: ``ingest`` (files → articles) → ``passages``
(articles → passages with exact offsets) → ``analysis``/``schema`` → ``index``
(build, update, open) → ``search`` (ranked hits with citations).
"""

__version__ = "0.1.0"

from .errors import (
    CorpusError,
    EvaluationError,
    ExportError,
    IndexDamagedError,
    IndexLockedError,
    IndexWriteError,
    IndexMismatchError,
    IndexNotFoundError,
    PassageNotFoundError,
    QueryError,
    SearchkitError,
    SearchUnavailableError,
)
from .models import Article, CheckReport, Citation, Copy, Hit, IndexReport, Passage, PassageContext, SearchResults, Skipped
from .settings import Settings
from .passages import split_article
from .index import Index, build_index, create_index, open_index
from .search import Searcher, search, search_batch, show, similar

# The ingesters (and what they import) load on first use, so that ``searchkit
# search`` starts fast: it never reads corpus files.
_LAZY = {"read_corpus": "ingest", "source_text": "ingest", "check_index": "check", "repair_index": "check"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    # errors
    "SearchkitError",
    "CorpusError",
    "IndexNotFoundError",
    "IndexMismatchError",
    "IndexDamagedError",
    "SearchUnavailableError",
    "IndexLockedError",
    "IndexWriteError",
    "QueryError",
    "PassageNotFoundError",
    "EvaluationError",
    "ExportError",
    # records
    "Article",
    "Passage",
    "Citation",
    "Copy",
    "Hit",
    "SearchResults",
    "PassageContext",
    "Skipped",
    "IndexReport",
    "CheckReport",
    "Settings",
    # pipeline
    "read_corpus",
    "source_text",
    "split_article",
    "Index",
    "open_index",
    "create_index",
    "build_index",
    "check_index",
    "repair_index",
    "Searcher",
    "search",
    "search_batch",
    "show",
    "similar",
]
