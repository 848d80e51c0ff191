"""Lexical BM25 search on SQLite FTS5: incremental, persistent, safe for many readers.

An option (``index.lexical = "fts5"``), not the default: FTS5's ``bm25()`` scores every matching
row through an auxiliary function and is far slower than bm25s at 100k rows (docs/recall.md);
the default is :class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25`.

:class:`FTSIndex` implements :class:`~agentmem.retrieval.lexical.LexicalIndex` on Python's
standard ``sqlite3`` (FTS5 is compiled into every CPython build we support; :func:`fts5_available`
checks). One SQLite file per collection (FTS5's BM25 statistics are per table, so one file per
collection keeps the IDF of one store free of another's documents):

* a write touches only its rows (``docs`` table plus the FTS5 index through triggers); nothing
  is ever rebuilt from all documents;
* the file persists under the home (``<home>/index/lexical/<collection>.fts5.sqlite``), so a new
  process opens it instead of re-indexing; :meth:`FTSIndex.stamp` / :meth:`FTSIndex.set_stamp`
  keep a generation marker the owning store compares with its files to decide whether the cache
  is current;
* WAL journal and a busy timeout let several processes read while one writes.

Ranking is FTS5's ``bm25()`` (k1 = 1.2, b = 0.75) over the ``porter unicode61`` tokenizer; the
query keeps words of two or more characters minus English stopwords, OR-ed together (the same
query shape as the bm25s index). ``where`` filters (equality, ``$in``, ``$ne``) run in SQL on
the JSON metadata. ``path=None`` keeps the index in memory (tests, scratch stores).

Example::

    lx = FTSIndex(home / "index" / "lexical" / "facts.sqlite")
    lx.upsert(["f1"], ["Caroline adopted a cat"], [{"namespace": "alice/agent"}])
    lx.search("caroline's cat", k=5, where={"namespace": "alice/agent"})
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..fileio import connect_index_sqlite
from .base import Hit

#: English stopwords dropped from queries: Lucene's English stop set, the bm25s default ("en").
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split()
)
_WORD = re.compile(r"\w\w+")
_SCHEMA_VERSION = "1"
DEFAULT_TOKENIZER = "porter unicode61 remove_diacritics 2"


def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5."""
    try:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        con.close()
        return True
    except sqlite3.OperationalError:
        return False


