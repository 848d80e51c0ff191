"""Hybrid search over one collection: BM25 + dense vectors, fused by RRF.

Every store indexes its records through a :class:`HybridIndex`; the vector part goes to any
:class:`~agentmem.retrieval.base.VectorIndex` (Chroma by default, in-memory in tests) and the
lexical part is any :class:`~agentmem.retrieval.lexical.LexicalIndex`: by default an in-memory
:class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25` (updated per item); stores that live in a
home pass a persistent one from :func:`~agentmem.retrieval.factory.make_lexical`. Both parts are
caches: the store's files are the truth.

Example::

    hx = HybridIndex("behaviors", embedder, index)
    hx.upsert(ids, texts, metadatas)
    hits = hx.search("count overlapping sets", k=5, where={"namespace": "default/default"})
"""

from __future__ import annotations

from typing import Any

from .base import Embedder, Hit, VectorIndex, matches
from .fusion import rrf
from .lexical import LexicalIndex


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

    def __len__(self) -> int:
        return len(self.lexical)

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]] | None = None) -> None:
        if not ids:
            return
        metas = metadatas or [{} for _ in ids]
        self.index.upsert(self.collection, ids, self.embedder.embed(texts), texts, metas)
        self.lexical.upsert(ids, texts, metas)

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
        qv = self.embedder.embed([query])[0]
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
