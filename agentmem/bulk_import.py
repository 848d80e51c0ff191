"""Bulk import: many memory items from a JSON Lines file, through the reflective controller.

``agentmem import FILE.jsonl`` (and :meth:`agentmem.memory.Memory.import_file`) add one item per
line to a store (default the fact store). Each line is a JSON object
``{"text": ..., "id": ..., "namespace": ..., "metadata": {...}}`` (only ``text`` is required) or a
bare JSON string (the text). Blank lines and lines starting with ``#`` are skipped.

**The write path is the product's.** Every row becomes an ``add_item`` edit
(:class:`~agentmem.learning.edits.AddItem`, proposer ``user:import``, provenance source
``import`` naming the file and line) and a batch of them (``batch_size`` rows, 1,000 by default)
is applied by the controller's :class:`~agentmem.learning.engine.EditEngine` as **one
transaction**: validation, the admission gate (sized for the batch: an explicit user import may
add ``batch_size`` items per run, learned proposals keep their limits), the journal, the audit
log and the provenance graph. What makes it fast is what a batch shares:

* the files of a batch are fsynced together (:func:`agentmem.fileio.fsync_group` with policy
  ``sync_once``: one ``syncfs`` before the commit line, instead of three fsyncs per item);
* the index rows wait for the end of the batch (:meth:`FactStore.deferred_index`): the texts
  are embedded in one call (the model's own batches; the embedding cache skips texts already
  embedded), the vectors go to Chroma in one upsert (through the write buffer) and the lexical
  rows to SQLite FTS5 in one transaction.

**Resumable.** Row ids are stable: the row's ``id``, else ``imp-`` + a hash of its namespace and
text. A row whose id is already stored is skipped, so re-running an interrupted import goes on
where it stopped and a row repeated in the file (or an earlier import) is counted as a
duplicate, never stored twice. A batch is all or nothing: a process killed mid-batch leaves the
earlier batches committed and its own writes undone by the journal on the next write or recall.
A kill after a batch's commit but before its index rows were written leaves the index stamp
behind the files; the next search (or import) re-indexes the rows the index lacks.

**Bad input.** The whole file is checked before anything is written; a bad line raises
:class:`ImportFileError` naming the file, the line and the field (``skip_bad=True`` skips and
reports such lines instead).

Cost (this machine, see ``benchmarks/results/bulk_import*.md``): the embedding is the big part
(MiniLM on CPU: about 50 texts per CPU-second for 170-character texts); everything else per
item is measured there.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .errors import ConfigError
from .stores.memory_store import namespace_key

#: longest text a row may carry (the controller's own limit applies too)
MAX_TEXT_CHARS = 20_000


class ImportFileError(ConfigError):
    """A line of an import file that cannot be imported (the message names the file and line)."""


class ImportRow(BaseModel):
    """One parsed line."""

    line: int
    id: str
    text: str
    namespace: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class ImportReport(BaseModel):
    """What an import did."""

    file: str
    store: str
    rows: int = Field(default=0, description="Rows read (blank and comment lines excluded).")
    added: int = 0
    skipped_existing: int = Field(default=0, description="Rows whose id was already stored (an earlier run, or a repeat in the file).")
    bad_lines: list[str] = Field(default_factory=list, description="file:line: why (only with skip_bad).")
    refused: list[str] = Field(default_factory=list, description="Edits the controller refused, with its reason.")
    batches: int = 0
    run_id: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per phase: parse, check, apply (journal, files, audit, provenance), index (embedding, vectors, lexical).")


def row_id(namespace: str, text: str) -> str:
    """The stable id of a row without one: the same text in the same namespace is the same item."""
    return "imp-" + hashlib.sha1(f"{namespace}\0{text}".encode()).hexdigest()[:20]


def _bad(path: Path, line: int, why: str) -> ImportFileError:
    return ImportFileError(f"{path}:{line}: {why}")


def parse_line(path: Path, lineno: int, raw: str, namespace: str) -> ImportRow | None:
    """The row on one line, None for a blank or comment line; :class:`ImportFileError` if it is bad."""
    s = raw.strip()
    if not s or s.startswith("#"):
        return None
    try:
        obj = json.loads(s)
    except json.JSONDecodeError as exc:
        raise _bad(path, lineno, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if isinstance(obj, str):
        obj = {"text": obj}
    if not isinstance(obj, dict):
        raise _bad(path, lineno, f"expected a JSON object with a 'text' field (or a JSON string), got {type(obj).__name__}")
    unknown = sorted(set(obj) - {"text", "id", "namespace", "metadata"})
    if unknown:
        raise _bad(path, lineno, f"unknown field(s) {unknown}; a row has text, and optionally id, namespace, metadata")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad(path, lineno, "field 'text': missing or empty")
    text = text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise _bad(path, lineno, f"field 'text': {len(text)} characters, more than {MAX_TEXT_CHARS}")
    ns = obj.get("namespace", namespace)
    try:
        ns = namespace_key(str(ns)) if ns is not None else namespace
    except Exception as exc:  # noqa: BLE001 - named in the error
        raise _bad(path, lineno, f"field 'namespace': {exc}") from None
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        raise _bad(path, lineno, "field 'metadata': expected a JSON object")
    rid = obj.get("id")
    if rid is None:
        rid = row_id(ns, text)
    elif not isinstance(rid, str) or not rid or len(rid) > 120 or any(c in rid for c in "/\\\0") or rid.startswith("."):
        raise _bad(path, lineno, "field 'id': expected a non-empty string of at most 120 characters without '/', '\\' or a leading '.'")
    return ImportRow(line=lineno, id=rid, text=text, namespace=ns, metadata=meta)


def read_rows(path: Path, namespace: str, *, skip_bad: bool = False, bad: list[str] | None = None) -> list[ImportRow]:
    """Every row of ``path`` (the whole file is checked before anything is written)."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    rows: list[ImportRow] = []
    with open(path, "rb") as fh:
        for lineno, raw_bytes in enumerate(fh, start=1):
            try:
                raw = raw_bytes.decode("utf-8")
                row = parse_line(path, lineno, raw, namespace)
            except UnicodeDecodeError as exc:
                err = _bad(path, lineno, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
                if not skip_bad:
                    raise err from None
                if bad is not None:
                    bad.append(str(err))
                continue
            except ImportFileError as exc:
                if not skip_bad:
                    raise
                if bad is not None:
                    bad.append(str(exc))
                continue
            if row is not None:
                rows.append(row)
    return rows


def _batches(rows: list[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class BulkImporter:
    """Imports rows into one store of a :class:`~agentmem.memory.Memory` (see the module docstring)."""

    def __init__(self, memory: Any, store: str = "facts", *, batch_size: int = 1000, run_id: str | None = None) -> None:
        from .learning.edits import EditLimits
        from .learning.gate import AdmissionPolicy
        from .learning.wiring import controller_over
        from .types import new_id

        if batch_size <= 0:
            raise ConfigError(f"import: batch_size must be positive, got {batch_size}")
        if store not in memory.stores:
            raise ConfigError(f"import: no store named {store!r} (stores here: {', '.join(sorted(memory.stores))})")
        self.memory = memory
        self.store_name = store
        self.store = memory.stores[store]
        self.batch_size = batch_size
        self.run_id = run_id or new_id("import-")
        #: the report of the import in progress (or the last one), also when a progress callback stopped it
        self.last_report: ImportReport | None = None
        # The controller that applies the batches: the home's engine, journal, audit and provenance;
        # its admission gate admits a whole batch of an explicit user import (learned proposals
        # keep the default limits in every other controller).
        self.controller = controller_over(list(memory.stores.values()), memory.settings.paths.home, mode="frozen", write_gate=memory.write_gate,
                                          outcome_log=memory.outcome_log, policy=AdmissionPolicy(max_adds_per_run=batch_size),
                                          limits=EditLimits(max_edits_per_run=batch_size))
        if "add_item" not in self.controller.engine.registry.kinds_for(store):
            raise ConfigError(f"import: store {store!r} cannot take new items")

    def _exists(self, item_id: str) -> bool:
        get = getattr(self.store, "get", None)
        return get(item_id) is not None if get is not None else False

    def import_file(self, path: str | Path, *, namespace: str | None = None, skip_bad: bool = False,
                    progress: Callable[[int, int, ImportReport], None] | None = None) -> ImportReport:
        """Import every row of ``path``; ``progress(done_rows, total_rows, report)`` after each batch."""
        from .fileio import fsync_group
        from .learning.edits import AddItem
        from .types import Provenance, Trust

        c0, t0 = time.process_time(), time.perf_counter()
        path = Path(path)
        ns = namespace_key(namespace) if namespace is not None else self.memory.namespace
        report = self.last_report = ImportReport(file=str(path), store=self.store_name, run_id=self.run_id)
        timings = report.timings = {"parse": 0.0, "check": 0.0, "apply": 0.0, "index": 0.0}  # kept current: a caller that stops the import reads them
        rows = read_rows(path, ns, skip_bad=skip_bad, bad=report.bad_lines)
        report.rows = len(rows)
        timings["parse"] = time.perf_counter() - t0
        self.memory._recover_abandoned_batch()  # a batch a killed import left: undone before anything else
        done = 0
        seen: set[str] = set()
        deferred = getattr(self.store, "deferred_index", None)
        for batch in _batches(rows, self.batch_size):
            t1 = time.perf_counter()
            todo = []
            for r in batch:
                if r.id in seen or self._exists(r.id):
                    report.skipped_existing += 1
                else:
                    seen.add(r.id)
                    todo.append(r)
            t2 = time.perf_counter()
            timings["check"] += t2 - t1
            if todo:
                edits = [AddItem(store=self.store_name, title=" ".join(r.text.split())[:80], text=r.text, metadata={**r.metadata, "namespace": r.namespace},
                                 id_hint=r.id, trust=Trust.shipped, proposer="user:import", reason=f"import {path.name}:{r.line}",
                                 provenance=Provenance(source="import", run_id=self.run_id, note=f"{path}:{r.line}")) for r in todo]
                with deferred() if deferred is not None else _null():
                    with fsync_group("sync_once"):
                        applied = self.controller.apply(edits, run_id=self.run_id)
                    t3 = time.perf_counter()
                    timings["apply"] += t3 - t2
                timings["index"] += time.perf_counter() - t3  # the deferred index rows, written on leaving the context
                report.added += sum(len(a.item_ids) for a in applied.applied)
                line_of = {r.id: r.line for r in todo}
                report.refused += [f"{path}:{line_of.get(r.item_id, '?')}: {r.stage}: {r.reason}" for r in applied.refused]
                report.batches += 1
            done += len(batch)
            if progress is not None:
                progress(done, len(rows), report)
        report.seconds = round(time.perf_counter() - t0, 3)
        report.cpu_seconds = round(time.process_time() - c0, 3)
        report.timings = {k: round(v, 3) for k, v in timings.items()}
        return report


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def import_file(memory: Any, path: str | Path, *, store: str = "facts", namespace: str | None = None, batch_size: int = 1000,
                skip_bad: bool = False, run_id: str | None = None, progress: Callable[[int, int, ImportReport], None] | None = None) -> ImportReport:
    """Import ``path`` into ``memory``'s ``store`` (see the module docstring)."""
    return BulkImporter(memory, store, batch_size=batch_size, run_id=run_id).import_file(path, namespace=namespace, skip_bad=skip_bad, progress=progress)
