"""The run log: every agent run, its steps, token usage and outcome, in SQLite under the home.

Two tables: ``runs`` (one row per run: task, model, start/end, status, final answer, outcome,
usage, recalled memory ids) and ``steps`` (one JSON document per typed step). The runner writes
a run's row when it starts, each step as it happens and the outcome when it ends, so a crash
leaves a readable partial run (status ``running``, or ``crashed`` when the runner saw the
exception). WAL mode lets readers (``agentmem runs list``) work while a run writes.

Example::

    log = RunLog(settings.paths.runs_db)
    for run in log.list(limit=5):
        print(run.id, run.status, run.outcome)
    record = log.get(run.id)          # a unique id prefix works too
    record.steps[0].kind              # 'task'
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import StoreError
from ..llm.base import Usage
from ..types import Outcome
from .steps import Step, StepAdapter

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL DEFAULT 'agent',
  task_id TEXT,
  task TEXT NOT NULL,
  model TEXT,
  environment TEXT,
  started_at REAL NOT NULL,
  ended_at REAL,
  status TEXT NOT NULL DEFAULT 'running',
  final_answer TEXT,
  outcome TEXT,
  usage TEXT NOT NULL DEFAULT '{}',
  memory_ids TEXT NOT NULL DEFAULT '[]',
  meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
);
"""

_COLUMNS = "id, agent, task_id, task, model, environment, started_at, ended_at, status, final_answer, outcome, usage, memory_ids, meta"


class RunNotFoundError(StoreError):
    """No run (or more than one) matches the id or prefix given."""


