"""The memory of one home, as a service: the operations the HTTP API (and the MCP tools beside it) call.

:class:`HomeService` is plain Python with no web import, so a library user can run the same
code the server runs. It wires the public pieces a library user wires:

* **reads** go through :class:`~agentmem.memory.Memory` (unified recall) over the home's stores
  (the shared skill library, facts, behaviors, concepts, subroutines and any store plugin);
* **writes** go through the :class:`~agentmem.learning.controller.ReflectiveController` as typed
  edits (validation, admission, journal, audit, provenance): ``remember`` is an ``add_item``
  edit applied by :class:`~agentmem.learning.store_appliers.FactApplier`, ``learn`` is the
  controller's outcome log and provenance plus one ``update_utility`` edit per recalled item,
  ``snapshot``/``rollback`` are the controller's.

Concurrency: reads of the home run concurrently. ``remember`` calls are **group-committed**: a
writer thread applies the facts queued while the previous batch was being written as one
controller transaction (at most ``max_batch``), and each caller returns only after its edit is
durable (fsynced files, committed journal), so an acknowledged write survives a crash of the
process. Reads are held back (a :class:`~agentmem.server.limits.ReadWriteLock`) only while the
fact store's files and in-memory indexes change (each item write, a reload), not for the rest of
a transaction (pre-image, journal, audit, provenance), so recall keeps answering while a batch
commits; a recall may therefore see a fact of a batch that has not yet been acknowledged.
Transactions of this process (group commits, ``learn``, snapshots, rollback) run one at a time;
across processes the controller's home file lock serialises writers.

Example::

    svc = HomeService(settings)
    item_id = svc.remember("Alice prefers window seats", namespace="alice/default")
    ctx = svc.recall("where does Alice like to sit?", namespace="alice/default")
    svc.close()
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentmem.hooks import RecallContext
from ..errors import AgentmemError, ConfigError, StoreError, ValidationFailed
from ..types import MemoryRecord, Outcome, Recalled, new_id
from .limits import ReadWriteLock

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)


class _Pending:
    __slots__ = ("edit", "done", "item_id", "error")

    def __init__(self, edit: Any) -> None:
        self.edit = edit
        self.done = threading.Event()
        self.item_id: str | None = None
        self.error: Exception | None = None


class HomeService:
    """Recall, remember, learn, items, snapshots of one home (see the module docstring).

    Args:
        settings: the home and its backends (``AGENTMEM_CHROMA_URL`` puts the fact index in a
            Chroma server).
        stores: extra live stores (plugins) to recall from.
        max_batch: most facts written in one group commit.
    """

    def __init__(self, settings: "Settings", *, stores: Sequence[Any] = (), max_batch: int = 64) -> None:
        from ..learning.controller import ControllerConfig, ReflectiveController
        from ..learning.edits import EditLimits
        from ..learning.store_appliers import FactApplier
        from ..learning.gate import AdmissionPolicy
        from ..learning.wiring import open_memory
        from ..stores.shared import SharedStore
        from ..memory import Memory
        from ..stores.facts import FactStore

        self.settings = settings
        self.max_batch = max_batch
        self.rw = ReadWriteLock()
        self._txn = threading.RLock()  # one transaction of this process at a time (the writer thread, learn, snapshots, rollback)
        # The home's stores as every other entry point opens them (the fact store with the
        # settings' index: AGENTMEM_CHROMA_URL puts its vectors in a Chroma server).
        state, registry = open_memory(settings)
        facts = state.stores.get("facts")
        if not isinstance(facts, FactStore):
            raise ConfigError(f"{settings.home}: the memory service needs the home's fact store (open_memory opened: {sorted(state.stores)})")
        self.facts = facts
        if registry.find("facts", "add_item") is None:
            registry.register("facts", FactApplier())
        self._guard_writes(facts)
        for s in stores:
            state.add(s)
        config = ControllerConfig(
            policy=AdmissionPolicy(max_adds_per_run=max_batch),
            limits=EditLimits(max_edits_per_run=max_batch),
        )
        self.controller = ReflectiveController(state, settings.home, registry=registry, config=config)
        self.state = state
        recall_stores: list[Any] = []
        for name, s in state.stores.items():
            recall_stores.append(SharedStore(s) if name == "skills" else s)
        self.memory = Memory.from_settings(settings, recall_stores)
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="agentmem-writer", daemon=True)
        self._closed = False
        with self.rw.write():
            with self.controller.engine.lock():
                recovered = self.controller.engine.recover()  # a transaction a killed writer left behind
            if recovered:
                log.warning("memory service: %s", recovered)
                self.state.reload()
            self._settle()
        self._writer.start()

    def _guard_writes(self, facts: Any) -> None:
        """Hold reads back while the fact store changes its files and indexes (each item write,
        a reload): the only moments a concurrent recall could see a half-made change."""
        write, reload = facts._write, facts.reload
        rw = self.rw

        def guarded_write(*args: Any, **kwargs: Any) -> Any:
            with rw.write():
                return write(*args, **kwargs)

        def guarded_reload() -> None:
            with rw.write():
                reload()

        facts._write, facts.reload = guarded_write, guarded_reload

    # ---- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Finish queued writes and stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=60)
        close = getattr(getattr(getattr(self.facts, "hybrid", None), "index", None), "close", None)
        if close is not None:
            close()  # flush the vector write buffer into Chroma

    def _settle(self) -> None:
        """Build lazily-built indexes now, under the write lock, so concurrent reads never build them."""
        try:
            self.facts.search("settle", k=1)
        except AgentmemError as exc:  # pragma: no cover - a broken index shows on the next recall too
            log.warning("settling the fact index failed: %s", exc)

    # ---- reads ----------------------------------------------------------------------------
    def recall(self, query: str, *, namespace: str, budget_tokens: int | None = None, stores: Sequence[str] | None = None) -> RecallContext:
        with self.rw.read():
            return self.memory.recall(query, budget_tokens=budget_tokens, namespace=namespace, stores=stores)

    def store_names(self) -> list[str]:
        return sorted(self.memory.stores)

    def _store(self, name: str) -> Any:
        store = self.memory.stores.get(name)
        if store is None:
            raise ConfigError(f"store: no store named {name!r} (stores here: {', '.join(self.store_names())})")
        return store

    def items(self, *, namespace: str, store: str | None = None, offset: int = 0, limit: int = 50, include_inactive: bool = False) -> list[MemoryRecord]:
        """Records of ``namespace`` (every store, or one), in store order then the store's order."""
        names = [store] if store else self.store_names()
        out: list[MemoryRecord] = []
        with self.rw.read():
            for name in names:
                live = self._store(name)
                want = offset + limit - len(out)
                if hasattr(live, "page"):  # large stores page without a full scan
                    out.extend(live.page(0, want, namespace=namespace, include_inactive=include_inactive))
                else:
                    out.extend(live.records(namespace, include_inactive)[:want])
                if len(out) >= offset + limit:
                    break
        return out[offset : offset + limit]

    def item(self, store: str, item_id: str) -> MemoryRecord | None:
        with self.rw.read():
            return self._store(store).get_record(item_id)

    def why(self, store: str, item_id: str) -> Any:
        """Provenance and payoff of one item (:class:`~agentmem.learning.provenance.ItemHistory`)."""
        with self._txn:  # the provenance graph changes at the end of a transaction
            return self.controller.why(f"{store}/{item_id}")

    # ---- writes ---------------------------------------------------------------------------
    def remember(self, text: str, *, namespace: str, store: str = "facts", source: str = "http remember") -> str:
        """Queue one fact for the next group commit; return its id once it is durable."""
        from ..learning.edits import AddItem
        from ..types import Provenance

        if store != "facts":
            raise ConfigError(f"remember: store {store!r} cannot take new items through the service (writable: facts)")
        if not text or not text.strip():
            raise ValidationFailed("text: must not be empty")
        if self._closed:
            raise StoreError("the memory service is shutting down")
        title = " ".join(text.split())[:80]
        edit = AddItem(store="facts", title=title, text=text, id_hint=new_id("f_"), metadata={"namespace": namespace},
                       reason=source, proposer="server:remember", provenance=Provenance(source="user", note=source))
        pending = _Pending(edit)
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.item_id is not None
        return pending.item_id

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with self._txn:
                report = self.controller.apply([p.edit for p in batch], outcome=Outcome(score=1.0, success=True, source="user"), run_id=new_id("remember-"))
            with self.rw.write():
                self._settle()
        except Exception as exc:  # noqa: BLE001 - every waiting caller must hear about it
            for p in batch:
                p.error = StoreError(f"remember failed: {type(exc).__name__}: {exc}")
                p.done.set()
            return
        applied = {a.edit["edit_id"]: a.item_ids for a in report.applied}
        refused = {r.edit_id: r for r in report.refused}
        for p in batch:
            ids = applied.get(p.edit.edit_id)
            if ids:
                p.item_id = ids[0]
            else:
                r = refused.get(p.edit.edit_id)
                p.error = ValidationFailed(f"remember refused ({r.stage}): {r.reason}" if r else "remember: the edit was not applied")
            p.done.set()

    def learn(self, task: str, items: Sequence[tuple[str, str]], outcome: Outcome, *, namespace: str, run_id: str | None = None, task_id: str | None = None) -> str:
        """Record how ``task`` went for the recalled ``items`` (``(store, id)`` pairs): outcome log and
        provenance through the controller, and one ``update_utility`` edit per item."""
        from agentmem.environment import TaskSpec
        from ..learning.edits import UpdateUtility
        from ..types import Trust

        rid = run_id or new_id("run-")
        spec = TaskSpec(id=task_id or new_id("task-"), instruction=task, metadata={"namespace": namespace})
        with self._txn, self.rw.write():
            recalled: list[Recalled] = []
            for store, item_id in items:
                rec = self._store(store).get_record(item_id)
                if rec is None:
                    raise ValidationFailed(f"items: no item {item_id!r} in store {store!r}")
                if store == "skills":
                    rec = rec.model_copy(update={"namespace": namespace})
                recalled.append(Recalled(record=rec, score=1.0))
            ctx = RecallContext(items=recalled)
            self.controller.after_task(spec, ctx, [], outcome, rid)
            reward = max(-1.0, min(1.0, outcome.score))
            edits = [UpdateUtility(store=r.record.store, item_id=r.record.id, reward=reward, success=outcome.success, trust=Trust.verified,
                                   proposer="server:learn", reason=f"outcome {outcome.score:.3f} ({outcome.source}) of run {rid}") for r in recalled if r.record.store in self.state.stores]
            if edits:
                self.controller.apply(edits, outcome=outcome, run_id=rid)
        return rid

    def snapshot(self, name: str = "", reason: str = "") -> Any:
        with self._txn, self.rw.write():
            return self.controller.snapshot(name=name, reason=reason or "service snapshot")

    def snapshots(self) -> list[Any]:
        with self.rw.read():
            return self.controller.engine.snapshots.list()

    def rollback(self, ref: str) -> Any:
        with self._txn, self.rw.write():
            self.controller.engine.snapshots.get(ref)  # unknown ref: fail before anything changes
            snap = self.controller.rollback(ref)
            self.state.reload()
            self._settle()
            return snap

    # ---- health ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "home": str(self.settings.home), "stores": self.store_names(), "queued_writes": self._queue.qsize()}


__all__ = ["HomeService"]
