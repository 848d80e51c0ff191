"""Incremental, persistent BM25: postings kept in SQLite, scored with numpy (the default lexical engine).

Why not FTS5's ``bm25()``: it scores every matching row through an auxiliary function (a
B-tree lookup per row for its length and phrase positions); on 100k replicated LoCoMo turns a
query matches ~10k rows and took 154 ms p50 (``benchmarks/results/lexical_engines.md``), 30x
bm25s. Why not bm25s: it rebuilds its whole index after any write. :class:`IncrementalBM25`
keeps both properties we need:

* **Persistent, safe for many processes**: one SQLite file (WAL, busy timeout) holds the
  documents, their metadata and each document's term counts (a small int32 blob), plus the
  vocabulary; a write is one short transaction that touches only its rows.
* **Incremental**: in memory, postings are a CSR matrix (term -> rows, term frequencies) built
  once when the file is opened (from the stored term counts: no re-tokenising; from a snapshot of
  the built arrays for large indexes, :mod:`~agentmem.retrieval.bm25_snapshot`), plus a small
  per-term delta for later writes, folded in when it grows past a tenth of the base; deletions
  and replacements only clear a row's alive bit. Writes by another process are picked up at the
  next query (``PRAGMA data_version``): new rows by rowid, removed ones from a ``gone`` log.
* **Scoring** is BM25 (Lucene idf ``log(1 + (N - df + 0.5) / (df + 0.5))``, k1 = 1.5,
  b = 0.75 and the tf term ``tf / (tf + k1 (1 - b + b dl / avgdl))``, exactly as bm25s), vectorised over the query terms' postings: O(postings of the
  query's terms), like bm25s. Tokens: lower-cased words of two or more characters, English
  stopwords dropped (the bm25s default tokenizer), then Snowball-stemmed (``stemmer="english"``,
  default; ``None`` for none: then it scores exactly like bm25s). Stemming is worth about 3
  points of LoCoMo evidence recall (docs/recall.md). ``where`` filters (equality, ``$in``,
  ``$ne``) are applied to candidates in score order.

Implements :class:`~agentmem.retrieval.lexical.LexicalIndex` plus ``rows()``, ``stamp()`` /
``set_stamp()`` (a generation marker the owning store compares with its files) and ``clear()``.
``path=None`` keeps everything in memory.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError
from ..fileio import connect_index_sqlite
from . import bm25_snapshot
from .base import Hit, matches
from .fts import STOPWORDS

_WORD = re.compile(r"(?u)\b\w\w+\b")
_FORMAT = "1"


def _rowid(cursor: Any) -> int:
    """The rowid of the row an INSERT just made (never None after an INSERT)."""
    rid = cursor.lastrowid
    assert rid is not None
    return int(rid)


class Tokenizer:
    """Lower-cased words of two or more characters, English stopwords removed, optionally stemmed
    (``snowballstemmer``, which uses the C PyStemmer when installed; stems are memoised)."""

    def __init__(self, stemmer: str | None = "english") -> None:
        self.stemmer = stemmer
        self._stem = None
        self._memo: dict[str, str] = {}
        if stemmer:
            try:
                import snowballstemmer
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise StoreError("the lexical index stems words with snowballstemmer: pip install snowballstemmer") from exc
            self._stem = snowballstemmer.stemmer(stemmer)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
        if self._stem is None:
            return words
        memo = self._memo
        new = [w for w in dict.fromkeys(words) if w not in memo]
        if new:
            if len(memo) > 500_000:
                memo.clear()
            memo.update(zip(new, self._stem.stemWords(new)))
        return [memo[w] for w in words]


def tokens(text: str) -> list[str]:
    """Lower-cased words of two or more characters, English stopwords removed (no stemming)."""
    return Tokenizer(None)(text)


class IncrementalBM25:
    """BM25 over a persistent, incrementally updated posting store (see the module docstring)."""

    def __init__(self, path: str | Path | None = None, k1: float = 1.5, b: float = 0.75, stemmer: str | None = "english") -> None:
        self.path = Path(path) if path is not None else None
        self.k1, self.b = k1, b
        self.tokenize = Tokenizer(stemmer)
        #: whether opening re-tokenised the file's documents (it was written with another tokenizer)
        self.retokenized = False
        self._lock = threading.RLock()
        #: rows written since this instance opened (a test reads it to prove writes are per item)
        self.rows_written = 0
        #: times the postings were built on open or after clear(): from every stored row, or from a snapshot
        self.full_loads = 0
        #: how many of those loads came from a snapshot (plus the rows written after it)
        self.snapshot_loads = 0
        #: times the in-memory delta was folded into the base postings
        self.compactions = 0
        try:
            self._con = connect_index_sqlite(self.path)
            self._con.executescript(
                """
                CREATE TABLE IF NOT EXISTS info (k TEXT PRIMARY KEY, v TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS terms (tid INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
                CREATE TABLE IF NOT EXISTS docs (rid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
                                                 meta TEXT NOT NULL, len INTEGER NOT NULL, toks BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS gone (seq INTEGER PRIMARY KEY AUTOINCREMENT, rid INTEGER NOT NULL);
                """
            )
            bm25_snapshot.ensure_table(self._con)
            fmt = self._con.execute("SELECT v FROM info WHERE k = 'format'").fetchone()
            tok = self._tok = f"stem={stemmer or 'none'}"
            if fmt is None:
                self._con.execute("INSERT OR REPLACE INTO info (k, v) VALUES ('format', ?), ('epoch', '0'), ('tokenizer', ?)", (_FORMAT, tok))
            elif fmt[0] != _FORMAT:
                raise StoreError(f"{self.path}: lexical index format {fmt[0]}, expected {_FORMAT}; delete the file to rebuild it from the store")
            elif self._info("tokenizer") != tok:
                self._retokenize(tok)  # another tokenizer wrote this file: re-index its own documents
            self._load()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the lexical index at {self.path or ':memory:'}: {exc}") from exc

    def _retokenize(self, tok: str) -> None:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            rows = con.execute("SELECT id, doc, meta FROM docs ORDER BY rid").fetchall()
            con.execute("DELETE FROM docs")
            con.execute("DELETE FROM gone")
            con.execute("DELETE FROM terms")
            con.execute("INSERT OR REPLACE INTO info (k, v) VALUES ('tokenizer', ?)", (tok,))
            con.execute("UPDATE info SET v = CAST(v AS INTEGER) + 1 WHERE k = 'epoch'")
            self._vocab, self._max_tid = {}, 0
            for id_, doc, meta in rows:
                words = self.tokenize(doc)
                counts = Counter(self._tids(words))
                blob = np.asarray([x for kv in counts.items() for x in kv], dtype=np.int32).tobytes()
                con.execute("INSERT INTO docs (id, doc, meta, len, toks) VALUES (?, ?, ?, ?, ?)", (id_, doc, meta, len(words), blob))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.retokenized = True

    # ---- in-memory state -------------------------------------------------------------------
    def _load(self) -> None:
        """Build the postings (on open and after clear()): from the snapshot when it is current to
        this file's epoch, then the rows written after it; else from every stored row's term counts."""
        con = self._con
        self._epoch = self._info("epoch")
        self._vocab: dict[str, int] = {t: i for i, t in con.execute("SELECT tid, term FROM terms")}
        self._max_tid = max(self._vocab.values(), default=0)
        if self.path is not None and self._load_snapshot():
            return
        rows = con.execute("SELECT rid, id, meta, len, toks FROM docs ORDER BY rid").fetchall()
        n = len(rows)
        cap = max(1024, 2 * n)
        self._alive = np.zeros(cap, dtype=bool)
        self._alive[:n] = True
        self._len = np.zeros(cap, dtype=np.float32)
        self._rid = np.zeros(cap, dtype=np.int64)
        self._ids: list[str] = [r[1] for r in rows]
        self._meta_raw: list[str] = [r[2] for r in rows]
        self._meta: dict[int, dict[str, Any]] = {}
        self._slot: dict[str, int] = {r[1]: j for j, r in enumerate(rows)}
        self._by_rid: dict[int, int] = {r[0]: j for j, r in enumerate(rows)}
        if n:
            self._len[:n] = np.fromiter((r[3] for r in rows), dtype=np.float32, count=n)
            self._rid[:n] = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
            blobs = [np.frombuffer(r[4], dtype=np.int32) for r in rows]
            counts = np.fromiter((len(x) // 2 for x in blobs), dtype=np.int64, count=n)
            flat = np.concatenate(blobs) if counts.sum() else np.zeros(0, dtype=np.int32)
            tids, tfs = flat[0::2].astype(np.int64), flat[1::2].astype(np.float32)
            slots = np.repeat(np.arange(n, dtype=np.int32), counts)
        else:
            tids, tfs, slots = np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int32)
        self._n = n
        self._alive_n = n
        self._len_sum = float(self._len[:n].sum())
        self._build_csr(tids, slots, tfs)
        self._max_rid = int(self._rid[:n].max()) if n else int(con.execute("SELECT COALESCE(MAX(rid), 0) FROM docs").fetchone()[0])
        self._gone_seq = int(con.execute("SELECT COALESCE(MAX(seq), 0) FROM gone").fetchone()[0])
        self._version = con.execute("PRAGMA data_version").fetchone()[0]
        self.full_loads += 1
        self._save_snapshot()

    def _load_snapshot(self) -> bool:
        got = bm25_snapshot.load(self._con, self._epoch)
        if got is None:
            return False
        head, arr, ids, metas = got
        n = int(head["n"])
        cap = max(1024, 2 * n)
        self._alive, self._len, self._rid = np.zeros(cap, dtype=bool), np.zeros(cap, dtype=np.float32), np.zeros(cap, dtype=np.int64)
        self._alive[:n], self._len[:n], self._rid[:n] = arr["alive"], arr["len"], arr["rid"]
        self._ids, self._meta_raw, self._meta = ids, metas, {}
        live = np.flatnonzero(self._alive[:n]).tolist()
        self._slot = {ids[j]: j for j in live}
        self._by_rid = dict(zip(self._rid[live].tolist(), live))
        self._n, self._alive_n = n, len(live)
        self._len_sum = float(self._len[:n][self._alive[:n]].sum())
        self._ptr, self._pslot, self._ptf = arr["ptr"], arr["pslot"], arr["ptf"]
        if len(self._ptr) < self._max_tid + 2:  # terms added after the snapshot: empty base postings for them
            self._ptr = np.concatenate([self._ptr, np.full(self._max_tid + 2 - len(self._ptr), self._ptr[-1], dtype=np.int64)])
        self._delta, self._delta_n = {}, 0
        self._max_rid, self._gone_seq = int(head["max_rid"]), int(head["gone_seq"])
        self._version = None  # apply what was committed after the snapshot
        self.full_loads += 1
        self.snapshot_loads += 1
        self._refresh()
        return True

    def _save_snapshot(self) -> None:
        """Snapshot freshly built postings (no delta) of a large persistent index."""
        if self.path is None or self._n < bm25_snapshot.MIN_ROWS or self._delta:
            return
        n = self._n
        head = {"epoch": self._epoch, "n": n, "max_rid": self._max_rid, "gone_seq": self._gone_seq}
        arrays = {"rid": self._rid[:n], "len": self._len[:n], "alive": self._alive[:n], "ptr": self._ptr, "pslot": self._pslot, "ptf": self._ptf}
        try:
            bm25_snapshot.save(self._con, head, arrays, self._ids[:n], self._meta_raw[:n])
        except sqlite3.Error:  # a snapshot is an optimisation: the rows stay the truth
            pass

    def _build_csr(self, tids: np.ndarray, slots: np.ndarray, tfs: np.ndarray) -> None:
        order = np.argsort(tids, kind="stable")
        nv = self._max_tid + 1
        self._ptr = np.zeros(nv + 1, dtype=np.int64)
        np.cumsum(np.bincount(tids, minlength=nv), out=self._ptr[1:])
        self._pslot = slots[order].astype(np.int32)
        self._ptf = tfs[order].astype(np.float32)
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_n = 0

    def _compact(self) -> None:
        nb = len(self._ptr) - 1
        base_t = np.repeat(np.arange(nb, dtype=np.int64), np.diff(self._ptr))
        dt, ds, df = [], [], []
        for tid, (sl, tf) in self._delta.items():
            dt.extend([tid] * len(sl))
            ds.extend(sl)
            df.extend(tf)
        tids = np.concatenate([base_t, np.asarray(dt, dtype=np.int64)])
        slots = np.concatenate([self._pslot, np.asarray(ds, dtype=np.int32)])
        tfs = np.concatenate([self._ptf, np.asarray(df, dtype=np.float32)])
        keep = self._alive[slots]
        self._build_csr(tids[keep], slots[keep], tfs[keep])
        self.compactions += 1
        self._save_snapshot()

    def _grow(self, need: int) -> None:
        if need <= len(self._alive):
            return
        cap = max(need, 2 * len(self._alive))
        for name in ("_alive", "_len", "_rid"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _append(self, rid: int, id_: str, meta_raw: str, length: int, counts: list[tuple[int, int]]) -> None:
        old = self._slot.get(id_)
        if old is not None:
            self._kill(old)
        slot = self._n
        self._grow(slot + 1)
        self._n += 1
        self._alive[slot], self._len[slot], self._rid[slot] = True, length, rid
        self._ids.append(id_)
        self._meta_raw.append(meta_raw)
        self._slot[id_] = slot
        self._by_rid[rid] = slot
        self._alive_n += 1
        self._len_sum += length
        for tid, tf in counts:
            sl, tl = self._delta.setdefault(tid, ([], []))
            sl.append(slot)
            tl.append(float(tf))
        self._delta_n += len(counts)
        self._max_rid = max(self._max_rid, rid)

    def _kill(self, slot: int) -> None:
        if self._alive[slot]:
            self._alive[slot] = False
            self._alive_n -= 1
            self._len_sum -= float(self._len[slot])
            if self._slot.get(self._ids[slot]) == slot:
                del self._slot[self._ids[slot]]
            self._meta.pop(slot, None)

    def _info(self, key: str) -> str | None:
        row = self._con.execute("SELECT v FROM info WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None

    def _refresh(self) -> None:
        """Apply writes other processes committed since we last looked (cheap when there are none)."""
        con = self._con
        version = con.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        self._version = version
        if self._info("epoch") != self._epoch:
            if self._info("tokenizer") != self._tok:  # a process with another tokenizer re-indexed the file
                self._retokenize(self._tok)
            self._load()
            return
        for tid, term in con.execute("SELECT tid, term FROM terms WHERE tid > ?", (self._max_tid,)):
            self._vocab[term] = tid
            self._max_tid = max(self._max_tid, tid)
        for seq, rid in con.execute("SELECT seq, rid FROM gone WHERE seq > ? ORDER BY seq", (self._gone_seq,)).fetchall():
            self._gone_seq = seq
            slot = self._by_rid.pop(rid, None)
            if slot is not None:
                self._kill(slot)
        for rid, id_, meta, length, toks in con.execute("SELECT rid, id, meta, len, toks FROM docs WHERE rid > ? ORDER BY rid", (self._max_rid,)).fetchall():
            arr = np.frombuffer(toks, dtype=np.int32)
            self._append(rid, id_, meta, int(length), list(zip(arr[0::2].tolist(), arr[1::2].tolist())))
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        if self._delta_n > max(20_000, len(self._pslot) // 10):
            self._compact()

    # ---- writes ----------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return self._alive_n

    def _tids(self, words: list[str]) -> list[int]:
        out = []
        for w in words:
            tid = self._vocab.get(w)
            if tid is None:
                tid = _rowid(self._con.execute("INSERT INTO terms (term) VALUES (?)", (w,)))
                self._vocab[w] = tid
                self._max_tid = max(self._max_tid, tid)
            out.append(tid)
        return out

    def upsert(self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]] | None = None) -> None:
        """Insert or replace these rows only (a row whose text and metadata are unchanged is left alone)."""
        if not ids:
            return
        metas = metadatas or [{} for _ in ids]
        if len(documents) != len(ids) or len(metas) != len(ids):
            raise ValueError(f"upsert: {len(ids)} ids, {len(documents)} documents, {len(metas)} metadatas")
        last = {id_: j for j, id_ in enumerate(ids)}  # a repeated id: its last row wins
        if len(last) < len(ids):
            ids, documents, metas = [ids[j] for j in last.values()], [documents[j] for j in last.values()], [metas[j] for j in last.values()]
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                self._refresh()
                applied = []
                for id_, doc, meta in zip(ids, documents, metas):
                    raw = json.dumps(meta, sort_keys=True, default=str)
                    slot = self._slot.get(id_)
                    if slot is not None:
                        old = con.execute("SELECT rid, doc, meta FROM docs WHERE id = ?", (id_,)).fetchone()
                        if old is not None and old[1] == doc and old[2] == raw:
                            continue
                        if old is not None:
                            con.execute("DELETE FROM docs WHERE rid = ?", (old[0],))
                            self._gone_seq = _rowid(con.execute("INSERT INTO gone (rid) VALUES (?)", (old[0],)))
                    words = self.tokenize(doc)
                    counts = Counter(self._tids(words))
                    blob = np.asarray([x for kv in counts.items() for x in kv], dtype=np.int32).tobytes()
                    rid = _rowid(con.execute("INSERT INTO docs (id, doc, meta, len, toks) VALUES (?, ?, ?, ?, ?)", (id_, doc, raw, len(words), blob)))
                    applied.append((rid, id_, raw, len(words), list(counts.items())))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                self._load()  # memory may hold half the batch: start again from the file
                raise
            for rid, id_, raw, length, counts in applied:
                self._append(rid, id_, raw, length, counts)
            self.rows_written += len(applied)
            self._version = con.execute("PRAGMA data_version").fetchone()[0]
            self._maybe_compact()

    def delete(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                self._refresh()
                dead = []
                for id_ in ids:
                    row = con.execute("SELECT rid FROM docs WHERE id = ?", (id_,)).fetchone()
                    if row is None:
                        continue
                    con.execute("DELETE FROM docs WHERE rid = ?", (row[0],))
                    self._gone_seq = _rowid(con.execute("INSERT INTO gone (rid) VALUES (?)", (row[0],)))
                    dead.append(row[0])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            for rid in dead:
                slot = self._by_rid.pop(rid, None)
                if slot is not None:
                    self._kill(slot)
            self.rows_written += len(dead)

    def clear(self) -> None:
        """Remove every row (and the stamp); other processes reload at their next query."""
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("DELETE FROM docs")
                con.execute("DELETE FROM gone")
                con.execute("DELETE FROM info WHERE k = 'stamp'")
                con.execute("UPDATE info SET v = CAST(v AS INTEGER) + 1 WHERE k = 'epoch'")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self._load()

    # ---- the cache's generation marker ------------------------------------------------------
    def stamp(self) -> str | None:
        with self._lock:
            return self._info("stamp")

    def set_stamp(self, stamp: str | None) -> None:
        with self._lock:
            if stamp is None:
                self._con.execute("DELETE FROM info WHERE k = 'stamp'")
            else:
                self._con.execute("INSERT OR REPLACE INTO info (k, v) VALUES ('stamp', ?)", (stamp,))

    def rows(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{id: (document, metadata)}`` of every row (a store diffs it against its files)."""
        with self._lock:
            return {i: (d, json.loads(m)) for i, d, m in self._con.execute("SELECT id, doc, meta FROM docs")}

    # ---- reads -----------------------------------------------------------------------------
    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        if tid < len(self._ptr) - 1:
            lo, hi = self._ptr[tid], self._ptr[tid + 1]
            slots, tfs = self._pslot[lo:hi], self._ptf[lo:hi]
        else:
            slots, tfs = np.zeros(0, np.int32), np.zeros(0, np.float32)
        extra = self._delta.get(tid)
        if extra:
            slots = np.concatenate([slots, np.asarray(extra[0], dtype=np.int32)])
            tfs = np.concatenate([tfs, np.asarray(extra[1], dtype=np.float32)])
        return slots, tfs

    def _meta_of(self, slot: int) -> dict[str, Any]:
        m = self._meta.get(slot)
        if m is None:
            m = self._meta[slot] = json.loads(self._meta_raw[slot])
        return m

    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        """Top ``k`` rows by BM25 (higher is better); rows matching no query word are not returned."""
        if k <= 0:
            return []
        words = list(dict.fromkeys(self.tokenize(query)))
        if not words:
            return []
        with self._lock:
            self._refresh()
            n_alive = self._alive_n
            if n_alive == 0:
                return []
            avgdl = max(self._len_sum / n_alive, 1e-9)
            parts_s, parts_v = [], []
            for w in words:
                tid = self._vocab.get(w)
                if tid is None:
                    continue
                slots, tfs = self._postings(tid)
                if self._alive_n < self._n:  # some rows were replaced or deleted
                    live = self._alive[slots]
                    slots, tfs = slots[live], tfs[live]
                df = len(slots)
                if df == 0:
                    continue
                idf = math.log(1.0 + (n_alive - df + 0.5) / (df + 0.5))
                dl = self._len[slots]
                parts_s.append(slots)
                parts_v.append(idf * tfs / (tfs + self.k1 * (1 - self.b + self.b * dl / avgdl)))
            if not parts_s:
                return []
            allslots = np.concatenate(parts_s)
            allvals = np.concatenate(parts_v)
            if len(allslots) * 16 > self._n:  # many candidates: one dense pass beats sorting them
                dense = np.bincount(allslots, weights=allvals, minlength=self._n)
                cand = np.flatnonzero(dense)
                scores = dense[cand]
            else:
                cand, inv = np.unique(allslots, return_inverse=True)
                scores = np.bincount(inv, weights=allvals)
            order = self._ranked(scores, k if not where else 4 * k)
            picked: list[tuple[int, float]] = []
            taken: set[int] = set()
            seen = 0
            while True:
                for j in order[seen:]:
                    slot = int(cand[j])
                    if slot in taken or (where and not matches(self._meta_of(slot), where)):
                        continue
                    taken.add(slot)
                    picked.append((slot, float(scores[j])))
                    if len(picked) >= k:
                        break
                if len(picked) >= k or len(order) >= len(cand):
                    break
                seen = len(order)
                order = self._ranked(scores, len(cand))  # the filter kept too few: rank everything
            rids = [int(self._rid[s]) for s, _ in picked]
            docs = dict(self._con.execute(f"SELECT rid, doc FROM docs WHERE rid IN ({','.join('?' * len(rids))})", rids).fetchall()) if rids else {}
            return [Hit.model_construct(id=self._ids[s], score=sc, document=docs.get(int(self._rid[s]), ""), metadata=self._meta_of(s)) for s, sc in picked if sc > 0]

    @staticmethod
    def _ranked(scores: np.ndarray, k: int) -> np.ndarray:
        if k >= len(scores):
            return np.argsort(-scores, kind="stable")
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top], kind="stable")]

    def close(self) -> None:
        with self._lock:
            self._con.close()
