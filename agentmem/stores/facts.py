"""The fact store: memory items written by MemSkill's executor (or by hand), each with its history.

Every item is one JSON file ``<root>/items/<id>.json`` (atomic writes, one lock per store) that
holds its current content, namespace, provenance, timestamps, lifecycle state, usage
statistics and the full list of revisions: every INSERT, UPDATE and DELETE that changed it,
with the content after the change, the span it came from and the skill that decided it. A
DELETE retires the item (it leaves recall) but keeps its history, so nothing stored is lost.

Search is hybrid (BM25 + dense, RRF) through :class:`~agentmem.retrieval.hybrid.HybridIndex`,
built lazily from the files (the index is a cache).

Example::

    store = FactStore(settings.paths.stores / "facts", embedder)
    item = store.insert("Caroline adopted a cat named Oscar", span_id="conv1:s3", skill="insert-memory")
    store.update(item.id, "Caroline adopted two cats, Oscar and Milo", span_id="conv1:s7", skill="update-memory")
    [r.record.text for r in store.search("Caroline's pets")]
"""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import StoreError
from ..fileio import atomic_write_json, home_lock, read_json, safe_name
from ..retrieval.base import Embedder, VectorIndex
from ..retrieval.fusion import minmax
from ..retrieval.hybrid import HybridIndex
from ..tokens import approx_tokens
from ..types import Lifecycle, MemoryRecord, Provenance, Recalled, Trust, UsageStats, new_id