class RunSummary(BaseModel):
    """One row of the run log, without its steps."""

    id: str
    agent: str = "agent"
    task_id: str | None = None
    task: str
    model: str | None = None
    environment: str | None = None
    started_at: float
    ended_at: float | None = None
    status: str = Field(default="running", description="running | final | done | budget | error | crashed")
    final_answer: str | None = None
    outcome: Outcome | None = None
    usage: Usage = Field(default_factory=Usage)
    memory_ids: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    n_steps: int = 0

    @property
    def seconds(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


class RunRecord(RunSummary):
    """A run with its typed steps."""

    steps: list[Step] = Field(default_factory=list)


class RunLog:
    """SQLite run log at ``path`` (``settings.paths.runs_db``); created on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executescript(_SCHEMA)
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the run log ({exc})") from exc

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the run log ({exc})") from exc
        try:
            con.execute("PRAGMA journal_mode=WAL")
            with con:
                yield con
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: run log error ({exc})") from exc
        finally:
            con.close()

    # ------------------------------------------------------------------ writing
    def start(
        self,
        run_id: str,
        *,
        task: str,
        agent: str = "agent",
        task_id: str | None = None,
        model: str | None = None,
        environment: str | None = None,
        memory_ids: list[str] | None = None,
        meta: dict[str, Any] | None = None,
        started_at: float | None = None,
    ) -> None:
        """Record that run ``run_id`` began."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO runs (id, agent, task_id, task, model, environment, started_at, status, memory_ids, meta) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run_id, agent, task_id, task, model, environment, started_at or time.time(), "running", json.dumps(memory_ids or []), json.dumps(meta or {}, default=str)),
            )

    def add_step(self, run_id: str, step: Any) -> None:
        """Append one typed step (its ``index`` orders the steps)."""
        with self._connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO steps (run_id, idx, kind, data) VALUES (?,?,?,?)",
                (run_id, int(step.index), str(step.kind), step.model_dump_json()),
            )

    def set_memory_ids(self, run_id: str, memory_ids: list[str]) -> None:
        with self._connect() as con:
            con.execute("UPDATE runs SET memory_ids = ? WHERE id = ?", (json.dumps(memory_ids), run_id))

    def update_meta(self, run_id: str, **values: Any) -> None:
        """Merge ``values`` into the run's ``meta`` (e.g. what memory recalled and the edits the run caused)."""
        with self._connect() as con:
            row = con.execute("SELECT meta FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFoundError(f"{self.path}: run {run_id!r} was never started")
            meta = {**json.loads(row[0] or "{}"), **values}
            con.execute("UPDATE runs SET meta = ? WHERE id = ?", (json.dumps(meta, default=str), run_id))

    def set_outcome(self, run_id: str, outcome: Outcome) -> None:
        """Replace the run's outcome (a verdict given after the run: ``agentmem runs rate``)."""
        with self._connect() as con:
            cur = con.execute("UPDATE runs SET outcome = ? WHERE id = ?", (outcome.model_dump_json(), run_id))
            if cur.rowcount == 0:
                raise RunNotFoundError(f"{self.path}: run {run_id!r} was never started")

    def finish(
        self,
        run_id: str,
        *,
        status: str,
        final_answer: str | None = None,
        outcome: Outcome | None = None,
        usage: Usage | None = None,
        ended_at: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Record how run ``run_id`` ended."""
        with self._connect() as con:
            sets = "status = ?, final_answer = ?, outcome = ?, usage = ?, ended_at = ?"
            args: list[Any] = [status, final_answer, outcome.model_dump_json() if outcome else None, (usage or Usage()).model_dump_json(), ended_at or time.time()]
            if meta is not None:
                sets += ", meta = ?"
                args.append(json.dumps(meta, default=str))
            cur = con.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*args, run_id))
            if cur.rowcount == 0:
                raise RunNotFoundError(f"{self.path}: run {run_id!r} was never started")

    # ------------------------------------------------------------------ reading
    def _summary(self, row: tuple[Any, ...], n_steps: int) -> RunSummary:
        (id_, agent, task_id, task, model, env, started, ended, status, final, outcome, usage, memory_ids, meta) = row
        try:
            return RunSummary(
                id=id_, agent=agent, task_id=task_id, task=task, model=model, environment=env, started_at=started, ended_at=ended,
                status=status, final_answer=final, outcome=Outcome.model_validate_json(outcome) if outcome else None,
                usage=Usage.model_validate_json(usage) if usage else Usage(), memory_ids=json.loads(memory_ids or "[]"),
                meta=json.loads(meta or "{}"), n_steps=n_steps,
            )
        except ValueError as exc:
            raise StoreError(f"{self.path}: run {id_!r} has a malformed row ({exc})") from exc

    def list(self, limit: int = 20, *, status: str | None = None, offset: int = 0) -> list[RunSummary]:
        """The most recent runs first."""
        q = f"SELECT {_COLUMNS}, (SELECT COUNT(*) FROM steps s WHERE s.run_id = runs.id) FROM runs"
        args: list[Any] = []
        if status:
            q += " WHERE status = ?"
            args.append(status)
        q += " ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        with self._connect() as con:
            rows = con.execute(q, args).fetchall()
        return [self._summary(r[:-1], r[-1]) for r in rows]

    def resolve(self, id_or_prefix: str) -> str:
        """The full run id for an id or a unique prefix of one."""
        with self._connect() as con:
            exact = con.execute("SELECT id FROM runs WHERE id = ?", (id_or_prefix,)).fetchone()
            if exact:
                return str(exact[0])
            pattern = id_or_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = con.execute("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 5", (pattern,)).fetchall()
        if not rows:
            raise RunNotFoundError(f"no run {id_or_prefix!r} in {self.path} (see `agentmem runs list`)")
        if len(rows) > 1:
            raise RunNotFoundError(f"run id prefix {id_or_prefix!r} is ambiguous: {', '.join(r[0] for r in rows)}")
        return str(rows[0][0])

    def get(self, id_or_prefix: str) -> RunRecord:
        """One run with its typed steps; raise :class:`RunNotFoundError` when none matches."""
        run_id = self.resolve(id_or_prefix)
        with self._connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
            step_rows = con.execute("SELECT idx, data FROM steps WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
        steps = []
        for idx, data in step_rows:
            try:
                steps.append(StepAdapter.validate_json(data))
            except ValueError as exc:
                raise StoreError(f"{self.path}: run {run_id!r} step {idx} is malformed ({exc})") from exc
        summary = self._summary(row, len(steps))
        return RunRecord(**summary.model_dump(exclude={"outcome", "usage"}), outcome=summary.outcome, usage=summary.usage, steps=steps)

    def count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
