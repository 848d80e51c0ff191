"""The write-ahead journal that makes applying a batch of edits all-or-nothing.

Before the first store file changes, the engine snapshots the touched stores (content-addressed,
so unchanged files cost nothing) and begins the batch with a record holding
``state = "applying"``, the snapshot id and the audit/provenance records it will write: the first
line (``B``) of the write log ``<home>/learning.journal.writes`` (older versions wrote it to
``<home>/learning.journal.json``, which is still read). After
the last edit it marks the batch ``committed`` (one fsynced ``C`` line with the full record in the
write log below, which :meth:`Journal.pending` reads), writes the audit log and provenance graph,
then deletes the journal. A batch that touches only copy-on-write stores takes no whole-store
snapshot (``pre_snapshot`` is empty).

:func:`Journal.pending` finds a journal left behind by a crash or kill. Recovery (done by the
engine under the home lock before any read-modify-write) restores the snapshot of an
``applying`` journal, so every store is back in its previous consistent state, or finishes the
bookkeeping of a ``committed`` one, so every store is in its next state. Every file write is
itself atomic, so a store stays readable even before recovery runs.

Recovery undoes only the batch's *own* writes: :class:`WriteLog` (``learning.journal.writes``)
records every file the batch wrote with the hash of what it wrote (through
:func:`agentmem.fileio.observe_writes`, before each rename, and by a scan after each edit); a
file is put back to its pre-image only when it still holds exactly what the batch wrote. A file
changed since by another writer (``skills add``, ``BehaviorHandbook.add``, another process) is
left as it is, and a file missing from its store comes back (nothing is ever lost).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..fileio import atomic_write_json, flush_group, fsync_barrier, read_json


class JournalRecord(BaseModel):
    txn_id: str
    state: Literal["applying", "committed"] = "applying"
    pre_snapshot: str
    stores: list[str] = Field(default_factory=list)
    cow_stores: list[str] = Field(default_factory=list, description="Stores whose pre-image is copied file by file as the batch first writes each file (their writes are all observed), not snapshotted whole beforehand.")
    run_id: str | None = None
    audit: list[dict[str, Any]] = Field(default_factory=list, description="Audit entries to write once committed.")
    provenance: list[dict[str, Any]] = Field(default_factory=list, description="Provenance edits to record once committed.")


class WriteLog:
    """Append-only ``path<TAB>sha256`` lines: what the pending batch wrote ("-" = deleted).

    ``P<TAB>path<TAB>sha256`` lines are copy-on-write pre-images: what ``path`` held ("-" = no
    file) before the batch first wrote it, the content kept as a journal blob. Each is fsynced
    before the write it precedes, so recovery can always put the file back.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh: Any = None

    def open(self) -> None:
        self.close()
        self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - kept open for the batch

    def _write(self, *lines: str) -> None:
        if self._fh is None:
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._fh.write("".join(line + "\n" for line in lines))
        self._fh.flush()
        # on disk with every fsync the batch started before it; in a sync_once group (a bulk import): at the group's sync
        fsync_barrier(self._fh.fileno(), self.path)

    def begin(self, record: dict[str, Any], *, durable: bool) -> None:
        """Start the log with the batch's begin record (``B<TAB>json``). ``durable=False`` leaves
        the fsync to the next logged line: right for a batch whose every store write is observed
        (a pre-image line is fsynced before each), so the record is on disk before any store file
        changes."""
        self.open()
        line = "B\t" + json.dumps(record, sort_keys=True, default=str)
        if durable:
            self._write(line)
        else:
            self._fh.write(line + "\n")
            self._fh.flush()

    def begun(self) -> dict[str, Any] | None:
        """The begin record of :meth:`begin`, or None (no log, a log without one, or a torn one)."""
        lines = self._lines()
        if not lines or not lines[0].startswith("B\t"):
            return None
        try:
            return json.loads(lines[0][2:])
        except ValueError:
            return None

    def commit(self, record: dict[str, Any]) -> None:
        """Log the batch's commit record (``C<TAB>json``) with one fsync: cheaper than rewriting
        the journal file (fsync, rename, fsync of the folder)."""
        flush_group()  # a bulk import's batch: its files and log lines are on disk before its commit line
        self._write("C\t" + json.dumps(record, sort_keys=True, default=str))
        flush_group()

    def committed(self) -> dict[str, Any] | None:
        """The commit record logged by :meth:`commit`, or None (none, or torn by a crash: not committed)."""
        for line in self._lines():
            if line.startswith("C\t"):
                try:
                    return json.loads(line[2:])
                except ValueError:
                    return None
        return None

    def record(self, path: Path | str, sha: str | None) -> None:
        self._write(f"{os.path.realpath(path)}\t{sha or '-'}")

    def record_pre(self, path: Path | str, pre: str | None, sha: str | None) -> None:
        """Log the pre-image of ``path`` (its content hash, or ``None`` when it did not exist) and
        what the batch is about to write there, with one fsync."""
        real = os.path.realpath(path)
        self._write(f"P\t{real}\t{pre or '-'}", f"{real}\t{sha or '-'}")

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def read(self) -> dict[str, set[str | None]]:
        out: dict[str, set[str | None]] = {}
        for line in self._lines():
            if line.startswith(("B\t", "C\t")):
                continue
            path, _, sha = line.rpartition("\t")
            if path and not path.startswith("P\t"):
                out.setdefault(path, set()).add(None if sha == "-" else sha)
        return out

    def read_pre(self) -> dict[str, str | None]:
        """``{path: pre-image hash or None}``, the first one logged per path (a torn last line is skipped)."""
        out: dict[str, str | None] = {}
        for line in self._lines():
            tag, _, rest = line.partition("\t")
            path, _, sha = rest.rpartition("\t")
            if tag == "P" and path and sha and path not in out:
                out[path] = None if sha == "-" else sha
        return out

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def clear(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class Journal:
    """One pending transaction at a time, per home (callers hold the home write lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.writes = WriteLog(self.path.with_name(self.path.name.replace(".json", "") + ".writes"))

    def exists(self) -> bool:
        """Whether a batch may be pending (a journal file, or a write log that may hold a begin record)."""
        return self.path.exists() or self.writes.path.exists()

    def pending(self) -> JournalRecord | None:
        data = read_json(self.path) or self.writes.begun()
        if not data:
            return None
        rec = JournalRecord(**data)
        if rec.state == "applying":
            done = self.writes.committed()
            if done is not None and done.get("txn_id") == rec.txn_id:
                return JournalRecord(**{**done, "state": "committed"})
        return rec

    def begin(self, record: JournalRecord) -> None:
        """Begin a batch in the journal file (the write log is opened separately)."""
        atomic_write_json(self.path, record.model_dump(mode="json"))

    def begin_logged(self, record: JournalRecord, *, durable: bool = True) -> None:
        """Begin a batch in the write log alone (opened here; no journal file to write, rename and
        delete). ``durable=False`` for batches whose store writes are all observed (see
        :meth:`WriteLog.begin`)."""
        self.writes.begin(record.model_dump(mode="json"), durable=durable)

    def commit(self, record: JournalRecord) -> None:
        """Mark the batch committed: its record (audit and provenance rows included) is appended
        to the write log with one fsync; :meth:`pending` reads it from there."""
        record.state = "committed"
        self.writes.commit(record.model_dump(mode="json"))

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.writes.clear()
