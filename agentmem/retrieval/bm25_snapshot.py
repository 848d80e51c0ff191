"""Snapshots of :class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25`'s in-memory postings,
kept in its own SQLite file, so a new process opens a large index without rebuilding them.

Building the postings from the stored rows reads every row and sorts every posting: 1.8 s for
100k LoCoMo turns (2.3M postings) on a loaded 2-core machine. A snapshot is the built arrays
(CSR postings, row lengths, rowids, alive bits, ids, raw metadata) plus the markers they are
current to: the file's ``epoch``, the last rowid and the last ``gone`` sequence number. Opening
loads them (one blob) and then applies, exactly as for another process's writes, the rows and
deletions committed after those markers. A snapshot whose epoch is not the file's (cleared,
re-tokenised) is ignored. It is rewritten whenever the postings are rebuilt (a full load or a
compaction, which happens after the delta grows past a tenth of the base), so what is applied
on open stays a small fraction of the index. Only indexes of at least :data:`MIN_ROWS` rows
keep one.
"""

from __future__ import annotations

import io
import json
import sqlite3
from typing import Any

import numpy as np

#: indexes smaller than this rebuild their postings on open (milliseconds) and keep no snapshot
MIN_ROWS = 5000
_FORMAT = 1
_ARRAYS = ("rid", "len", "alive", "ptr", "pslot", "ptf")


def ensure_table(con: sqlite3.Connection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS snap (k TEXT PRIMARY KEY, v BLOB NOT NULL)")


def save(con: sqlite3.Connection, header: dict[str, Any], arrays: dict[str, np.ndarray], ids: list[str], metas: list[str]) -> None:
    """Write a snapshot (one transaction; the caller checked that its state is current to ``header``'s
    markers). Inside another transaction (a rebuild during a write) nothing is written: the next
    rebuild writes one."""
    if con.in_transaction:
        return
    buf = io.BytesIO()
    payload = {**{k: arrays[k] for k in _ARRAYS}, "ids": np.frombuffer(json.dumps(ids).encode(), dtype=np.uint8), "metas": np.frombuffer(json.dumps(metas).encode(), dtype=np.uint8)}
    savez: Any = np.savez  # (its **kwds are arrays; the stubs let them collide with allow_pickle)
    savez(buf, **payload)
    con.execute("BEGIN IMMEDIATE")
    try:
        epoch = con.execute("SELECT v FROM info WHERE k = 'epoch'").fetchone()
        if epoch is None or epoch[0] != header["epoch"]:
            con.execute("ROLLBACK")
            return
        con.execute("INSERT OR REPLACE INTO snap (k, v) VALUES ('header', ?), ('postings', ?)", (json.dumps({**header, "format": _FORMAT}), buf.getvalue()))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load(con: sqlite3.Connection, epoch: str | None) -> tuple[dict[str, Any], dict[str, np.ndarray], list[str], list[str]] | None:
    """``(header, arrays, ids, metas)`` of the snapshot when it belongs to ``epoch``, else None."""
    own = not con.in_transaction
    if own:
        con.execute("BEGIN")  # header and blob from one read snapshot of the file
    try:
        row = con.execute("SELECT v FROM snap WHERE k = 'header'").fetchone()
        head = json.loads(row[0]) if row else None
        if not head or head.get("format") != _FORMAT or head.get("epoch") != epoch:
            return None
        blob = con.execute("SELECT v FROM snap WHERE k = 'postings'").fetchone()
    finally:
        if own:
            con.execute("COMMIT")
    if blob is None:
        return None
    try:
        with np.load(io.BytesIO(blob[0]), allow_pickle=False) as z:
            arrays = {k: z[k] for k in _ARRAYS}
            ids = json.loads(z["ids"].tobytes().decode())
            metas = json.loads(z["metas"].tobytes().decode())
    except (ValueError, KeyError, OSError):  # a damaged snapshot: rebuild from the rows
        return None
    n = int(head.get("n", -1))
    if not all(len(arrays[k]) == n for k in ("rid", "len", "alive")) or len(ids) != n or len(metas) != n:
        return None
    return head, arrays, ids, metas
