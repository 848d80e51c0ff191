"""A crash-safe write-behind buffer in front of a persistent vector index (embedded Chroma).

Why: a single-item upsert into embedded Chroma costs about as much as the query it precedes
(26 ms at 100k items here), so an agent loop that remembers one item and then recalls paid it on
every step. :class:`BufferedIndex` implements :class:`~agentmem.retrieval.base.VectorIndex` over
another one (the *inner* index) and takes writes into a small buffer instead:

* **Durable first.** Every ``upsert`` / ``delete`` is appended as one line (JSON + CRC) to
  ``<folder>/<collection>.log`` and fsynced before the call returns, so a write that returned
  survives a kill at any moment. A torn last line (a writer killed mid-append) fails its CRC and is
  skipped; the next writer ends it with a newline before appending, so it never swallows a record.
* **Searched exactly.** The buffered rows live in memory as a small matrix; every ``query``
  scans it exactly and merges it with the inner index's hits by cosine score. Inner hits whose id
  is buffered (a newer vector) or deleted since (a *tombstone*) are dropped; when that leaves
  fewer than ``k``, the inner index is asked again for ``k`` plus the number of shadowed ids.
* **Flushed in batches.** When the buffer holds ``max_items`` ids, or its oldest record is older
  than ``max_age_s`` at a write, and on :meth:`close` (also at the exit of a process that wrote,
  when chromadb is already imported: it cannot be imported while the interpreter shuts down, and the
  records simply wait in the file for the next writer), the final state
  of every buffered id is written to the inner index in one batch (upserts, then deletes), and only
  then is the file replaced by an empty one with a new generation id. Both steps are idempotent, so
  a kill mid-flush just leaves the records to be applied again.
* **Vectors may come later.** :meth:`BufferedIndex.upsert_pending` appends (and fsyncs) an id
  with its document and metadata but no vector: the write is durable and counted at once, and
  the vector is computed afterwards (:class:`~agentmem.retrieval.hybrid.HybridIndex` does it off
  the writer's path, and before its next dense search: :meth:`BufferedIndex.unvectored` lists
  what is still missing, :meth:`BufferedIndex.fill_vectors` gives it, in memory). Until then the
  id shadows any older vector of it in the inner index. A process that reads a pending record
  (another process, or the same home after a kill) computes the vector itself; a flush embeds
  what is still pending with the embedder bound by :meth:`BufferedIndex.bind_embedder` (and
  leaves the buffer as it is when none is bound), so no id ever reaches the inner index without
  its vector.
* **Shared by processes.** Appends and flushes hold a file lock per collection. Before every read
  a process ``stat`` s the file; when it changed it reads the new lines (or, after another process
  flushed, the new generation from the start). It reads the buffer *before* asking the inner
  index, so an item is never missed while another process moves it from one to the other.

:meth:`count` and :meth:`ids` answer for the buffer and the inner index together (buffered ids the
inner index lacks, minus tombstones it holds), so the stores' consistency checks
(``HybridIndex.sync``) see one index.

Example::

    index = BufferedIndex(ChromaIndex.persistent(home / "index"), home / "index" / "write_buffer")
    index.upsert("facts", ["f1"], vectors, ["Alice prefers window seats"], [{"namespace": "alice"}])
    index.query("facts", query_vector, k=5)   # finds f1 before any flush
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import threading
import time
import uuid
import weakref
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..fileio import defer_fsync, fsync_dir, home_lock
from .base import Hit, VectorIndex, matches, normalise_rows

_log = logging.getLogger(__name__)
_FORMAT = 1


def _line(obj: dict[str, Any]) -> bytes:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return f"{body}\t{zlib.crc32(body.encode('utf-8')):08x}\n".encode()


def _parse(raw: bytes) -> dict[str, Any] | None:
    """One record, or None for a torn or corrupt line."""
    try:
        text = raw.decode("utf-8")
        body, _, crc = text.rpartition("\t")
        if not body or f"{zlib.crc32(body.encode('utf-8')):08x}" != crc.strip():
            return None
        obj = json.loads(body)
        return obj if isinstance(obj, dict) else None
    except (UnicodeDecodeError, ValueError):
        return None


class _Buffer:
    """What one collection's buffer file holds, as read by this process."""

    def __init__(self) -> None:
        self.gen: str | None = None
        self.offset = 0
        self.stat: tuple[int, int, int] | None = None
        #: id -> (vector, document, metadata); the vector is None for a *pending* row (written
        #: with :meth:`BufferedIndex.upsert_pending`: durable, its vector not computed yet)
        self.rows: dict[str, tuple[np.ndarray | None, str, dict[str, Any]]] = {}
        self.unvectored: set[str] = set()
        self.gone: set[str] = set()
        self.first_at: float | None = None
        self._matrix: tuple[list[str], np.ndarray] | None = None
        self._count: tuple[tuple[Any, ...], int] | None = None

    def reset(self, gen: str | None) -> None:
        self.gen, self.offset, self.stat = gen, 0, None
        self.rows, self.gone, self.first_at = {}, set(), None
        self.unvectored = set()
        self._matrix = self._count = None

    def apply(self, rec: dict[str, Any]) -> None:
        ids = [str(i) for i in rec.get("ids", [])]
        if rec.get("op") == "u":
            dim = int(rec["dim"])
            vecs = np.frombuffer(base64.b64decode(rec["v"]), dtype=np.float32).reshape(len(ids), dim)
            docs = rec.get("d") or [""] * len(ids)
            metas = rec.get("m") or [{}] * len(ids)
            for j, i in enumerate(ids):
                self.rows[i] = (vecs[j], docs[j], dict(metas[j] or {}))
                self.gone.discard(i)
                self.unvectored.discard(i)
        elif rec.get("op") == "p":
            docs = rec.get("d") or [""] * len(ids)
            metas = rec.get("m") or [{}] * len(ids)
            for j, i in enumerate(ids):
                self.rows[i] = (None, docs[j], dict(metas[j] or {}))
                self.gone.discard(i)
                self.unvectored.add(i)
        elif rec.get("op") == "d":
            for i in ids:
                self.rows.pop(i, None)
                self.gone.add(i)
                self.unvectored.discard(i)
        else:
            return
        if self.first_at is None:
            self.first_at = float(rec.get("t", time.time()))
        self._matrix = None
        self._count = None

    @property
    def pending(self) -> int:
        return len(self.rows) + len(self.gone)

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """The ids and vectors of the rows that have one (pending rows are left out)."""
        if self._matrix is None:
            ids = [i for i, row in self.rows.items() if row[0] is not None]
            mat = np.stack([self.rows[i][0] for i in ids]) if ids else np.zeros((0, 1), dtype=np.float32)  # type: ignore[misc]
            self._matrix = (ids, mat)
        return self._matrix

    def fill(self, ids: list[str], vectors: np.ndarray, documents: list[str]) -> None:
        """Give pending rows their vectors (in memory: the file keeps the pending record, and a
        process that reads it computes the same vector, from the embedder's cache when it is warm)."""
        for i, v, d in zip(ids, vectors, documents):
            row = self.rows.get(i)
            if row is not None and row[0] is None and row[1] == d:
                self.rows[i] = (np.asarray(v, dtype=np.float32), row[1], row[2])
                self.unvectored.discard(i)
                self._matrix = None


