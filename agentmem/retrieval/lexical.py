"""The lexical-search seam, and the bm25s implementation kept for comparison.

:class:`LexicalIndex` is what :class:`~agentmem.retrieval.hybrid.HybridIndex` needs from a
lexical engine. The default is :class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25`
(incremental, persistent in SQLite, scored with numpy); :class:`~agentmem.retrieval.fts.FTSIndex`
(SQLite FTS5) is the other persistent option; the choice rests on the figures in docs/recall.md. :class:`BM25Index` (bm25s)
builds a sparse index in one shot, so it keeps the documents and rebuilds on the first query
after any change (O(N) per write-then-read); ``weight_mask`` restricts a query to the rows that
pass a filter without rebuilding. Select it with ``index.lexical = "bm25s"``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from .base import Hit, matches


@runtime_checkable
class LexicalIndex(Protocol):
    """Lexical (BM25) search over ``(id, document, metadata)`` rows; ``where`` as in
    :func:`~agentmem.retrieval.base.matches`. Scores: higher is better."""

    def __len__(self) -> int: ...

    def upsert(self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]] | None = None) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]: ...

    def rows(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{id: (document, metadata)}`` of every indexed row."""
        ...


class BM25Index:
    """bm25s over in-memory documents, rebuilt on the first search after a change."""

    def __init__(self, k1: float = 1.5, b: float = 0.75, stopwords: str | None = "en") -> None:
        self.k1, self.b, self.stopwords = k1, b, stopwords
        self._ids: list[str] = []
        self._docs: list[str] = []
        self._meta: list[dict[str, Any]] = []
        self._pos: dict[str, int] = {}
        self._model: Any = None
        self._dirty = True
        #: full index builds so far (one per write-then-read; the incremental engines have none)
        self.builds = 0

    def __len__(self) -> int:
        return len(self._ids)

    def upsert(self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]] | None = None) -> None:
        metas = metadatas or [{} for _ in ids]
        for id_, doc, meta in zip(ids, documents, metas, strict=True):
            if id_ in self._pos:
                i = self._pos[id_]
                self._docs[i], self._meta[i] = doc, dict(meta)
            else:
                self._pos[id_] = len(self._ids)
                self._ids.append(id_)
                self._docs.append(doc)
                self._meta.append(dict(meta))
        self._dirty = True

    def delete(self, ids: list[str]) -> None:
        drop = {i for i in ids if i in self._pos}
        if not drop:
            return
        keep = [j for j, id_ in enumerate(self._ids) if id_ not in drop]
        self._ids = [self._ids[j] for j in keep]
        self._docs = [self._docs[j] for j in keep]
        self._meta = [self._meta[j] for j in keep]
        self._pos = {id_: j for j, id_ in enumerate(self._ids)}
        self._dirty = True

    def rows(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {i: (d, m) for i, d, m in zip(self._ids, self._docs, self._meta)}

    def _build(self) -> None:
        import bm25s

        model = bm25s.BM25(k1=self.k1, b=self.b)
        tokens = bm25s.tokenize(self._docs, stopwords=self.stopwords, show_progress=False)  # pyright: ignore[reportArgumentType]  # bm25s takes None (no stopwords); its hint omits it
        model.index(tokens, show_progress=False)
        self._model = model
        self._dirty = False
        self.builds += 1

    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        if not self._ids or k <= 0 or not query.strip():
            return []
        if self._dirty:
            self._build()
        import bm25s

        qtok = bm25s.tokenize([query], stopwords=self.stopwords, show_progress=False)  # pyright: ignore[reportArgumentType]  # bm25s takes None (no stopwords); its hint omits it
        mask = None
        if where:
            mask = np.array([1.0 if matches(m, where) else 0.0 for m in self._meta], dtype=np.float32)
            if not mask.any():
                return []
        n = len(self._ids) if mask is None else int(mask.sum())
        kk = min(k, n)
        try:
            docs, scores = self._model.retrieve(qtok, k=kk, show_progress=False, weight_mask=mask)
        except ValueError:
            # bm25s refuses queries whose tokens are all unknown; that is simply "no lexical hit".
            return []
        hits = []
        for j, s in zip(docs[0], scores[0]):
            j = int(j)
            if s <= 0 or (mask is not None and mask[j] == 0):
                continue
            hits.append(Hit(id=self._ids[j], score=float(s), document=self._docs[j], metadata=self._meta[j]))
        return hits
