"""The one place that wires real (or fake) embedders and indexes from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Embedder, VectorIndex
from .lexical import LexicalIndex

if TYPE_CHECKING:
    from ..settings import Settings


def make_embedder(settings: "Settings") -> Embedder:
    if settings.embedder.backend == "hash":
        from ..testing import HashEmbedder

        return HashEmbedder()
    from .embedder import MiniLMEmbedder

    return MiniLMEmbedder(settings.embedder.model_path, batch_size=settings.embedder.batch_size, device=settings.embedder.device, cache_dir=settings.paths.cache)


def make_index(settings: "Settings") -> VectorIndex:
    if settings.index.backend == "memory":
        from ..testing import InMemoryIndex

        return InMemoryIndex()
    from .chroma import ChromaIndex

    if settings.index.chroma_url:
        return ChromaIndex.http(settings.index.chroma_url)
    return ChromaIndex.persistent(settings.paths.index)


def make_lexical(settings: "Settings", collection: str) -> LexicalIndex:
    """The lexical index of ``collection``: ``index.lexical = "fts5"`` (default) is a persistent
    SQLite FTS5 file ``<home>/index/lexical/<collection>.sqlite`` (in memory when the vector index
    is the in-memory one, so tests leave no files); ``"bm25s"`` is the in-memory bm25s index."""
    if settings.index.lexical == "bm25s":
        from .lexical import BM25Index

        return BM25Index()
    from .chroma import collection_name
    from .fts import FTSIndex

    if settings.index.backend == "memory":
        return FTSIndex()
    return FTSIndex(settings.paths.index / "lexical" / f"{collection_name(collection)}.sqlite")
