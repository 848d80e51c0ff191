"""The embedding and vector-index seams.

:class:`Embedder` turns texts into L2-normalised float32 vectors. :class:`VectorIndex` stores
vectors with ids, documents and metadata per *namespace* and answers nearest-neighbour
queries with optional equality filters on metadata. The real implementations are
:class:`agentmem.retrieval.embedder.MiniLMEmbedder` and
:class:`agentmem.retrieval.chroma.ChromaIndex`; the fakes are
:class:`agentmem.testing.HashEmbedder` and :class:`agentmem.testing.InMemoryIndex`.
Scores are cosine similarities (higher is better).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field


class Hit(BaseModel):
    """One search result."""

    id: str
    score: float
    document: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors (real: packaged MiniLM; fake: :class:`~agentmem.testing.HashEmbedder`)."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, float32, rows L2-normalised."""
        ...


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest-neighbour index over namespaced collections (real: Chroma; fake: :class:`~agentmem.testing.InMemoryIndex`)."""

    def upsert(
        self,
        namespace: str,
        ids: list[str],
        embeddings: np.ndarray,
        documents: list[str] | None = None,
        metadatas: list[dict[str, Any]] | None = None,
    ) -> None: ...

    def query(self, namespace: str, embedding: np.ndarray, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]: ...

    def delete(self, namespace: str, ids: list[str]) -> None: ...

    def count(self, namespace: str) -> int: ...

    def namespaces(self) -> list[str]: ...

    def drop(self, namespace: str) -> None: ...


def normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def matches(metadata: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Equality filter (and ``{"$in": [...]}``) semantics shared by every index implementation."""
    if not where:
        return True
    for key, cond in where.items():
        value = metadata.get(key)
        if isinstance(cond, dict) and "$in" in cond:
            if value not in cond["$in"]:
                return False
        elif isinstance(cond, dict) and "$ne" in cond:
            if value == cond["$ne"]:
                return False
        elif value != cond:
            return False
    return True
