"""An approximate index over an :class:`~agentmem.stores.vector_file.ExactVectorFile`, with exact re-scoring.

The flat file stays the truth (row ``i`` = pair ``i``); this module keeps a **cache** beside it
that answers a query without a full scan:

* below ``min_rows`` rows (default 50,000) the exact scan is fast enough and is used as is;
* above, a faiss inverted-file index with 8-bit scalar quantisation (``IVF<nlist>,SQ8``, inner
  product) proposes ``candidates`` rows (default 200) from ``nprobe`` lists, and those rows are
  re-scored exactly against the float32 file, so the scores returned are exact cosines and
  only the candidate set is approximate;
* the number of lists is fixed when the index is trained, for the size the store is heading
  to rather than the size it has: ``n / 48`` lists, at most ``max_nlist`` (1,024), so a store
  trained at 50,000 rows already has the 1,024 lists it needs at a million. ``nprobe`` is a
  fixed number of lists (``nlist / 32``, at least 8: 32 of 1,024), not a fraction of the
  store, so a query scans about 3% of the rows. Measured on clustered vectors at 1M rows
  (``benchmarks/subroutine_scale_bench.py``), 32 lists and 200 candidates kept recall@10 of the
  exact answer at 1.0; at 200k, the earlier ``2 sqrt(n)`` lists trained on 30 points each lost
  4% of it;
* inserts are incremental: :meth:`AnnIndex.sync` encodes the rows appended since the last call
  (one matrix product against the list centroids per batch; no graph to rebuild). The
  centroids are trained once, on ``train_sample`` points per list (10 k-means iterations),
  when the store first passes ``min_rows``, and retrained (a rebuild) only when the store has
  grown ``regrow`` (32) times past that size: training and re-encoding cost a minute at a
  million rows, so they are rare;
* faiss runs on ``threads`` OpenMP threads (default 1; set per call, it is a process-wide
  setting of faiss): on a small shared machine more threads slowed both training and search;
* the cache is saved as ``ann.faiss`` + ``ann.json`` under the home's index folder
  (:func:`ann_cache_dir`: caches stay out of the store's files and snapshots) whenever it has
  doubled since the last save (``save_every``), and checked against the file on load (row count
  and a checksum of the last indexed row): after a rollback (truncation) or a re-embedding it
  is rebuilt, never trusted; rows indexed since the last save are re-encoded on load;
* a namespace or lifecycle ``mask`` is applied to the candidates; when fewer than ``k`` pass
  (a rare namespace), the query falls back to an exact scan of the masked rows only.

faiss (``faiss-cpu``) is imported lazily; without it every query is the exact scan (the
``backend`` attribute says which one answered). Why IVF-SQ8 rather than a graph index
(HNSW: Chroma's, hnswlib, faiss): inserting into a graph costs a search per row, which on this
machine caps inserts far below the 5,000 pairs/s the store must sustain; IVF appends cost one
centroid assignment. ``benchmarks/ann_choice_bench.py`` measured the candidates side by side.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..fileio import atomic_write_json, read_json
from .vector_file import ExactVectorFile

log = logging.getLogger(__name__)


def ann_cache_dir(settings: Any, root: str | Path) -> Path:
    """Where the cache of the store at ``root`` lives: under the home's index folder (a cache, so
    outside the store's files and out of its snapshots), one folder per store root."""
    import hashlib

    key = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:12]
    return Path(settings.paths.index) / "ann" / f"{Path(root).name}-{key}"


def faiss_available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


