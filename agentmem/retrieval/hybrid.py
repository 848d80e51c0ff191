"""Hybrid search over one collection: BM25 + dense vectors, fused by RRF.

Every store indexes its records through a :class:`HybridIndex`; the vector part goes to any
:class:`~agentmem.retrieval.base.VectorIndex` (Chroma by default, in-memory in tests) and the
lexical part is any :class:`~agentmem.retrieval.lexical.LexicalIndex`: by default an in-memory
:class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25` (updated per item); stores that live in a
home pass a persistent one from :func:`~agentmem.retrieval.factory.make_lexical`. Both parts are
caches: the store's files are the truth.

**Deferred vectors.** ``upsert(..., defer_vectors=True)`` over an index that can hold a row
before its vector (:class:`~agentmem.retrieval.write_buffer.BufferedIndex`) writes the row and
its lexical entry at once and computes the vector on a background thread (into the embedder's
content-hash cache), so a writer's acknowledgement does not wait for the model. The next dense
search first waits for those vectors (or embeds, in one batch with the query, any pending row
this process did not start: another process's, or one left by a kill) and hands them to the
index, so a search never misses an item that was written before it.

Example::

    hx = HybridIndex("behaviors", embedder, index)
    hx.upsert(ids, texts, metadatas)
    hits = hx.search("count overlapping sets", k=5, where={"namespace": "default/default"})
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .base import Embedder, Hit, VectorIndex, matches
from .fusion import rrf
from .lexical import LexicalIndex

_log = logging.getLogger(__name__)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    global _POOL
    _POOL = None  # a forked child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool() -> ThreadPoolExecutor:
    """One background thread per process computes deferred vectors (one model call at a time)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentmem-vectors")
        return _POOL


class HybridIndex:
    def __init__(self, collection: str, embedder: Embedder, index: VectorIndex, rrf_k: int = 60, weights: tuple[float, float] = (1.0, 1.0), lexical: LexicalIndex | None = None) -> None:
        self.collection = collection
        self.embedder = embedder
        self.index = index
        if lexical is None:
            from .incremental_bm25 import IncrementalBM25

            lexical = IncrementalBM25()
        self.lexical = lexical
        #: times :meth:`sync` re-upserted every row (a test checks writes never cause one)
        self.full_syncs = 0
        self.rrf_k = rrf_k
        self.weights = weights
        #: vectors being computed off the writer's path (see the module docstring)
        self._inflight: list[Future[Any]] = []
        self._deferrable = all(hasattr(index, m) for m in ("upsert_pending", "unvectored", "fill_vectors"))
        bind = getattr(index, "bind_embedder", None)
        if bind is not None:
            bind(collection, embedder.embed)

    def __len__(self) -> int:
        return len(self.lexical)

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]] | None = None, *, defer_vectors: bool = False) -> None:
        """Index ``ids``; ``defer_vectors`` (honoured when the vector index can hold a row before
        its vector) returns before the model runs: see the module docstring."""
        if not ids:
            return
        metas = metadatas or [{} for _ in ids]
        if defer_vectors and self._deferrable:
            self.index.upsert_pending(self.collection, ids, texts, metas)  # type: ignore[attr-defined]
            self.lexical.upsert(ids, texts, metas)
            self._inflight = [f for f in self._inflight if not f.done()]
            self._inflight.append(_pool().submit(self.embedder.embed, list(texts)))
            return
        self.index.upsert(self.collection, ids, self.embedder.embed(texts), texts, metas)
        self.lexical.upsert(ids, texts, metas)

    def prefetch(self, texts: list[str]) -> bool:
        """Embed ``texts`` into the embedder's cache while the current write's fsyncs are in
        flight (:func:`agentmem.fileio.while_syncing`); False outside an fsync group."""
        from ..fileio import while_syncing

        return while_syncing(lambda: self.embedder.embed(list(texts)))

    def _query_vector(self, query: str) -> Any:
        """The query's vector, after giving the index the vectors of its pending rows (waiting for
        those being computed here, embedding the rest in one batch with the query)."""
        todo = self.index.unvectored(self.collection) if self._deferrable else []  # type: ignore[attr-defined]
        if not todo:
            return self.embedder.embed([query])[0]
        for f in self._inflight:  # their vectors land in the embedder's cache
            try:
                f.result()
            except Exception as exc:  # noqa: BLE001 - embedded again below
                _log.warning("deferred vector failed, embedding it now: %s", exc)
        self._inflight = []
        docs = [d for _, d in todo]
        vecs = self.embedder.embed([query, *docs])
        self.index.fill_vectors(self.collection, [i for i, _ in todo], vecs[1:], docs)  # type: ignore[attr-defined]
        return vecs[0]

    def sync(self, rows: list[tuple[str, str, dict[str, Any]]]) -> int:
        """Make the index hold exactly ``rows`` (``(id, text, metadata)``), touching only the rows
        that differ from what the lexical index already holds (a persisted index opened by a new
        process usually differs in none). When the vector index's count disagrees with the
        lexical one (a crash between the two writes, a dropped collection) every row is
        re-upserted; embeddings come from the embedder's content-hash cache. Returns the number
        of rows upserted or deleted."""
        held = self.lexical.rows()
        want = {i: (t, dict(m)) for i, t, m in rows}
        try:
            vec_count = self.index.count(self.collection)
        except Exception:  # noqa: BLE001 - an index that cannot count is re-filled
            vec_count = -1
        if vec_count != len(held):
            changed = list(want)
            self.full_syncs += 1
        else:
            changed = [i for i, tm in want.items() if held.get(i) != tm]
        gone = [i for i in held if i not in want]
        if gone:
            self.delete(gone)
        if changed:
            self.upsert(changed, [want[i][0] for i in changed], [want[i][1] for i in changed])
        return len(changed) + len(gone)

    def delete(self, ids: list[str]) -> None:
        self.index.delete(self.collection, ids)
        self.lexical.delete(ids)

    def dense(self, query: str, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """Dense top ``k``. With a filter, the unfiltered top ``k`` is asked first: when every hit
        passes (one namespace in the collection, the usual case) it *is* the filtered top ``k``,
        and Chroma's filtered query (which first lists every matching id) is skipped."""
        qv = self._query_vector(query)
        if not where:
            return self.index.query(self.collection, qv, k=k)
        hits = self.index.query(self.collection, qv, k=k)
        if all(matches(h.metadata, where) for h in hits) and (len(hits) == k or len(hits) == self.index.count(self.collection)):
            return hits
        return self.index.query(self.collection, qv, k=k, where=where)

    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None, mode: str = "hybrid") -> list[Hit]:
        """``mode`` is ``"hybrid"`` (RRF of both), ``"bm25"`` or ``"dense"``."""
        if not query.strip() or k <= 0:
            return []
        depth = max(k * 3, 30)
        if mode == "bm25":
            return self.lexical.search(query, k, where)
        if mode == "dense":
            return self.dense(query, k, where)
        fused = rrf([self.lexical.search(query, depth, where), self.dense(query, depth, where)], k=self.rrf_k, weights=self.weights)
        return fused[:k]
