"""The audit log: every edit the controller applied, quarantined or refused, and every snapshot
and rollback, with the run that caused it and the reason (SQLite at ``<home>/audit.sqlite``).

Rows are keyed by ``(edit_id, status)`` and written with ``INSERT OR IGNORE``, so replaying a
journal after a crash never duplicates an entry.

Example::

    audit = AuditLog(settings.paths.audit_db)
    for row in audit.entries(run_id="r-1"):
        print(row.status, row.kind, row.store, row.item_id, row.reason)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..fileio import connect_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  edit_id TEXT NOT NULL,
  status TEXT NOT NULL,
  run_id TEXT,
  task_id TEXT,
  kind TEXT NOT NULL,
  store TEXT NOT NULL DEFAULT '',
  item_id TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  trust TEXT,
  proposer TEXT NOT NULL DEFAULT '',
  mode TEXT,
  write_gate TEXT,
  outcome_source TEXT,
  payload TEXT NOT NULL DEFAULT '{}',
  at REAL NOT NULL,
  UNIQUE(edit_id, status)
);
CREATE INDEX IF NOT EXISTS audit_run ON audit(run_id);
CREATE INDEX IF NOT EXISTS audit_item ON audit(store, item_id);
"""

Status = Literal["applied", "quarantined", "refused", "invalid", "dry_run", "snapshot", "rollback", "recovered"]


class AuditEntry(BaseModel):
    """One audit row."""

    edit_id: str
    status: Status
    run_id: str | None = None
    task_id: str | None = None
    kind: str
    store: str = ""
    item_id: str = ""
    reason: str = ""
    trust: str | None = None
    proposer: str = ""
    mode: str | None = None
    write_gate: str | None = None
    outcome_source: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    at: float = Field(default_factory=time.time)


_COLS = ["edit_id", "status", "run_id", "task_id", "kind", "store", "item_id", "reason", "trust", "proposer", "mode", "write_gate", "outcome_source", "payload", "at"]


class AuditLog:
    """Append-only SQLite audit table (WAL mode; safe for several writer processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect_sqlite(self.path, synchronous="NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt

    def record(self, entries: Iterable[AuditEntry]) -> int:
        rows = [tuple(json.dumps(e.payload, default=str) if c == "payload" else getattr(e, c) for c in _COLS) for e in entries]
        if not rows:
            return 0
        with self._connect() as con:
            cur = con.executemany(f"INSERT OR IGNORE INTO audit ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})", rows)
            return cur.rowcount

    def entries(self, run_id: str | None = None, store: str | None = None, item_id: str | None = None, status: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        q = f"SELECT {', '.join(_COLS)} FROM audit WHERE 1=1"
        args: list[Any] = []
        for col, val in (("run_id", run_id), ("store", store), ("item_id", item_id), ("status", status)):
            if val is not None:
                q += f" AND {col} = ?"
                args.append(val)
        q += " ORDER BY id"
        if limit:
            q = f"SELECT * FROM ({q.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT {int(limit)}) ORDER BY at"
        with self._connect() as con:
            out = []
            for r in con.execute(q, args).fetchall():
                d = dict(zip(_COLS, r))
                d["payload"] = json.loads(d["payload"] or "{}")
                out.append(AuditEntry(**d))
            return out

    def counts(self, run_id: str | None = None) -> dict[str, int]:
        q = "SELECT status, COUNT(*) FROM audit" + (" WHERE run_id = ?" if run_id else "") + " GROUP BY status"
        with self._connect() as con:
            return dict(con.execute(q, [run_id] if run_id else []).fetchall())

    def max_id(self) -> int:
        """The id of the newest row (0 when empty)."""
        with self._connect() as con:
            return int(con.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()[0])

    def credited_manual_since(self, after_id: int, upto_id: int) -> list[tuple[int, AuditEntry]]:
        """``(id, row)`` of the applied (or quarantined) ``update_utility`` edits with a ``credit`` in their
        payload, applied in mode ``manual`` (``ReflectiveController.apply``), with ``after_id < id <= upto_id``."""
        q = (f"SELECT id, {', '.join(_COLS)} FROM audit WHERE id > ? AND id <= ? AND kind = 'update_utility' AND status IN ('applied', 'quarantined')"
             " AND mode = 'manual' AND json_extract(payload, '$.credit') IS NOT NULL ORDER BY id")
        with self._connect() as con:
            out = []
            for r in con.execute(q, (int(after_id), int(upto_id))).fetchall():
                d = dict(zip(_COLS, r[1:]))
                d["payload"] = json.loads(d["payload"] or "{}")
                out.append((int(r[0]), AuditEntry(**d)))
            return out