def query_terms(query: str) -> list[str]:
    """Lower-cased words of two or more characters, stopwords removed, first occurrence order."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(query.lower()):
        if w not in STOPWORDS:
            seen.setdefault(w.replace("_", " "), None)
    return list(seen)


def _where_sql(where: dict[str, Any] | None) -> tuple[str, list[Any]]:
    if not where:
        return "", []
    parts, args = [], []
    for key, cond in where.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            raise ValueError(f"lexical filter: metadata key {key!r} must be letters, digits, '_', '.' or '-'")
        col = f"json_extract(d.meta, '$.\"{key}\"')"
        if isinstance(cond, dict) and "$in" in cond:
            vals = list(cond["$in"])
            if not vals:
                return " AND 0", []
            parts.append(f"{col} IN ({','.join('?' * len(vals))})")
            args.extend(vals)
        elif isinstance(cond, dict) and "$ne" in cond:
            parts.append(f"{col} IS NOT ?")
            args.append(cond["$ne"])
        else:
            parts.append(f"{col} = ?")
            args.append(cond)
    return " AND " + " AND ".join(parts), args


class FTSIndex:
    """BM25 over SQLite FTS5 (see the module docstring). Thread-safe; one connection per instance."""

    def __init__(self, path: str | Path | None = None, tokenizer: str = DEFAULT_TOKENIZER) -> None:
        self.path = Path(path) if path is not None else None
        self.tokenizer = tokenizer
        self._lock = threading.RLock()
        #: rows written since this instance opened (a test reads it to prove writes are per item)
        self.rows_written = 0
        #: full rebuilds of the FTS5 index (only after a tokenizer or schema change)
        self.rebuilds = 0
        try:
            self._con = connect_index_sqlite(self.path)
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the lexical index at {self.path or ':memory:'}: {exc}") from exc

    def _init_schema(self) -> None:
        con = self._con
        with self._lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("CREATE TABLE IF NOT EXISTS info (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
                info = dict(con.execute("SELECT k, v FROM info").fetchall())
                if info and (info.get("schema") != _SCHEMA_VERSION or info.get("tokenizer") != self.tokenizer):
                    # another tokenizer or schema: the cache is rebuilt from its own documents
                    con.execute("DROP TABLE IF EXISTS fts")
                    self.rebuilds += 1
                con.execute("CREATE TABLE IF NOT EXISTS docs (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, meta TEXT NOT NULL)")
                tok = self.tokenizer.replace("'", "")
                con.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(doc, content='docs', content_rowid='rid', tokenize='{tok}')")
                con.execute("CREATE TRIGGER IF NOT EXISTS docs_ai AFTER INSERT ON docs BEGIN INSERT INTO fts(rowid, doc) VALUES (new.rid, new.doc); END")
                con.execute("CREATE TRIGGER IF NOT EXISTS docs_ad AFTER DELETE ON docs BEGIN INSERT INTO fts(fts, rowid, doc) VALUES ('delete', old.rid, old.doc); END")
                con.execute(
                    "CREATE TRIGGER IF NOT EXISTS docs_au AFTER UPDATE OF doc ON docs BEGIN "
                    "INSERT INTO fts(fts, rowid, doc) VALUES ('delete', old.rid, old.doc); INSERT INTO fts(rowid, doc) VALUES (new.rid, new.doc); END"
                )
                if info and self.rebuilds:
                    con.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
                con.execute("INSERT OR REPLACE INTO info (k, v) VALUES ('schema', ?), ('tokenizer', ?)", (_SCHEMA_VERSION, self.tokenizer))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # ---- writes --------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT count(*) FROM docs").fetchone()[0])

    def upsert(self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]] | None = None) -> None:
        """Insert or replace these rows only (unchanged rows are not re-indexed)."""
        if not ids:
            return
        metas = metadatas or [{} for _ in ids]
        rows = [(i, d, json.dumps(m, sort_keys=True, default=str)) for i, d, m in zip(ids, documents, metas, strict=True)]
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.executemany(
                    "INSERT INTO docs (id, doc, meta) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, meta = excluded.meta "
                    "WHERE docs.doc IS NOT excluded.doc OR docs.meta IS NOT excluded.meta",
                    rows,
                )
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self.rows_written += len(rows)

    def delete(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.executemany("DELETE FROM docs WHERE id = ?", [(i,) for i in ids])
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self.rows_written += len(ids)

    def clear(self) -> None:
        """Remove every row (and the stamp)."""
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.execute("DELETE FROM docs")
                self._con.execute("DELETE FROM info WHERE k = 'stamp'")
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    # ---- the cache's generation marker --------------------------------------------------
    def stamp(self) -> str | None:
        """The marker last stored with :meth:`set_stamp` (None when never set or cleared)."""
        with self._lock:
            row = self._con.execute("SELECT v FROM info WHERE k = 'stamp'").fetchone()
        return row[0] if row else None

    def set_stamp(self, stamp: str | None) -> None:
        with self._lock:
            if stamp is None:
                self._con.execute("DELETE FROM info WHERE k = 'stamp'")
            else:
                self._con.execute("INSERT OR REPLACE INTO info (k, v) VALUES ('stamp', ?)", (stamp,))

    def ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._con.execute("SELECT id FROM docs")]

    def rows(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{id: (document, metadata)}`` of every row (a store diffs it against its files)."""
        with self._lock:
            return {i: (d, json.loads(m)) for i, d, m in self._con.execute("SELECT id, doc, meta FROM docs")}

    # ---- reads ---------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        """Top ``k`` rows by BM25 (higher score is better); no hit when no query word is indexed."""
        terms = query_terms(query)
        if not terms or k <= 0:
            return []
        match = " OR ".join('"' + t + '"' for t in terms)
        cond, args = _where_sql(where)
        sql = (
            "SELECT d.id, d.doc, d.meta, bm25(fts) AS s FROM fts JOIN docs d ON d.rid = fts.rowid "
            f"WHERE fts MATCH ?{cond} ORDER BY s LIMIT ?"
        )
        with self._lock:
            rows = self._con.execute(sql, [match, *args, int(k)]).fetchall()
        return [Hit(id=i, score=-float(s), document=doc, metadata=json.loads(meta)) for i, doc, meta, s in rows if s < 0]

    def close(self) -> None:
        with self._lock:
            self._con.close()