class AnnIndex:
    """Approximate candidates + exact re-scoring over ``vectors`` (see the module docstring)."""

    def __init__(self, vectors: ExactVectorFile, root: str | Path, *, min_rows: int = 50_000, candidates: int = 200, nprobe: int | None = None,
                 regrow: float = 32.0, train_sample: int = 32, save_every: float = 1.0, max_nlist: int = 1024, threads: int = 1,
                 use_faiss: bool = True) -> None:
        self.vectors = vectors
        self.root = Path(root)
        self.min_rows = min_rows
        self.candidates = candidates
        self._nprobe = nprobe
        self.regrow = regrow
        self.train_sample = train_sample
        self.save_every = save_every
        self.max_nlist = max_nlist
        self.threads = threads
        self.use_faiss = use_faiss and faiss_available()
        self.index_path = self.root / "ann.faiss"
        self.meta_path = self.root / "ann.json"
        self._index: Any = None
        self._rows = 0
        self._trained_rows = 0
        self._saved_rows = 0
        self._loaded = False
        self._lock = threading.RLock()
        self._last_sum = ""
        self.backend = "exact"

    # ---- bookkeeping ------------------------------------------------------------------------
    def _checksum(self, rows: int) -> str:
        if rows == 0:
            return ""
        row = np.asarray(self.vectors.matrix()[rows - 1])
        import hashlib

        return hashlib.sha256(row.tobytes()).hexdigest()[:16]

    def _nlist(self, n: int) -> int:
        """Lists for a store of ``n`` rows: ``n / 48`` (so every list gets ``train_sample`` training
        points with room to spare), at least 16, at most ``max_nlist``."""
        return int(min(self.max_nlist, max(16, n // 48)))

    @property
    def nprobe(self) -> int:
        if self._nprobe is not None:
            return self._nprobe
        nlist = self._index.nlist if self._index is not None else 64
        return max(8, nlist // 32)

    def _threads(self) -> None:
        import faiss

        faiss.omp_set_num_threads(self.threads)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        meta = read_json(self.meta_path, None)
        if not meta or not self.index_path.exists():
            return
        n = len(self.vectors)
        rows = int(meta.get("rows", 0))
        if meta.get("dim") != self.vectors.dim or rows > n or meta.get("checksum") != self._checksum(rows):
            log.info("%s: stale approximate index (rows %s, vectors %s): rebuilding", self.index_path, rows, n)
            return
        import faiss

        try:
            self._index = faiss.read_index(str(self.index_path))
        except Exception as exc:  # noqa: BLE001 - a cache: rebuild it
            log.warning("%s: unreadable (%s): rebuilding", self.index_path, exc)
            return
        self._rows = self._saved_rows = rows
        self._trained_rows = int(meta.get("trained_rows", rows))
        self._last_sum = str(meta.get("checksum", ""))

    def _save(self) -> None:
        import faiss

        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_suffix(".faiss.tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(self.index_path)
        atomic_write_json(self.meta_path, {"rows": self._rows, "trained_rows": self._trained_rows, "dim": self.vectors.dim, "nlist": int(self._index.nlist),
                                           "checksum": self._checksum(self._rows), "kind": "IVF,SQ8 inner product"})
        self._saved_rows = self._rows

    def _train(self, n: int) -> None:
        import faiss

        mat = self.vectors.matrix()
        nlist = self._nlist(n)
        rng = np.random.default_rng(0)
        take = min(n, self.train_sample * nlist)
        sample = np.ascontiguousarray(mat[np.sort(rng.choice(n, size=take, replace=False))], dtype=np.float32)
        quantizer = faiss.IndexFlatIP(self.vectors.dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, self.vectors.dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10  # k-means iterations: training cost matters more than the last % of list balance
        index.cp.min_points_per_centroid = min(index.cp.min_points_per_centroid, self.train_sample)  # no warning for the sample we chose
        self._threads()
        index.train(sample)
        self._index, self._rows, self._trained_rows = index, 0, n

    # ---- public -----------------------------------------------------------------------------
    def sync(self, *, save: bool = True) -> int:
        """Bring the cache up to the file (train, rebuild or append as needed); return indexed rows."""
        if not self.use_faiss:
            return 0
        with self._lock:
            self._load()
            n = len(self.vectors)
            if n < self.min_rows:
                return self._rows
            if self._index is not None and (self._rows > n or self._checksum(self._rows) != self._last_sum):
                self._index, self._rows = None, 0  # truncated or rewritten (rollback, reindex): rebuild
            if self._index is None or n > self.regrow * max(self._trained_rows, 1):
                self._train(n)
            mat = self.vectors.matrix()
            assert self._index is not None  # trained just above
            self._threads()
            for start in range(self._rows, n, 65_536):
                stop = min(n, start + 65_536)
                self._index.add_with_ids(np.ascontiguousarray(mat[start:stop], dtype=np.float32), np.arange(start, stop, dtype=np.int64))
            self._rows = n
            self._last_sum = self._checksum(n)
            if save and (self._rows - self._saved_rows) > self.save_every * max(self._saved_rows, self.min_rows):
                self._save()
            return self._rows

    def search(self, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by exact cosine among the candidates (``(rows, scores)``, best first)."""
        n = len(self.vectors)
        if not self.use_faiss or n < self.min_rows:
            self.backend = "exact"
            return self.vectors.search(query, k, mask)
        if mask is not None and int(mask.sum()) < max(self.min_rows, 4 * self.candidates):
            self.backend = "exact-masked"
            return self._exact_rows(query, k, np.flatnonzero(mask))
        with self._lock:
            if self._rows != n:
                self.sync()
            q = np.asarray(query, dtype=np.float32).reshape(1, -1)
            q = q / max(float(np.linalg.norm(q)), 1e-12)
            self._index.nprobe = self.nprobe
            want = max(self.candidates, 4 * k)
            _, ids = self._index.search(q, want)
        cand = ids[0][ids[0] >= 0]
        if mask is not None:
            cand = cand[mask[cand]]
        if len(cand) < k and mask is not None:
            self.backend = "exact-masked"
            return self._exact_rows(query, k, np.flatnonzero(mask))
        self.backend = "ivf-sq8+rescore"
        return self._exact_rows(query, k, np.sort(cand))

    def _exact_rows(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(rows) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        mat = self.vectors.matrix()
        scores = np.empty(len(rows), dtype=np.float32)
        for s in range(0, len(rows), 65_536):
            scores[s : s + 65_536] = np.asarray(mat[rows[s : s + 65_536]]) @ q
        kk = min(k, len(rows))
        top = np.argpartition(-scores, kk - 1)[:kk]
        order = np.lexsort((rows[top], -scores[top]))
        return rows[top][order].astype(np.int64), scores[top][order]

    def info(self) -> dict[str, Any]:
        return {"backend": "faiss IVF-SQ8 + exact rescoring" if self.use_faiss else "exact (faiss not installed)", "indexed_rows": self._rows,
                "nlist": int(self._index.nlist) if self._index is not None else None, "nprobe": self.nprobe if self._index is not None else None,
                "candidates": self.candidates, "min_rows": self.min_rows}


__all__ = ["AnnIndex", "ann_cache_dir", "faiss_available"]
