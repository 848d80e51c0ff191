"""The one place that wires real (or fake) embedders and indexes from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Embedder, VectorIndex

if TYPE_CHECKING:
    from ..settings import Settings


def make_embedder(settings: "Settings") -> Embedder:
    if settings.embedder.backend == "hash":
        from .hash_embedder import HashEmbedder

        return HashEmbedder()
    from .embedder import MiniLMEmbedder

    return MiniLMEmbedder(settings.embedder.model_path, batch_size=settings.embedder.batch_size, device=settings.embedder.device, cache_dir=settings.paths.cache)


def make_index(settings: "Settings") -> VectorIndex:
    if settings.index.backend == "memory":
        from .memory_index import InMemoryIndex

        return InMemoryIndex()
    from .chroma import ChromaIndex

    if settings.index.chroma_url:
        return ChromaIndex.http(settings.index.chroma_url)
    return ChromaIndex.persistent(settings.paths.index)