class BufferedIndex:
    """A :class:`VectorIndex` that buffers writes to ``inner`` in fsynced files (see the module docstring)."""

    def __init__(self, inner: VectorIndex, folder: str | os.PathLike[str], *, max_items: int = 256, max_age_s: float = 300.0) -> None:
        if max_items < 1:
            raise ValueError("BufferedIndex: max_items must be at least 1")
        self.inner = inner
        self.folder = Path(folder)
        self.max_items = max_items
        self.max_age_s = max_age_s
        self._buffers: dict[str, _Buffer] = {}
        self._lock = threading.RLock()
        #: flushes this instance made, and the ids they moved (the benchmark reports them)
        self.flushes = 0
        self.flushed_ids = 0
        self.flush_seconds: list[float] = []
        #: per collection, how to embed pending rows at a flush (bound by the HybridIndex over it)
        self._embedders: dict[str, Any] = {}
        #: whether this instance buffered a write (only then does it flush at interpreter exit)
        self.wrote = False
        _LIVE.add(self)

    def __getattr__(self, name: str) -> Any:  # opened, prefetch, description, client... of the inner index
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ---- files ---------------------------------------------------------------------------------
    def _path(self, namespace: str) -> Path:
        from .chroma import collection_name

        return self.folder / f"{collection_name(namespace)}.log"

    def _file_lock(self, namespace: str) -> Any:
        return home_lock(self._path(namespace).with_suffix(".lock"))

    def _buf(self, namespace: str) -> _Buffer:
        buf = self._buffers.get(namespace)
        if buf is None:
            buf = self._buffers[namespace] = _Buffer()
        return buf

    def _sync(self, namespace: str) -> _Buffer:
        """Bring this process's view of the buffer file up to date (one ``stat`` when unchanged)."""
        buf = self._buf(namespace)
        path = self._path(namespace)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if buf.gen is not None or buf.pending:
                buf.reset(None)
            return buf
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key == buf.stat:
            return buf
        with open(path, "rb") as fh:
            header = _parse(fh.readline())
            gen = header.get("gen") if header else None
            if gen is None:
                buf.reset(None)  # a header torn by a crash while creating the file: nothing acknowledged is in it
                buf.stat = key
                return buf
            if gen != buf.gen:
                buf.reset(str(gen))
                buf.offset = fh.tell()
            fh.seek(buf.offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # only whole lines: a writer may be mid-append
        for raw in data[:end].split(b"\n")[:-1]:
            rec = _parse(raw)
            if rec is not None:
                buf.apply(rec)
        buf.offset += end
        buf.stat = key if end == len(data) else None
        return buf

    def _new_generation(self, namespace: str) -> None:
        """Replace the buffer file with an empty one under a new generation id (after a flush)."""
        path = self._path(namespace)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        gen = uuid.uuid4().hex
        with open(tmp, "wb") as fh:
            fh.write(_line({"gen": gen, "ns": namespace, "format": _FORMAT}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
        buf = self._buf(namespace)
        buf.reset(gen)
        st = os.stat(path)
        buf.offset = st.st_size
        buf.stat = (st.st_ino, st.st_size, st.st_mtime_ns)

    def _append(self, namespace: str, rec: dict[str, Any]) -> None:
        with self._lock, self._file_lock(namespace):
            buf = self._sync(namespace)
            path = self._path(namespace)
            if buf.gen is None:
                self._new_generation(namespace)
                buf = self._buf(namespace)
            data = _line(rec)
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # end a line torn by a killed writer, so this record stands alone
                os.write(fd, data)
                if not defer_fsync(fd):  # in the edit engine's fsync group: on disk before the batch commits
                    os.fsync(fd)
            finally:
                os.close(fd)
            self.wrote = True
            buf = self._sync(namespace)  # reads back exactly the lines written since (ours included)
            if buf.pending >= self.max_items or (buf.first_at is not None and time.time() - buf.first_at >= self.max_age_s):
                self._flush_locked(namespace)

    # ---- flushing ------------------------------------------------------------------------------
    def flush(self, namespace: str | None = None) -> int:
        """Write the buffered state of ``namespace`` (default: every buffered collection) to the
        inner index and empty the buffer; returns the number of ids moved."""
        names = [namespace] if namespace is not None else self._buffered_namespaces()
        moved = 0
        for ns in names:
            with self._lock, self._file_lock(ns):
                moved += self._flush_locked(ns)
        return moved

    def _flush_locked(self, namespace: str) -> int:
        buf = self._sync(namespace)
        if not buf.pending:
            return 0
        t0 = time.perf_counter()
        if buf.unvectored:
            embed = self._embedders.get(namespace)
            if embed is None:
                return 0  # pending rows and no embedder here: they stay buffered for a process that has one
            todo = sorted(buf.unvectored)
            docs = [buf.rows[i][1] for i in todo]
            buf.fill(todo, normalise_rows(embed(docs)), docs)
        ids = list(buf.rows)
        vecs = [v for v in (buf.rows[i][0] for i in ids) if v is not None]
        if len(vecs) < len(ids):
            return 0  # a row the embedder left without a vector: nothing moves (never an id without its vector)
        if ids:
            self.inner.upsert(namespace, ids, np.stack(vecs), [buf.rows[i][1] for i in ids], [buf.rows[i][2] for i in ids])
        gone = sorted(buf.gone)
        if gone:
            self.inner.delete(namespace, gone)
        n = len(ids) + len(gone)
        self._new_generation(namespace)  # only after the inner index holds everything
        self.flushes += 1
        self.flushed_ids += n
        self.flush_seconds.append(time.perf_counter() - t0)
        return n

    def _buffered_namespaces(self) -> list[str]:
        out = set()
        if self.folder.is_dir():
            for f in self.folder.glob("*.log"):
                try:
                    with open(f, "rb") as fh:
                        header = _parse(fh.readline())
                        end = fh.tell()
                    if header and isinstance(header.get("ns"), str) and f.stat().st_size > end:
                        out.add(header["ns"])
                except OSError:
                    continue
        return sorted(out)

    def close(self) -> None:
        """Flush every buffered collection (also run at interpreter exit)."""
        if self.folder.is_dir():
            self.flush()

    # ---- VectorIndex ---------------------------------------------------------------------------
    def upsert(self, namespace: str, ids: list[str], embeddings: np.ndarray, documents: list[str] | None = None, metadatas: list[dict[str, Any]] | None = None) -> None:
        if not ids:
            return
        emb = normalise_rows(embeddings)
        if len(emb) != len(ids):
            raise ValueError(f"upsert: {len(ids)} ids but {len(emb)} embeddings")
        if len(ids) >= self.max_items:  # a bulk write: straight to the inner index (after any buffered state of these ids)
            with self._lock, self._file_lock(namespace):
                self._flush_locked(namespace)
                self.inner.upsert(namespace, list(ids), emb, documents, metadatas)
            return
        self._append(namespace, {"op": "u", "t": time.time(), "ids": list(ids), "dim": int(emb.shape[1]), "v": base64.b64encode(emb.astype(np.float32).tobytes()).decode("ascii"),
                                 "d": list(documents) if documents is not None else None, "m": [dict(m) for m in metadatas] if metadatas is not None else None})

    def upsert_pending(self, namespace: str, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]] | None = None) -> None:
        """Write ``ids`` with their documents and metadata now (fsynced, counted, shadowing older
        vectors) and their vectors later (:meth:`fill_vectors`, or a flush with the bound embedder)."""
        if not ids:
            return
        if len(documents) != len(ids):
            raise ValueError(f"upsert_pending: {len(ids)} ids but {len(documents)} documents")
        self._append(namespace, {"op": "p", "t": time.time(), "ids": list(ids), "d": list(documents), "m": [dict(m) for m in metadatas] if metadatas is not None else None})

    def unvectored(self, namespace: str) -> list[tuple[str, str]]:
        """``(id, document)`` of the pending rows of ``namespace`` that have no vector in this process yet."""
        with self._lock:
            buf = self._sync(namespace)
            return [(i, buf.rows[i][1]) for i in sorted(buf.unvectored)]

    def fill_vectors(self, namespace: str, ids: list[str], embeddings: np.ndarray, documents: list[str]) -> None:
        """Give pending rows their vectors (ignored for a row rewritten since with another document)."""
        with self._lock:
            self._buf(namespace).fill(list(ids), normalise_rows(embeddings), list(documents))

    def bind_embedder(self, namespace: str, embed: Any) -> None:
        """How a flush embeds the pending rows of ``namespace`` (``embed(texts) -> vectors``)."""
        self._embedders[namespace] = embed

    def delete(self, namespace: str, ids: list[str]) -> None:
        if ids:
            self._append(namespace, {"op": "d", "t": time.time(), "ids": list(ids)})

    def query(self, namespace: str, embedding: np.ndarray, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        if k <= 0:
            return []
        with self._lock:
            buf = self._sync(namespace)  # the buffer first: a concurrent flush then only duplicates an id, never hides one
            rows, gone = dict(buf.rows), set(buf.gone)
            ids, mat = buf.matrix()  # rows with a vector; a pending row only shadows its older vector
        shadow = set(rows) | gone
        hits = self.inner.query(namespace, embedding, k=k, where=where)
        if shadow:
            kept = [h for h in hits if h.id not in shadow]
            if len(kept) < len(hits) and len(hits) == k:
                kept = [h for h in self.inner.query(namespace, embedding, k=k + len(shadow), where=where) if h.id not in shadow]
            hits = kept
        if ids:
            q = normalise_rows(embedding)[0]
            scores = mat @ q
            hits = hits + [Hit(id=i, score=float(scores[j]), document=rows[i][1], metadata=dict(rows[i][2])) for j, i in enumerate(ids) if matches(rows[i][2], where)]
            seen: set[str] = set()
            merged = []
            for h in sorted(hits, key=lambda h: -h.score):
                if h.id not in seen:
                    seen.add(h.id)
                    merged.append(h)
            hits = merged
        return hits[:k]

    def _existing(self, namespace: str, ids: list[str]) -> set[str]:
        existing = getattr(self.inner, "existing", None)
        if existing is not None:
            return set(existing(namespace, ids))
        return set(self.inner.ids(namespace)) & set(ids)  # type: ignore[attr-defined]

    def count(self, namespace: str) -> int:
        with self._lock:
            buf = self._sync(namespace)
            if not buf.pending:
                return self.inner.count(namespace)
            key = (buf.gen, buf.offset)
            if buf._count is not None and buf._count[0] == key:
                return buf._count[1]
            rows, gone = set(buf.rows), set(buf.gone)
        present = self._existing(namespace, sorted(rows | gone))
        n = self.inner.count(namespace) + len(rows - present) - len(gone & present)
        with self._lock:
            if buf.gen == key[0] and buf.offset == key[1]:
                buf._count = (key, n)
        return n

    def ids(self, namespace: str) -> list[str]:
        with self._lock:
            buf = self._sync(namespace)
            rows, gone = set(buf.rows), set(buf.gone)
        inner_ids = getattr(self.inner, "ids", None)
        base = set(inner_ids(namespace)) if inner_ids is not None else set()
        return sorted((base - gone) | rows)

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        with self._lock:
            buf = self._sync(namespace)
            rows, gone = set(buf.rows), set(buf.gone)
        want = [i for i in ids if i not in rows and i not in gone]
        return (set(ids) & rows) | (self._existing(namespace, want) if want else set())

    def namespaces(self) -> list[str]:
        return sorted(set(self.inner.namespaces()) | set(self._buffered_namespaces()))

    def drop(self, namespace: str) -> None:
        with self._lock, self._file_lock(namespace):
            self.inner.drop(namespace)
            if self._path(namespace).exists():
                self._new_generation(namespace)
            else:
                self._buf(namespace).reset(None)


#: every live buffered index of this process, flushed at interpreter exit
_LIVE: "weakref.WeakSet[BufferedIndex]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    import sys

    for index in list(_LIVE):
        if not index.wrote or (not getattr(index.inner, "opened", True) and "chromadb" not in sys.modules):
            # a reader leaves the flush to the writers; and chromadb cannot be imported while the
            # interpreter shuts down: the records stay in the buffer file for the next process
            continue
        try:
            index.close()
        except Exception as exc:  # noqa: BLE001 - the buffer files keep everything; the next process flushes
            _log.warning("write buffer not flushed at exit (kept on disk): %s", exc)
