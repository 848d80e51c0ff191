"""The outcome log: which memory items were in context (or used) for which task, and how it went.

Every learner reads this one SQLite table: the skill router, the MemSkill controller, the
proxy retriever and the controller's credit assignment. A row is one (run, item) pair.

Example::

    log = OutcomeLog(settings.paths.home / "outcomes.sqlite")
    log.record([OutcomeRow(run_id="r1", task_id="t1", task_text="heat a mug", store="skills",
                           item_id="heat-object", reward=1.0, success=True, used=True)])
    rows = log.rows(store="skills")
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..fileio import connect_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  task_id TEXT,
  task_text TEXT NOT NULL,
  topic TEXT,
  namespace TEXT NOT NULL DEFAULT 'default/default',
  store TEXT NOT NULL,
  item_id TEXT NOT NULL,
  item_version INTEGER,
  rank INTEGER,
  used INTEGER NOT NULL DEFAULT 0,
  reward REAL NOT NULL,
  success INTEGER NOT NULL,
  outcome_source TEXT NOT NULL DEFAULT 'environment',
  extra TEXT NOT NULL DEFAULT '{}',
  at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_store_item ON outcomes(store, item_id);
CREATE INDEX IF NOT EXISTS outcomes_run ON outcomes(run_id);
CREATE INDEX IF NOT EXISTS outcomes_edit ON outcomes(json_extract(extra, '$.edit_id'));
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class OutcomeRow(BaseModel):
    """One (run, item) pair: which item was in context for which task, and how the task went."""

    run_id: str
    task_id: str | None = None
    task_text: str
    topic: str | None = None
    namespace: str = "default/default"
    store: str
    item_id: str
    item_version: int | None = None
    rank: int | None = Field(default=None, description="Position in the recalled context (0 = first), if recalled.")
    used: bool = Field(default=False, description="True when the item was the one acted on (e.g. the routed skill), not merely in context.")
    reward: float
    success: bool
    outcome_source: str = "environment"
    extra: dict[str, Any] = Field(default_factory=dict)
    at: float = Field(default_factory=time.time)


class OutcomeLog:
    """The SQLite outcome table every learner reads (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect_sqlite(self.path)

    def record(self, rows: Iterable[OutcomeRow]) -> int:
        data = [
            (r.run_id, r.task_id, r.task_text, r.topic, r.namespace, r.store, r.item_id, r.item_version, r.rank, int(r.used), r.reward, int(r.success), r.outcome_source, json.dumps(r.extra), r.at)
            for r in rows
        ]
        with self._connect() as con:
            con.executemany(
                "INSERT INTO outcomes (run_id, task_id, task_text, topic, namespace, store, item_id, item_version, rank, used, reward, success, outcome_source, extra, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                data,
            )
        return len(data)

    def rows(self, store: str | None = None, item_id: str | None = None, namespace: str | None = None, used_only: bool = False, run_id: str | None = None) -> list[OutcomeRow]:
        q = "SELECT run_id, task_id, task_text, topic, namespace, store, item_id, item_version, rank, used, reward, success, outcome_source, extra, at FROM outcomes WHERE 1=1"
        args: list[Any] = []
        for col, val in (("store", store), ("item_id", item_id), ("namespace", namespace), ("run_id", run_id)):
            if val is not None:
                q += f" AND {col} = ?"
                args.append(val)
        if used_only:
            q += " AND used = 1"
        q += " ORDER BY id"
        with self._connect() as con:
            cur = con.execute(q, args)
            return [
                OutcomeRow(run_id=r[0], task_id=r[1], task_text=r[2], topic=r[3], namespace=r[4], store=r[5], item_id=r[6], item_version=r[7], rank=r[8], used=bool(r[9]), reward=r[10], success=bool(r[11]), outcome_source=r[12], extra=json.loads(r[13]), at=r[14])
                for r in cur.fetchall()
            ]

    def edit_ids_recorded(self, edit_ids: Iterable[str]) -> set[str]:
        """The ``edit_ids`` that already have a row (``extra.edit_id``; indexed)."""
        ids = sorted(set(edit_ids))
        found: set[str] = set()
        with self._connect() as con:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = f"SELECT DISTINCT json_extract(extra, '$.edit_id') FROM outcomes WHERE json_extract(extra, '$.edit_id') IN ({','.join('?' * len(chunk))})"
                found.update(str(r[0]) for r in con.execute(q, chunk).fetchall())
        return found

    def mark(self, name: str) -> int:
        """A named progress marker (0 when never set), e.g. the last audit row whose credit is reconciled."""
        with self._connect() as con:
            row = con.execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def set_mark(self, name: str, value: int, *, only_up: bool = True) -> None:
        """Set marker ``name``; with ``only_up`` it never moves back (two processes may set it at once)."""
        with self._connect() as con:
            if only_up:
                con.execute("INSERT INTO marks (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)", (name, int(value)))
            else:
                con.execute("INSERT INTO marks (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, int(value)))
