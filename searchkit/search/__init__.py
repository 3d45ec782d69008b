"""Search an index: ranked, cited, highlighted passages for plain words or query syntax.

One module per job, in the order a query goes through them:

* ``searcher``: ``Searcher``; builds the hits; ``calls``: the one-call functions
* ``ranking``: ranked lists of one reading (top-k, title-only order, articles, counts)
* ``query``: plain words → the query plan (and query files → queries);
  ``syntax``: Whoosh's query language and Whoosh's matchers, imported only when a
  query needs them (plain words never do: a cold ``searchkit search`` stays fast)
* ``reading``: each thread's open reader, refreshed after a commit
* ``scoring``: BM25F and the exact top passages for an OR of words;
  ``topk``: one passage per text
* ``feedback``: pseudo-relevance feedback; ``highlight``: highlight spans
* ``filters``: filters, date bounds, facets, grouping and order over every match;
  ``variants``: close spellings of rare words
* ``sharded``: a sharded index's searcher (every shard scored with the whole
  index's ``statistics``, the pages merged)
* ``failures``: which error a failing search raises
* ``_whoosh``: the only reader of Whoosh's private attributes
"""

from ..settings import LIBRARY_LIMITS
from .query import parse_queries
from .calls import open_searcher, search, search_batch, show, similar
from .searcher import Searcher

__all__ = ["Searcher", "search", "search_batch", "show", "similar", "open_searcher", "parse_queries", "MAX_QUERY_CHARS", "MAX_LIMIT"]

#: Longer queries are refused: they are pasted documents, not questions.
MAX_QUERY_CHARS = LIBRARY_LIMITS.max_query_chars
MAX_LIMIT = LIBRARY_LIMITS.max_limit
