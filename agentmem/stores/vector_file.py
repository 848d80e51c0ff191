"""An on-disk, append-only, exact (brute-force) cosine index over memory-mapped float32 rows.

Used by the reasoning-subroutine store, whose rows are numbered densely and never deleted
(retirement is a flag), which makes a flat file the natural layout: row ``i`` of the store is
row ``i`` of ``vectors.f32``. Appending costs a write; a query is a chunked matrix-vector
product over the memory map plus a partial sort, so its cost grows linearly with the number
of rows (about 1.5 GB of float32 at 1M x 384; see ``benchmarks/results/subroutine_scale.md``
for the measured trade-off against Chroma's HNSW). Results are exact: recall is 1 by
construction, and nothing needs rebuilding after a crash or a rollback (a truncation).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import StoreError


class ExactVectorFile:
    """Flat float32 rows in one file; exact top-k by inner product (rows are unit vectors)."""

    def __init__(self, path: str | os.PathLike[str], dim: int, chunk_rows: int = 131_072) -> None:
        self.path = Path(path)
        self.dim = dim
        self.chunk_rows = chunk_rows
        self._map: np.ndarray | None = None

    def _row_bytes(self) -> int:
        return self.dim * 4

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        return size // self._row_bytes()

    def matrix(self) -> np.ndarray:
        """A read-only ``(n, dim)`` memory map of the committed rows."""
        n = len(self)
        if self._map is None or len(self._map) != n:
            self._map = np.zeros((0, self.dim), dtype=np.float32) if n == 0 else np.memmap(self.path, dtype=np.float32, mode="r", shape=(n, self.dim))
        return self._map

    def append(self, vectors: np.ndarray, at_row: int) -> None:
        """Write ``vectors`` starting at row ``at_row`` (anything beyond it is cut first)."""
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[1] != self.dim:
            raise StoreError(f"{self.path}: expected vectors of shape (n, {self.dim}), got {vecs.shape}")
        self._map = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "r+b" if self.path.exists() else "wb") as handle:
            handle.truncate(at_row * self._row_bytes())
            handle.seek(at_row * self._row_bytes())
            handle.write(vecs.tobytes())
            handle.flush()
            os.fsync(handle.fileno())

    def truncate(self, rows: int) -> None:
        self._map = None
        if self.path.exists():
            with open(self.path, "r+b") as handle:
                handle.truncate(rows * self._row_bytes())
                os.fsync(handle.fileno())

    def search(self, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by cosine to ``query``; ``mask`` (bool per row) limits the candidates.

        Returns ``(rows, scores)``, best first.
        """
        mat = self.matrix()
        n = len(mat)
        if n == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise StoreError(f"query has dimension {q.shape[0]}, index {self.path} has {self.dim}")
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        best_rows = np.zeros(0, dtype=np.int64)
        best_scores = np.zeros(0, dtype=np.float32)
        for start in range(0, n, self.chunk_rows):
            scores = mat[start : start + self.chunk_rows] @ q
            if mask is not None:  # rows past the mask (appended since it was made) are excluded
                part = mask[start : start + len(scores)]
                if len(part) < len(scores):
                    part = np.concatenate([part, np.zeros(len(scores) - len(part), dtype=bool)])
                scores = np.where(part, scores, -np.inf)
            kk = min(k, len(scores))
            top = np.argpartition(-scores, kk - 1)[:kk]
            best_rows = np.concatenate([best_rows, top.astype(np.int64) + start])
            best_scores = np.concatenate([best_scores, scores[top].astype(np.float32)])
            if len(best_rows) > k:
                keep = np.argpartition(-best_scores, k - 1)[:k]
                best_rows, best_scores = best_rows[keep], best_scores[keep]
        order = np.lexsort((best_rows, -best_scores))
        rows, scores = best_rows[order], best_scores[order]
        finite = np.isfinite(scores)
        return rows[finite], scores[finite]
