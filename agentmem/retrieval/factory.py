"""The one place that wires real (or fake) embedders and indexes from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Embedder, VectorIndex
from .lexical import LexicalIndex

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
    index = ChromaIndex.persistent(settings.paths.index)
    if settings.index.write_buffer_items <= 0:
        return index
    from .write_buffer import BufferedIndex

    return BufferedIndex(index, settings.paths.index / "write_buffer", max_items=settings.index.write_buffer_items, max_age_s=settings.index.write_buffer_age_s)


def make_lexical(settings: "Settings", collection: str) -> LexicalIndex:
    """The lexical index of ``collection`` (``index.lexical``): ``"bm25"`` (default) is the
    incremental BM25 of :mod:`~agentmem.retrieval.incremental_bm25`, persisted in
    ``<home>/index/lexical/<collection>.sqlite``; ``"fts5"`` is SQLite FTS5 in a file beside it;
    ``"bm25s"`` is the in-memory bm25s index (rebuilt after each write). With the in-memory
    vector index (tests) the persistent engines stay in memory too, so tests leave no files."""
    if settings.index.lexical == "bm25s":
        from .lexical import BM25Index

        return BM25Index()
    from .chroma import collection_name

    folder = settings.paths.index / "lexical"
    if settings.index.lexical == "fts5":
        from .fts import FTSIndex

        return FTSIndex() if settings.index.backend == "memory" else FTSIndex(folder / f"{collection_name(collection)}.fts5.sqlite")
    from .incremental_bm25 import IncrementalBM25

    return IncrementalBM25() if settings.index.backend == "memory" else IncrementalBM25(folder / f"{collection_name(collection)}.bm25.sqlite")
