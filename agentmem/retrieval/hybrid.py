"""Hybrid search over one collection: BM25 + dense vectors, fused by RRF.

Every store indexes its records through a :class:`HybridIndex`; the vector part goes to any
:class:`~agentmem.retrieval.base.VectorIndex` (Chroma by default, in-memory in tests) and the
lexical part is an in-process :class:`~agentmem.retrieval.lexical.BM25Index` rebuilt from the
documents (cheap, and a cache like the vector index: the store's files are the truth).

Example::

    hx = HybridIndex("behaviors", embedder, index)
    hx.upsert(ids, texts, metadatas)
    hits = hx.search("count overlapping sets", k=5, where={"namespace": "default/default"})
"""

from __future__ import annotations

from typing import Any

from .base import Embedder, Hit, VectorIndex
from .fusion import rrf
from .lexical import BM25Index


class HybridIndex:
    def __init__(self, collection: str, embedder: Embedder, index: VectorIndex, rrf_k: int = 60, weights: tuple[float, float] = (1.0, 1.0)) -> None:
        self.collection = collection
        self.embedder = embedder
        self.index = index
        self.lexical = BM25Index()
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

    def delete(self, ids: list[str]) -> None:
        self.index.delete(self.collection, ids)
        self.lexical.delete(ids)

    def dense(self, query: str, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        return self.index.query(self.collection, self.embedder.embed([query])[0], k=k, where=where)

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