class FactOp(str, Enum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class FactRevision(BaseModel):
    """One change to an item: the operation, the content after it, and where it came from."""

    op: FactOp
    content: str = Field(..., description="The item's content after this operation (unchanged for DELETE).")
    span_id: str | None = None
    skill: str | None = Field(default=None, description="The memory skill that decided the operation, if any.")
    reason: str = ""
    at: float = Field(default_factory=time.time)


class FactItem(BaseModel):
    """A memory item with its content history."""

    id: str
    content: str
    namespace: str = "default/default"
    provenance: Provenance = Field(default_factory=Provenance)
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    state: Lifecycle = Lifecycle.active
    usage: UsageStats = Field(default_factory=UsageStats)
    metadata: dict[str, Any] = Field(default_factory=dict)
    history: list[FactRevision] = Field(default_factory=list)

    def to_record(self) -> MemoryRecord:
        return MemoryRecord(id=self.id, store="facts", text=self.content, namespace=self.namespace, state=self.state, trust=Trust.learned,
                            metadata={"updated_at": self.updated_at, "revisions": len(self.history)})


class FactStore:
    """Files-first store of :class:`FactItem` s implementing the :class:`~agentmem.stores.base.Store` protocol."""

    name = "facts"

    def __init__(self, root: str | Path, embedder: Embedder, index: VectorIndex | None = None, *, namespace: str = "default/default", rrf_k: int = 60) -> None:
        from ..retrieval.memory_index import InMemoryIndex

        self.root = Path(root)
        self.items_dir = self.root / "items"
        self.namespace = namespace
        self.embedder = embedder
        self.hybrid = HybridIndex("facts", embedder, index if index is not None else InMemoryIndex(), rrf_k=rrf_k)
        self._items: dict[str, FactItem] | None = None
        self._items_stamp: int | None = None
        self.problems: list[str] = []
        self._indexed = False
        self._index_ids: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any, *, embedder: Embedder | None = None) -> "FactStore":
        """The home's fact store (``<home>/stores/facts``) in the settings' namespace, with its embedder.

        The vector part of the hybrid index is an in-memory cache rebuilt from the files (fact
        stores are small; the files are the truth).
        """
        from ..retrieval.factory import make_embedder
        from ..types import Namespace

        return cls(settings.paths.stores / "facts", embedder or make_embedder(settings), namespace=Namespace.parse(settings.namespace).key(),
                   rrf_k=settings.recall.rrf_k)

    # ------------------------------------------------------------------ files
    def _dir_stamp(self) -> int | None:
        try:
            return self.items_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _load_all(self) -> dict[str, FactItem]:
        """Every readable item, re-read when the items folder changed (another process wrote:
        atomic writes rename into it). An unreadable file is skipped and named in
        :attr:`problems`, so one bad file never hides the store."""
        stamp = self._dir_stamp()
        if self._items is None or stamp != self._items_stamp:
            items: dict[str, FactItem] = {}
            problems: list[str] = []
            if self.items_dir.is_dir():
                for f in sorted(self.items_dir.glob("*.json")):
                    try:
                        item = FactItem.model_validate(read_json(f))
                    except Exception as exc:  # noqa: BLE001 - reported, the rest stays readable
                        problems.append(f"{f}: not a valid fact item ({str(exc)[:200]})")
                        continue
                    items[item.id] = item
            if self._indexed:  # bring the index in line with what another process wrote
                old = self._items or {}
                gone = [i for i in self._index_ids if i not in items or items[i].state != Lifecycle.active]
                fresh = [it for i, it in items.items() if it.state == Lifecycle.active and (i not in self._index_ids or old.get(i) is None or old[i].content != it.content)]
                if gone:
                    self.hybrid.delete(gone)
                    self._index_ids.difference_update(gone)
                if fresh:
                    self.hybrid.upsert([i.id for i in fresh], [i.content for i in fresh], [{"namespace": i.namespace} for i in fresh])
                    self._index_ids.update(i.id for i in fresh)
            self._items, self._items_stamp, self.problems = items, stamp, problems
        return self._items

    def _read_fresh(self, item_id: str) -> FactItem | None:
        """The item as it is on disk now (call under the lock before a read-modify-write)."""
        p = self._path(item_id)
        if not p.exists():
            return None
        try:
            return FactItem.model_validate(read_json(p))
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"{p}: not a valid fact item ({str(exc)[:200]})") from None

    def _mutate(self, item_id: str, op: str, change: Any, *, active_only: bool = True) -> FactItem:
        """Re-read ``item_id`` under the lock, apply ``change(item)``, write it back: no
        update made by another process in between is lost."""
        with home_lock(self.root / ".write.lock"):
            item = self._read_fresh(item_id)
            if item is None:
                raise StoreError(f"facts: cannot {op} unknown item id {item_id!r}")
            if active_only and item.state != Lifecycle.active:
                raise StoreError(f"facts: cannot {op} item {item_id!r}: it is {item.state.value}")
            change(item)
            self._write(item)
        return item

    def _path(self, item_id: str) -> Path:
        return self.items_dir / f"{safe_name(item_id)}.json"

    def _write(self, item: FactItem) -> None:
        with home_lock(self.root / ".write.lock"):
            atomic_write_json(self._path(item.id), item.model_dump(mode="json"))
            items = self._load_all()  # re-read if another process wrote since our last look
            items[item.id] = item
            self._items_stamp = self._dir_stamp()
        if self._indexed:
            if item.state == Lifecycle.active:
                self.hybrid.upsert([item.id], [item.content], [{"namespace": item.namespace}])
                self._index_ids.add(item.id)
            else:
                self.hybrid.delete([item.id])
                self._index_ids.discard(item.id)

    def _ensure_index(self) -> None:
        if self._indexed:
            return
        active = [i for i in self._load_all().values() if i.state == Lifecycle.active]
        self.hybrid.upsert([i.id for i in active], [i.content for i in active], [{"namespace": i.namespace} for i in active])
        self._index_ids = {i.id for i in active}
        self._indexed = True

    def reload(self) -> None:
        """Forget cached items and the index (after files changed on disk, e.g. a rollback)."""
        self._items = None
        if self._indexed:
            self.hybrid.delete(sorted(self._index_ids))
        self._index_ids: set[str] = set()
        self._indexed = False

    # ------------------------------------------------------------------ operations
    def get(self, item_id: str) -> FactItem | None:
        return self._load_all().get(item_id)

    def items(self, namespace: str | None = None, include_inactive: bool = False) -> list[FactItem]:
        out = [i for i in self._load_all().values() if (include_inactive or i.state == Lifecycle.active) and (namespace is None or i.namespace == namespace)]
        return sorted(out, key=lambda i: (i.created_at, i.id))

    def insert(self, content: str, *, namespace: str | None = None, span_id: str | None = None, skill: str | None = None,
               provenance: Provenance | None = None, item_id: str | None = None, reason: str = "") -> FactItem:
        """Add a new item; its first revision is an INSERT."""
        if not content.strip():
            raise StoreError("facts: cannot insert an item with empty content")
        item_id = item_id or new_id("f_")
        if item_id in self._load_all() or self._path(item_id).exists():
            raise StoreError(f"facts: item id {item_id!r} already exists")
        now = time.time()
        item = FactItem(id=item_id, content=content.strip(), namespace=namespace or self.namespace, provenance=provenance or Provenance(source="learned"),
                        created_at=now, updated_at=now, history=[FactRevision(op=FactOp.INSERT, content=content.strip(), span_id=span_id, skill=skill, reason=reason, at=now)])
        self._write(item)
        return item

    def _existing(self, item_id: str, op: str) -> FactItem:
        item = self.get(item_id)
        if item is None:
            raise StoreError(f"facts: cannot {op} unknown item id {item_id!r}")
        if item.state != Lifecycle.active:
            raise StoreError(f"facts: cannot {op} item {item_id!r}: it is {item.state.value}")
        return item

    def update(self, item_id: str, content: str, *, span_id: str | None = None, skill: str | None = None, reason: str = "") -> FactItem:
        """Replace an active item's content, appending an UPDATE revision."""
        if not content.strip():
            raise StoreError(f"facts: cannot update {item_id!r} to empty content")

        def change(item: FactItem) -> None:
            now = time.time()
            item.content, item.updated_at = content.strip(), now
            item.history.append(FactRevision(op=FactOp.UPDATE, content=item.content, span_id=span_id, skill=skill, reason=reason, at=now))

        return self._mutate(item_id, "update", change)

    def delete(self, item_id: str, *, span_id: str | None = None, skill: str | None = None, reason: str = "") -> FactItem:
        """Retire an active item (out of recall), appending a DELETE revision; its history stays."""

        def change(item: FactItem) -> None:
            now = time.time()
            item.state, item.updated_at = Lifecycle.retired, now
            item.history.append(FactRevision(op=FactOp.DELETE, content=item.content, span_id=span_id, skill=skill, reason=reason, at=now))

        return self._mutate(item_id, "delete", change)

    # ------------------------------------------------------------------ Store protocol
    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        return [i.to_record() for i in self.items(namespace, include_inactive)]

    def get_record(self, item_id: str) -> MemoryRecord | None:
        item = self.get(item_id)
        return item.to_record() if item else None

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        """Hybrid search over active items (in ``namespace`` when given); scores min-max normalised."""
        self._ensure_index()
        hits = minmax(self.hybrid.search(query, k=k, where={"namespace": namespace} if namespace else None))
        out = []
        for h in hits:
            item = self.get(h.id)
            if item is not None and item.state == Lifecycle.active:
                out.append(Recalled(record=item.to_record(), score=h.score, tokens=approx_tokens(item.content), reasons=["hybrid"]))
        return out

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        self._mutate(item_id, "record use of", lambda item: item.usage.record(reward, success), active_only=False)

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        def change(item: FactItem) -> None:
            item.state, item.updated_at = state, time.time()

        self._mutate(item_id, "set the state of", change, active_only=False)
