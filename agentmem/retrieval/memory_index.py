"""An exact, in-process vector index: cosine search over numpy arrays, one table per namespace.

Used for ``index.backend = "memory"`` and inside components that keep a small private index
(the fact store, LoCoMo QA). Not persistent: rebuild it from the store files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Hit, matches, normalise_rows

class InMemoryIndex:
    """Exact cosine search over numpy arrays, one table per namespace. Not persistent."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, tuple[np.ndarray, str, dict[str, Any]]]] = {}

    def upsert(self, namespace: str, ids: list[str], embeddings: np.ndarray, documents: list[str] | None = None, metadatas: list[dict[str, Any]] | None = None) -> None:
        emb = normalise_rows(embeddings)
        if len(ids) != len(emb):
            raise ValueError(f"upsert: {len(ids)} ids but {len(emb)} embeddings")
        table = self._tables.setdefault(namespace, {})
        for i, id_ in enumerate(ids):
            table[id_] = (emb[i], (documents or [""] * len(ids))[i], dict((metadatas or [{}] * len(ids))[i]))

    def query(self, namespace: str, embedding: np.ndarray, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        table = self._tables.get(namespace, {})
        rows = [(id_, v, d, m) for id_, (v, d, m) in table.items() if matches(m, where)]
        if not rows or k <= 0:
            return []
        mat = np.stack([r[1] for r in rows])
        q = normalise_rows(embedding)[0]
        scores = mat @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(id=rows[i][0], score=float(scores[i]), document=rows[i][2], metadata=rows[i][3]) for i in order]

    def delete(self, namespace: str, ids: list[str]) -> None:
        table = self._tables.get(namespace, {})
        for id_ in ids:
            table.pop(id_, None)

    def ids(self, namespace: str) -> list[str]:
        """Every id in the table."""
        return list(self._tables.get(namespace, {}))

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` the table holds."""
        table = self._tables.get(namespace, {})
        return {i for i in ids if i in table}

    def count(self, namespace: str) -> int:
        return len(self._tables.get(namespace, {}))

    def namespaces(self) -> list[str]:
        return sorted(self._tables)

    def drop(self, namespace: str) -> None:
        self._tables.pop(namespace, None)
