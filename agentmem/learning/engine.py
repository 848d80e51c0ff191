"""Validate, admit and apply batches of edits: atomically, audited, with provenance, or as a dry run.

:class:`EditEngine` is the write half of the controller and can be used on its own (the
``agentmem memory apply`` command does). One call to :meth:`EditEngine.apply`:

1. takes the home write lock and recovers any journal a crashed writer left behind;
2. validates every edit (size limits, a live store and applier for it, duplicates within the
   batch and against the store) and passes it through the :class:`AdmissionPolicy`; invalid
   and refused edits are logged with their reason and skipped;
3. for a dry run, applies the admitted edits to a *copy* of the touched stores and returns the
   readable diff, changing nothing in the home;
4. otherwise snapshots the touched stores, writes the journal, applies the edits, commits, and
   writes the audit log and the provenance graph.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import AgentmemError
from ..fileio import atomic_write_bytes, fsync_group, home_lock, observe_writes, sha256_file
from ..types import Lifecycle, Outcome, Trust, new_id
from .appliers import ApplierRegistry
from .audit import AuditEntry, AuditLog
from .edits import ADD_KINDS, EditLimits, Refusal, check_limits
from .gate import AdmissionPolicy
from .journal import Journal, JournalRecord
from .provenance import ProvenanceGraph
from .snapshots import SnapshotStore, StateDiff, _prune_empty_parents, diff_trees, scan_root, state_files
from .state import MemoryState, ignored


class AppliedEdit(BaseModel):
    edit: dict[str, Any]
    kind: str
    store: str
    item_ids: list[str] = Field(default_factory=list)
    state: Lifecycle = Lifecycle.active
    note: str = ""


class ApplyReport(BaseModel):
    """What happened to one batch of proposed edits."""

    run_id: str | None = None
    dry_run: bool = False
    applied: list[AppliedEdit] = Field(default_factory=list)
    refused: list[Refusal] = Field(default_factory=list)
    diff: StateDiff | None = None
    recovered: str | None = Field(default=None, description="What journal recovery did before this batch, if anything.")

    @property
    def quarantined(self) -> list[AppliedEdit]:
        return [a for a in self.applied if a.state == Lifecycle.quarantined]

    def render(self) -> str:
        lines = [f"{'DRY RUN: ' if self.dry_run else ''}{len(self.applied)} edit(s) {'would be ' if self.dry_run else ''}applied, {len(self.refused)} refused"]
        for a in self.applied:
            lines.append(f"  + {a.kind} {a.store}/{','.join(a.item_ids)}" + (f" [{a.state.value}: {a.note}]" if a.state != Lifecycle.active else ""))
        for r in self.refused:
            lines.append(f"  x {r.kind} {r.store}/{r.item_id} ({r.stage}): {r.reason}")
        if self.diff is not None:
            lines.append(self.diff.render().rstrip("\n"))
        return "\n".join(lines) + "\n"


class EditEngine:
    """Applies edits to the stores of a :class:`MemoryState` (see the module docstring)."""

    def __init__(
        self,
        state: MemoryState,
        home: str | Path,
        *,
        registry: ApplierRegistry | None = None,
        policy: AdmissionPolicy | None = None,
        limits: EditLimits | None = None,
        lock_timeout: float = 120.0,
    ) -> None:
        self.state = state
        self.home = Path(home)
        self.registry = registry or ApplierRegistry()
        self.policy = policy or AdmissionPolicy()
        self.limits = limits or EditLimits()
        self.lock_path = self.home / ".write.lock"
        self.lock_timeout = lock_timeout
        self.audit = AuditLog(self.home / "audit.sqlite")
        self.snapshots = SnapshotStore(self.home / "snapshots")
        self.preimages = SnapshotStore(self.home / "journal")
        self.journal = Journal(self.home / "learning.journal.json")
        self.provenance_path = self.home / "provenance.json"
        self._graph: ProvenanceGraph | None = None
        self._graph_stamp: tuple[Any, Any] | None = None

    # ---- locking, provenance, recovery -----------------------------------------------------
    def lock(self) -> Any:
        return home_lock(self.lock_path, timeout=self.lock_timeout)

    def graph(self) -> ProvenanceGraph:
        """The provenance graph: replays what other processes appended to its log since, and is
        reloaded only when its base was rewritten (call under the lock to write)."""
        g = self._graph
        if g is not None and self._graph_stamp is not None:
            now = g.stamp()
            if now == self._graph_stamp:
                return g
            if g.catch_up(self._graph_stamp[0]):
                self._graph_stamp = g.stamp()
                return g
        self._graph = ProvenanceGraph(self.provenance_path)
        self._graph_stamp = self._graph.stamp()
        return self._graph

    def save_graph(self) -> None:
        g = self.graph()
        g.save()
        self._graph_stamp = g.stamp()

    def recover(self) -> str | None:
        """Finish or undo a transaction a crashed writer left behind (caller holds the lock)."""
        rec = self.journal.pending()
        if rec is None:
            if self.journal.writes.path.exists():
                self.journal.writes.clear()  # a log with no batch in it (the caller holds the lock: no batch is running)
            return None
        if rec.state == "applying":
            undone, kept = self._undo_own(rec)
            self.audit.record([AuditEntry(edit_id=rec.txn_id, status="recovered", run_id=rec.run_id, kind="transaction", reason=f"interrupted while applying; its own writes undone in {rec.stores} ({undone} file(s)); {kept} file(s) changed since by other writers kept")])
            what = f"rolled back interrupted transaction {rec.txn_id}"
        else:
            self._finish(rec)
            what = f"completed committed transaction {rec.txn_id}"
        self._release(rec)
        return what

    def recover_if_abandoned(self) -> str | None:
        """For readers: recover a batch whose writer died (its journal is left and nobody holds
        the lock); do nothing while a live writer holds the lock (its batch is in progress)."""
        if not self.journal.exists():
            return None
        try:
            with home_lock(self.lock_path, timeout=0):
                return self.recover()
        except AgentmemError:
            return None

    def _undo_own(self, rec: JournalRecord) -> tuple[int, int]:
        """Put back the pre-image of every file that still holds what this batch wrote, and of
        every file missing from its store; leave files changed since by other writers.
        Returns (files restored, files kept)."""
        snap = None
        if rec.pre_snapshot:  # empty: every touched store was copy-on-write, nothing was snapshotted whole
            with contextlib.suppress(AgentmemError):
                snap = self.preimages.get(rec.pre_snapshot)
        written = self.journal.writes.read()
        roots = self.state.roots()
        undone = kept = 0

        def put_back(root: Path, path: Path, cur: str | None, old: str | None, where: str) -> None:
            nonlocal undone, kept
            if cur == old:
                return
            ours = written.get(os.path.realpath(path), set())
            if cur in ours or (cur is None and old is not None):
                if old is None:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    _prune_empty_parents(root, path)
                else:
                    atomic_write_bytes(path, self.preimages._get_blob(old, where))
                undone += 1
            else:
                kept += 1

        cow_pre = self.journal.writes.read_pre() if rec.cow_stores else {}
        for store in rec.stores:
            if store in rec.cow_stores:
                # copy-on-write store: only the files the batch wrote have a pre-image, and only they can need undoing
                if store not in roots:
                    continue
                root = Path(roots[store])
                prefix = os.path.realpath(root) + os.sep
                for real, old in sorted(cow_pre.items()):
                    if real.startswith(prefix):
                        p = Path(real)
                        cur = sha256_file(p) if p.is_file() else None
                        put_back(root, p, cur, old, f"{rec.txn_id}:{store}/{real[len(prefix):]}")
                continue
            manifest = snap.stores.get(store) if snap is not None else None
            if snap is None:
                continue
            root = Path(manifest.root) if manifest is not None else Path(roots[store]) if store in roots else None
            if root is None:
                continue
            real_root = os.path.realpath(root)
            pre = manifest.files if manifest is not None else {}
            current = {rel.as_posix(): sha256_file(p) for rel, p in state_files(root)}
            for rel in sorted(set(pre) | set(current)):
                put_back(root, Path(os.path.join(real_root, rel)), current.get(rel), pre.get(rel), f"{snap.id}:{store}/{rel}")
        self.state.reload()
        return undone, kept

    def _observer(self, cow_roots: dict[str, Path]) -> Callable[[Path, str], None]:
        """The batch's write observer: logs every write; before the first write of a file in a
        copy-on-write store, keeps what the file held as a journal blob and logs that pre-image
        (both fsynced before the write lands)."""
        prefixes = tuple(os.path.realpath(r) + os.sep for r in cow_roots.values())
        blobs = os.path.realpath(self.preimages.root) + os.sep
        seen: set[str] = set()

        def observe(path: Path, sha: str) -> None:
            real = os.path.realpath(path)
            if real.startswith(blobs):
                return  # the journal's own pre-image blobs
            if prefixes and real not in seen and real.startswith(prefixes):
                seen.add(real)
                rel = real[next(len(p) for p in prefixes if real.startswith(p)):]
                if not ignored(tuple(rel.split(os.sep))):
                    try:
                        with open(real, "rb") as fh:
                            old: str | None = self.preimages._put_blob(fh.read())
                    except FileNotFoundError:
                        old = None
                    self.journal.writes.record_pre(real, old, sha)
                    return
            self.journal.writes.record(real, sha)

        return observe

    def _scan_writes(self, roots: dict[str, Path], last: dict[str, dict[str, str]]) -> None:
        """Log every file of ``roots`` that changed since ``last`` (writes that did not go through
        :func:`agentmem.fileio.atomic_write_bytes`, e.g. a skill folder swapped in by rename)."""
        for store, root in roots.items():
            now = self.preimages._hash_root(root)
            before = last.get(store, {})
            for rel in set(now) | set(before):
                if now.get(rel) != before.get(rel):
                    self.journal.writes.record(root / rel, now.get(rel))
            last[store] = now

    def _release(self, rec: JournalRecord) -> None:
        """End the batch: delete the journal (the batch is done), then its pre-image blobs (a crash
        in between only leaves blobs for the next batch's collection)."""
        cow_blobs = {d for d in self.journal.writes.read_pre().values() if d} if rec.cow_stores else set()
        self.journal.clear()
        self._drop_preimage(rec, cow_blobs)

    def _drop_preimage(self, rec: JournalRecord, cow_blobs: set[str]) -> None:
        """Delete the batch's pre-image and collect the blobs no longer needed: only those of the
        snapshotted stores' current files stay (they are the next batch's pre-image), so the
        journal's blob folder is bounded by the size of those stores. A batch that touched only
        copy-on-write stores deletes just its own pre-image blobs (no walk of any store)."""
        if rec.pre_snapshot:
            with contextlib.suppress(AgentmemError):
                self.preimages.delete(rec.pre_snapshot)
        scanned = [s for s in rec.stores if s not in rec.cow_stores]
        roots = self.state.roots()
        if scanned:
            keep: set[str] = set()
            for store in scanned:
                if store in roots:
                    keep.update(self.preimages._hash_root(roots[store]).values())
            self.preimages.gc(keep=keep)
            return
        for digest in cow_blobs:
            with contextlib.suppress(FileNotFoundError):
                self.preimages._blob_path(digest).unlink()

    def _finish(self, rec: JournalRecord) -> None:
        # the provenance log's fsync runs while the audit rows are written (both replay idempotently
        # from the committed journal, which is deleted only after both are on disk)
        with fsync_group():
            if rec.provenance:
                g = self.graph()
                for p in rec.provenance:
                    g.add_edit(**p)
                self.save_graph()
            self.audit.record(AuditEntry(**a) for a in rec.audit)

    # ---- validation and admission ------------------------------------------------------------
    def _target_trust(self, edit: Any, store: Any) -> Trust | None:
        if edit.kind in ADD_KINDS:
            return None
        try:
            rec = store.get_record(edit.item_id)
        except Exception:  # noqa: BLE001
            return None
        return Trust(rec.trust) if rec is not None else None

    def validate(self, edits: list[Any], outcome: Outcome) -> tuple[list[tuple[Any, Lifecycle, str]], list[Refusal]]:
        """Split ``edits`` into admitted ``(edit, initial state, note)`` and refusals with reasons."""
        admitted: list[tuple[Any, Lifecycle, str]] = []
        refused: list[Refusal] = []
        seen: set[tuple[str, str, str]] = set()
        counts = {"add": 0, "retire": 0}

        def refuse(edit: Any, stage: str, reason: str) -> None:
            refused.append(Refusal(edit_id=edit.edit_id, kind=edit.kind, store=edit.store, item_id=str(getattr(edit, "item_id", "")), stage=stage, reason=reason, raw=edit.model_dump(mode="json"), proposer=edit.proposer))  # type: ignore[arg-type]

        proposed = 0
        for edit in edits:
            if not edit.proposer.startswith("controller:"):  # the controller's own credit edits do not count
                proposed += 1
                if proposed > self.limits.max_edits_per_run:
                    refuse(edit, "validation", f"more than {self.limits.max_edits_per_run} proposed edits in one batch")
                    continue
            problems = check_limits(edit, self.limits)
            if problems:
                refuse(edit, "validation", "; ".join(problems))
                continue
            if edit.store not in self.state.stores:
                refuse(edit, "validation", f"no live store named {edit.store!r} (live: {sorted(self.state.stores) or 'none'})")
                continue
            applier = self.registry.find(edit.store, edit.kind)
            if applier is None:
                refuse(edit, "validation", f"store {edit.store!r} accepts no {edit.kind!r} edits (accepts: {sorted(self.registry.kinds_for(edit.store))})")
                continue
            key = (edit.kind, edit.store, str(edit.item_id))
            if key in seen and edit.kind != "update_utility":
                refuse(edit, "validation", f"duplicate of an earlier {edit.kind} of {edit.store}/{edit.item_id} in the same batch")
                continue
            store = self.state.stores[edit.store]
            try:
                problems = applier.check(edit, store)
            except AgentmemError as exc:
                problems = [str(exc)]
            if problems:
                refuse(edit, "validation", "; ".join(problems))
                continue
            edit.trust = self.policy.cap_trust(edit, outcome)
            ok, why = self.policy.admit(edit, outcome, self._target_trust(edit, store), counts)
            if not ok:
                refuse(edit, "gate", why)
                continue
            seen.add(key)
            if edit.kind in ADD_KINDS:
                counts["add"] += 1
            if edit.kind == "retire_item":
                counts["retire"] += 1
            st, note = self.policy.initial_state(edit)
            admitted.append((edit, st, note))
        return admitted, refused

    # ---- apply ------------------------------------------------------------------------------
    def apply(
        self,
        edits: list[Any],
        *,
        outcome: Outcome | None = None,
        run_id: str | None = None,
        task_id: str | None = None,
        refusals: list[Refusal] | None = None,
        dry_run: bool = False,
        context: dict[str, Any] | None = None,
        on_applied: Callable[[int, Any], None] | None = None,
    ) -> ApplyReport:
        """Validate, admit and apply ``edits`` as one transaction (see the module docstring).

        ``outcome`` drives score thresholds and trust caps (default: a manual edit, source
        ``user``, score 1). ``refusals`` from parsing are logged with the batch. ``context``
        (mode, write gate) is recorded with every audit row. ``on_applied(i, edit)`` is called
        after each edit is written (tests use it to kill a writer mid-batch).
        """
        outcome = outcome or Outcome(score=1.0, success=True, source="user")
        ctx = dict(context or {})
        report = ApplyReport(run_id=run_id, dry_run=dry_run)
        for e in edits:
            e.provenance = e.provenance.model_copy(update={"run_id": e.provenance.run_id or run_id, "task_id": e.provenance.task_id or task_id, "edit_id": e.edit_id})
        with self.lock():
            report.recovered = self.recover()
            admitted, refused = self.validate(edits, outcome)
            report.refused = list(refusals or []) + refused
            if dry_run:
                report.applied, report.diff = self._dry_run(admitted)
                return report
            audit_rows = [self._audit_row(r, "invalid" if r.stage in {"schema", "validation"} else "refused", run_id, task_id, outcome, ctx) for r in report.refused]
            if not admitted:
                self.audit.record(audit_rows)
                return report
            touched = sorted({e.store for e, _, _ in admitted})
            # A store whose appliers all write through fileio.atomic_write_bytes gets a copy-on-write
            # pre-image (each file copied as the batch first writes it: O(files written)); the others
            # are snapshotted whole beforehand (O(files in the store), unchanged files cost a stat).
            cow = [s for s in touched if all(getattr(self.registry.find(e.store, e.kind), "observed_writes", False) for e, _, _ in admitted if e.store == s)]
            scanned = [s for s in touched if s not in cow]
            all_roots = self.state.roots()
            # no whole-store pre-image when every touched store is copy-on-write (a remember): no manifest to write and delete
            pre = self.preimages.take(MemoryState(roots={s: all_roots[s] for s in scanned}), reason=f"pre-image of run {run_id}") if scanned else None
            rec = JournalRecord(txn_id=new_id("txn-"), pre_snapshot=pre.id if pre is not None else "", stores=touched, cow_stores=cow, run_id=run_id)
            # the begin record is the write log's first line; when every touched store is copy-on-write its
            # fsync rides on the first pre-image line, which precedes the batch's first store write
            self.journal.begin_logged(rec, durable=bool(scanned))
            roots = {s: all_roots[s] for s in scanned}
            last = {s: dict(pre.stores[s].files) if pre is not None and s in pre.stores else {} for s in scanned}
            try:
                # A copy-on-write batch (every write an atomic_write_bytes) lets its fsyncs overlap (fsync_group):
                # all are on disk before each journal line, before each rename and before the commit.
                with observe_writes(self._observer({s: all_roots[s] for s in cow})), fsync_group() if not scanned else contextlib.nullcontext():
                    for i, (edit, st, note) in enumerate(admitted):
                        applier = self.registry.find(edit.store, edit.kind)
                        assert applier is not None
                        ids = applier.apply(edit, self.state.stores[edit.store], state=st)
                        if edit.store in roots and not getattr(applier, "observed_writes", False):
                            # An applier that declares observed_writes writes only through
                            # fileio.atomic_write_bytes, whose every write the journal already logs;
                            # the others may swap files in by rename, so their roots are hashed.
                            self._scan_writes(roots, last)
                        report.applied.append(AppliedEdit(edit=edit.model_dump(mode="json"), kind=edit.kind, store=edit.store, item_ids=list(ids), state=st, note=note))
                        if on_applied is not None:
                            on_applied(i, edit)
            except Exception as exc:
                # Undo the partial batch (its own writes only), then log every admitted edit as refused at the apply stage.
                self._scan_writes(roots, last)
                self._undo_own(rec)
                self._release(rec)
                failed = [Refusal(edit_id=e.edit_id, kind=e.kind, store=e.store, item_id=str(e.item_id), stage="apply", reason=f"batch rolled back: {type(exc).__name__}: {exc}", proposer=e.proposer) for e, _, _ in admitted]
                report.applied = []
                report.refused += failed
                self.audit.record(audit_rows + [self._audit_row(r, "refused", run_id, task_id, outcome, ctx) for r in failed])
                return report
            for a in report.applied:
                status = "quarantined" if a.state == Lifecycle.quarantined else "applied"
                audit_rows.append(AuditEntry(
                    edit_id=a.edit["edit_id"], status=status, run_id=run_id, task_id=task_id, kind=a.kind, store=a.store, item_id=",".join(a.item_ids),
                    reason=a.edit.get("reason", "") + (f" [{a.note}]" if a.note else ""), trust=a.edit.get("trust"), proposer=a.edit.get("proposer", ""),
                    mode=ctx.get("mode"), write_gate=ctx.get("write_gate"), outcome_source=outcome.source, payload=a.edit,
                ))
                if a.kind != "update_utility":
                    rec.provenance.append({"run_id": run_id, "edit_id": a.edit["edit_id"], "kind": a.kind, "store": a.store, "item_ids": a.item_ids, "status": status, "reason": a.edit.get("reason", ""), "trust": a.edit.get("trust"), "state": a.state.value})
            rec.audit = [r if isinstance(r, dict) else r.model_dump(mode="json") for r in audit_rows]
            self.journal.commit(rec)
            self._finish(rec)
            self._release(rec)
        return report

    def _audit_row(self, r: Refusal, status: str, run_id: str | None, task_id: str | None, outcome: Outcome, ctx: dict[str, Any]) -> AuditEntry:
        return AuditEntry(edit_id=r.edit_id, status=status, run_id=run_id, task_id=task_id, kind=r.kind, store=r.store, item_id=r.item_id, reason=f"{r.stage}: {r.reason}", proposer=r.proposer, mode=ctx.get("mode"), write_gate=ctx.get("write_gate"), outcome_source=outcome.source, payload=r.raw if isinstance(r.raw, dict) else {"raw": r.raw})  # type: ignore[arg-type]

    def _dry_run(self, admitted: list[tuple[Any, Lifecycle, str]]) -> tuple[list[AppliedEdit], StateDiff]:
        """Apply to copies of the touched stores (where an opener is known) and diff; the home is untouched."""
        applied: list[AppliedEdit] = []
        roots = self.state.roots()
        touched = sorted({e.store for e, _, _ in admitted})
        before = {s: scan_root(roots[s]) for s in touched}
        after: dict[str, dict[str, bytes]] = {}
        with tempfile.TemporaryDirectory(prefix="agentmem-dryrun-") as tmp:
            copies: dict[str, Any] = {}
            for s in touched:
                opener = self.state.openers.get(s)
                if opener is None:
                    continue
                dst = Path(tmp) / s
                if roots[s].is_dir():
                    shutil.copytree(roots[s], dst)
                else:
                    dst.mkdir(parents=True)
                copies[s] = opener(dst)
            for edit, st, note in admitted:
                ids: list[str] = [str(getattr(edit, "item_id", ""))]
                if edit.store in copies:
                    applier = self.registry.find(edit.store, edit.kind)
                    assert applier is not None
                    ids = applier.apply(edit, copies[edit.store], state=st)
                applied.append(AppliedEdit(edit=edit.model_dump(mode="json"), kind=edit.kind, store=edit.store, item_ids=list(ids), state=st, note=note + ("" if edit.store in copies else " (no opener for this store: shown as the edit, not as files)")))
            for s in touched:
                if s in copies:
                    after[s] = scan_root(Path(tmp) / s)
        diff = diff_trees(before, {s: after.get(s, before[s]) for s in touched}, "current", "proposed")
        for a in applied:
            if a.store not in after:
                import json

                from .snapshots import FileChange

                diff.changes.append(FileChange(store=a.store, path=f"<edit {a.kind} {','.join(a.item_ids)}>", change="changed", diff=json.dumps(a.edit, indent=2, sort_keys=True)))
        return applied, diff
