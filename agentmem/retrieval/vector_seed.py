"""Pre-computed vectors for known texts, so a process never embeds them again (the shipped skills').

A *seed file* is an ``.npz`` holding ``model_id`` (the embedder's :func:`model_id`: its name and a
fingerprint of its weights folder), ``keys`` (the SHA-1 of each text, as the embedder's own cache
keys them) and ``vectors`` (float32, one row per key). :class:`SeededEmbedder` wraps an embedder:
texts whose hash is in the seed come from it, the others go to the wrapped embedder. A changed
text has another hash, so it is embedded afresh; a seed written by another model (another
``model_id``) is ignored whole. Seeds are caches: deleting one only costs embedding time.

Example::

    write_seed(path, embedder, texts)          # once per version of the texts (build time)
    emb = seeded(embedder, path)               # later: the texts cost a dictionary look-up
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from .base import Embedder, normalise_rows

_log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    """The cache key of ``text`` (SHA-1 of its UTF-8 bytes, as :class:`~agentmem.retrieval.embedder.MiniLMEmbedder` keys its cache)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def model_id(embedder: Any) -> str:
    """What a seed must have been written by to be used with ``embedder``: its ``model_id``
    attribute when it has one (MiniLM: name + weights fingerprint), else its ``name``."""
    return str(getattr(embedder, "model_id", None) or getattr(embedder, "name", type(embedder).__name__))


def seed_file_name(embedder: Any) -> str:
    """A file name for ``embedder``'s seed (its name made filesystem-safe)."""
    name = str(getattr(embedder, "name", type(embedder).__name__))
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) + ".npz"


def write_seed(path: str | Path, embedder: Embedder, texts: list[str]) -> int:
    """Embed ``texts`` with ``embedder`` and write the seed file (atomically); returns its row count."""
    from ..fileio import atomic_write_bytes

    uniq = list(dict.fromkeys(texts))
    vecs = np.asarray(embedder.embed(uniq), dtype=np.float32) if uniq else np.zeros((0, embedder.dim), dtype=np.float32)
    import io

    buf = io.BytesIO()
    np.savez(buf, model_id=np.asarray(model_id(embedder)), keys=np.asarray([text_key(t) for t in uniq], dtype="U40"), vectors=vecs)
    atomic_write_bytes(Path(path), buf.getvalue())
    return len(uniq)


def load_seed(path: str | Path, embedder: Any) -> dict[str, np.ndarray]:
    """The vectors of the seed at ``path`` by text key, or ``{}`` when it is absent, unreadable
    (logged) or was written by another model than ``embedder``."""
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        with np.load(p, allow_pickle=False) as z:
            written_by = str(z["model_id"])
            keys, vecs = z["keys"], np.asarray(z["vectors"], dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - a seed is a cache: embed instead
        _log.warning("vector seed %s unreadable, ignored: %s", p, exc)
        return {}
    if written_by != model_id(embedder):
        _log.info("vector seed %s was written by %s, not %s: ignored", p, written_by, model_id(embedder))
        return {}
    if vecs.ndim != 2 or len(vecs) != len(keys):
        _log.warning("vector seed %s: %d keys but vectors of shape %s, ignored", p, len(keys), vecs.shape)
        return {}
    return {str(k): v for k, v in zip(keys, vecs)}


class SeededEmbedder:
    """An :class:`~agentmem.retrieval.base.Embedder` that answers seeded texts from the seed and
    passes the rest to ``inner`` (whose other attributes it exposes)."""

    def __init__(self, inner: Embedder, seed: dict[str, np.ndarray]) -> None:
        self.inner = inner
        self.seed = seed
        self.name = inner.name
        self.dim = inner.dim
        #: texts answered from the seed (a test reads it)
        self.seed_hits = 0

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed(texts)
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.seed))
        fresh = dict(zip(missing, self.inner.embed(missing))) if missing else {}
        self.seed_hits += len(texts) - sum(1 for k in keys if k not in self.seed)
        return normalise_rows(np.stack([self.seed[k] if k in self.seed else fresh[t] for t, k in zip(texts, keys)]))


def seeded(embedder: Embedder, path: str | Path) -> Embedder:
    """``embedder`` answering from the seed at ``path`` when it holds vectors of this model, else ``embedder`` itself."""
    seed = load_seed(path, embedder)
    return SeededEmbedder(embedder, seed) if seed else embedder
