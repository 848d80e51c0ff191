"""The write-ahead journal that makes applying a batch of edits all-or-nothing.

Before the first store file changes, the engine snapshots the touched stores (content-addressed,
so unchanged files cost nothing) and writes ``<home>/learning.journal.json`` with
``state = "applying"``, the snapshot id and the audit/provenance records it will write. After
the last edit it flips the journal to ``committed``, writes the audit log and provenance graph,
then deletes the journal.

:func:`Journal.pending` finds a journal left behind by a crash or kill. Recovery (done by the
engine under the home lock before any read-modify-write) restores the snapshot of an
``applying`` journal, so every store is back in its previous consistent state, or finishes the
bookkeeping of a ``committed`` one, so every store is in its next state. Every file write is
itself atomic, so a store stays readable even before recovery runs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..fileio import atomic_write_json, read_json


class JournalRecord(BaseModel):
    txn_id: str
    state: Literal["applying", "committed"] = "applying"
    pre_snapshot: str
    stores: list[str] = Field(default_factory=list)
    run_id: str | None = None
    audit: list[dict[str, Any]] = Field(default_factory=list, description="Audit entries to write once committed.")
    provenance: list[dict[str, Any]] = Field(default_factory=list, description="Provenance edits to record once committed.")


class Journal:
    """One pending transaction at a time, per home (callers hold the home write lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def pending(self) -> JournalRecord | None:
        data = read_json(self.path)
        return JournalRecord(**data) if data else None

    def begin(self, record: JournalRecord) -> None:
        atomic_write_json(self.path, record.model_dump(mode="json"))

    def commit(self, record: JournalRecord) -> None:
        record.state = "committed"
        atomic_write_json(self.path, record.model_dump(mode="json"))

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
