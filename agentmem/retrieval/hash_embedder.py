"""A model-free embedder: signed feature hashing of word unigrams and bigrams.

Used where no neural model is wanted (``embedder.backend = "hash"``: quick demos, very large
synthetic benchmarks, tests). Deterministic, no download, microseconds per text; similar texts
get similar vectors only through shared words.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from .base import normalise_rows

_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Deterministic embeddings from hashed word unigrams and bigrams (signed feature hashing).

    Texts sharing words get high cosine similarity, so retrieval tests behave sensibly, yet
    nothing is downloaded and each call costs microseconds.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        toks = _TOKEN.findall(text.lower())
        feats = toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:])]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        return v

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise_rows(np.stack([self._vec(t) for t in texts]))
