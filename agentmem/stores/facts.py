"""The fact store: memory items written by MemSkill's executor (or by hand), each with its history.

Every item is one JSON file ``<root>/items/<id>.json`` (atomic writes, one lock per store) that
holds its current content, namespace, provenance, timestamps, lifecycle state, usage
statistics and the full list of revisions: every INSERT, UPDATE and DELETE that changed it,
with the content after the change, the span it came from and the skill that decided it. A
DELETE retires the item (it leaves recall) but keeps its history, so nothing stored is lost.

Search is hybrid (BM25 + dense, RRF) through :class:`~agentmem.retrieval.hybrid.HybridIndex`.
The index is a cache of the files. In a home (:meth:`FactStore.from_settings`) it is persistent
(embedded Chroma + the persistent lexical index of :func:`~agentmem.retrieval.factory.make_lexical`) and stamped with the items folder's modification time, so
a new process opens it without reading the item files; a write updates only its item (file,
vectors, lexical row) and re-stamps the index; a stamp that no longer matches (files changed
by hand, a rollback) makes the next search diff the files against the index and re-index only
what differs. Items are read from their files one at a time as recall returns them.

Several processes may share a home. Every write takes the home's lock; an update re-reads its
item from disk under that lock first (:meth:`FactStore._mutate`), so no change made by another
process is lost; when the items folder changed since this process last looked (another process
wrote), the cached items are dropped and the next search brings the index in line. An
unreadable item file is skipped and named in :attr:`FactStore.problems`; the rest stays readable.

Example::

    store = FactStore(settings.paths.stores / "facts", embedder)
    item = store.insert("Caroline adopted a cat named Oscar", span_id="conv1:s3", skill="insert-memory")
    store.update(item.id, "Caroline adopted two cats, Oscar and Milo", span_id="conv1:s7", skill="update-memory")
    [r.record.text for r in store.search("Caroline's pets")]
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
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

    def __init__(self, root: str | Path, embedder: Embedder, index: VectorIndex | None = None, *, namespace: str = "default/default", rrf_k: int = 60,
                 lexical: Any | None = None, defer_vectors: bool = False) -> None:
        from ..retrieval.memory_index import InMemoryIndex

        self.root = Path(root)
        self.items_dir = self.root / "items"
        self.namespace = namespace
        self.embedder = embedder
        self.hybrid = HybridIndex("facts", embedder, index if index is not None else InMemoryIndex(), rrf_k=rrf_k, lexical=lexical)
        #: the lexical index persists (has a stamp): writes keep it current even before the first search
        self._persistent = hasattr(self.hybrid.lexical, "stamp") and getattr(self.hybrid.lexical, "path", None) is not None
        self._items: dict[str, FactItem] = {}
        self._all_loaded = False
        #: the items folder's stamp when :attr:`_items` was last known current (None: never looked)
        self._items_stamp: str | None = None
        #: item files that could not be read (skipped; the rest stays readable)
        self.problems: list[str] = []
        self._indexed = False
        self._index_ids: set[str] = set()
        #: times the index was diffed against every item file (a test checks writes never cause one)
        self.full_syncs = 0
        #: a write returns before its item's vector is computed, when the index can hold a row
        #: without one (the write buffer): see :class:`~agentmem.retrieval.hybrid.HybridIndex`
        self.defer_vectors = defer_vectors
        #: rows waiting for :meth:`flush_index` inside :meth:`deferred_index` (None: index every write at once)
        self._deferred: list[tuple[str, str, dict[str, Any]]] | None = None
        self._deferred_current = False

    @classmethod
    def from_settings(cls, settings: Any, *, embedder: Embedder | None = None) -> "FactStore":
        """The home's fact store (``<home>/stores/facts``) in the settings' namespace, with its embedder.

        The index is the home's: Chroma (``index.backend``) for the vectors and the persistent
        lexical index of :func:`~agentmem.retrieval.factory.make_lexical`.
        """
        from ..retrieval.factory import make_lexical
        from ..types import Namespace
        from ._common import wiring

        emb, idx = wiring(settings, embedder, None)
        return cls(settings.paths.stores / "facts", emb, idx, namespace=Namespace.parse(settings.namespace).key(),
                   rrf_k=settings.recall.rrf_k, lexical=make_lexical(settings, "facts"), defer_vectors=settings.index.defer_item_vectors)

    # ------------------------------------------------------------------ files
    @staticmethod
    def _read(f: Path) -> FactItem:
        try:
            return FactItem.model_validate(read_json(f))
        except Exception as exc:  # noqa: BLE001 - named in the error
            raise StoreError(f"{f}: not a valid fact item ({str(exc)[:200]})") from None

    def _read_tolerant(self, f: Path) -> FactItem | None:
        """The item in ``f``, or None (named in :attr:`problems`) when it cannot be read."""
        try:
            return self._read(f)
        except StoreError as exc:
            if str(exc) not in self.problems:
                self.problems.append(str(exc))
            return None

    def _check_fresh(self) -> None:
        """Drop what this process cached when the items folder changed since it last looked
        (another process wrote: atomic writes rename into the folder); the next search then
        brings the index in line (only rows that differ are touched)."""
        stamp = self._files_stamp()
        if stamp != self._items_stamp:
            if self._items_stamp is not None:
                self._items = {}
                self._all_loaded = False
                self._indexed = False
            self._items_stamp = stamp

    def _load_all(self) -> dict[str, FactItem]:
        """Every readable item (re-read when another process wrote); unreadable files are
        skipped and named in :attr:`problems`, so one bad file never hides the store."""
        self._check_fresh()
        if not self._all_loaded:
            items: dict[str, FactItem] = {}
            self.problems = []
            if self.items_dir.is_dir():
                for f in sorted(self.items_dir.glob("*.json")):
                    item = self._read_tolerant(f)
                    if item is not None:
                        items[item.id] = item
            self._items = items
            self._all_loaded = True
        return self._items

    def _mutate(self, item_id: str, op: str, change: Any, *, active_only: bool = True) -> FactItem:
        """Re-read ``item_id`` from disk under the lock, apply ``change(item)``, write it back:
        no update made by another process in between is lost."""
        with home_lock(self.root / ".write.lock"):
            f = self._path(item_id)
            item = self._read(f) if f.is_file() else None
            if item is None:
                raise StoreError(f"facts: cannot {op} unknown item id {item_id!r}")
            if active_only and item.state != Lifecycle.active:
                raise StoreError(f"facts: cannot {op} item {item_id!r}: it is {item.state.value}")
            before = (item.content, item.state, item.namespace)
            change(item)
            self._write(item, reindex=(item.content, item.state, item.namespace) != before)
        return item

    def _files_stamp(self) -> str:
        """The items folder's modification time: every atomic write (temp file + rename) changes it."""
        try:
            st = self.items_dir.stat()
        except FileNotFoundError:
            return "absent"
        return f"{st.st_mtime_ns}"

    def _path(self, item_id: str) -> Path:
        return self.items_dir / f"{safe_name(item_id)}.json"

    def _index_item(self, item: FactItem) -> None:
        if self._deferred is not None and item.state == Lifecycle.active:
            self._deferred.append((item.id, item.content, {"namespace": item.namespace}))
            self._index_ids.add(item.id)
            return
        if self._deferred is not None:
            self.flush_index()  # a retirement inside a deferred batch: index what came before it first
        if item.state == Lifecycle.active:
            self.hybrid.upsert([item.id], [item.content], [{"namespace": item.namespace}], defer_vectors=self.defer_vectors)
            self._index_ids.add(item.id)
        else:
            self.hybrid.delete([item.id])
            self._index_ids.discard(item.id)

    def _write(self, item: FactItem, *, reindex: bool = True) -> None:
        """Write one item under the lock; ``reindex=False`` (usage-only writes) leaves the index alone."""
        with self._lock():
            self._check_fresh()  # another process wrote since our last look: forget what we cached
            before = self._files_stamp() if self._persistent else None
            if reindex and not self.defer_vectors and self._deferred is None and item.state == Lifecycle.active and (self._indexed or self._persistent):
                self.hybrid.prefetch([item.content])  # in the edit engine: embedded while the journal's fsyncs run
            atomic_write_json(self._path(item.id), item.model_dump(mode="json"))
            if (self._indexed or self._persistent) and reindex:
                self._index_item(item)
            if self._persistent and self._deferred is None:
                stamp = self._plex.stamp()
                if stamp == before or (stamp is None and before == "absent" and len(self.hybrid.lexical) <= 1):
                    # the index was current before this write (or both were empty) and now holds it: still current
                    self._plex.set_stamp(self._files_stamp())
            if self._deferred is None:
                self._items[item.id] = item
            else:  # a bulk import does not keep its items in memory: they are read back on demand
                self._items.pop(item.id, None)
                self._all_loaded = False
            self._items_stamp = self._files_stamp()

    @contextlib.contextmanager
    def deferred_index(self) -> Iterator[None]:
        """Inside, new active items are written to their files only; their index rows (vectors,
        lexical row) wait for :meth:`flush_index`, which embeds them in large batches and writes
        each index once (``agentmem.bulk_import`` applies a batch of ``add_item`` edits this way).
        Leaving the context flushes. A process killed before the flush leaves the index stamp
        behind the files, so the next search re-indexes exactly the items the index lacks."""
        if self._deferred is not None:
            yield
            return
        self._ensure_index()  # the index is current (or made so) before the batch
        with home_lock(self.root / ".write.lock"):  # held for the batch: its writes skip taking it one by one
            self._deferred = []
            self._deferred_current = (not self._persistent) or self._plex.stamp() == self._files_stamp()
            try:
                yield
                self.flush_index()
            finally:
                self._deferred = None

    def _lock(self) -> Any:
        """The store's write lock; inside :meth:`deferred_index` it is already held for the batch."""
        return contextlib.nullcontext() if self._deferred is not None else home_lock(self.root / ".write.lock")

    def flush_index(self) -> int:
        """Index the rows :meth:`deferred_index` held back (one embedding call, one upsert per index);
        returns how many."""
        rows, self._deferred = (self._deferred or []), ([] if self._deferred is not None else None)
        if rows:
            with self._lock():
                self.hybrid.upsert([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
                if self._persistent and self._deferred_current:
                    self._plex.set_stamp(self._files_stamp())
        return len(rows)

    @property
    def _plex(self) -> Any:
        """The persistent lexical index (it has ``stamp``/``set_stamp``; only used when ``_persistent``)."""
        return self.hybrid.lexical

    def _ensure_index(self) -> None:
        if self._indexed:
            return
        lexical: Any = self.hybrid.lexical  # the persistent engine (stamp/set_stamp) when _persistent
        if self._persistent and lexical.stamp() == self._files_stamp() and self.hybrid.index.count(self.hybrid.collection) == len(lexical):
            self._indexed = True  # the persisted index matches the files: nothing to read
            return
        if not self._persistent:
            self._sync_all()
        else:
            with home_lock(self.root / ".write.lock"):
                stamp = self._files_stamp()
                self._sync_all()
                lexical.set_stamp(stamp)
        self._indexed = True

    def _sync_all(self) -> None:
        self._all_loaded = False
        active = [i for i in self._load_all().values() if i.state == Lifecycle.active]
        self.hybrid.sync([(i.id, i.content, {"namespace": i.namespace}) for i in active])
        self.full_syncs += 1
        self._index_ids = {i.id for i in active}

    def reload(self) -> None:
        """Forget cached items; the next search diffs the files against the index (after files
        changed on disk, e.g. a rollback)."""
        self._items = {}
        self._all_loaded = False
        self._items_stamp = None
        if self._persistent:
            self._plex.set_stamp(None)
        elif self._indexed:
            self.hybrid.delete(sorted(self._index_ids))
        self._index_ids = set()
        self._indexed = False

    # ------------------------------------------------------------------ operations
    def get(self, item_id: str) -> FactItem | None:
        self._check_fresh()
        item = self._items.get(item_id)
        if item is None and not self._all_loaded:
            f = self._path(item_id)
            if f.is_file():
                item = self._read_tolerant(f)
                if item is not None:
                    self._items[item.id] = item
        return item

    def items(self, namespace: str | None = None, include_inactive: bool = False) -> list[FactItem]:
        out = [i for i in self._load_all().values() if (include_inactive or i.state == Lifecycle.active) and (namespace is None or i.namespace == namespace)]
        return sorted(out, key=lambda i: (i.created_at, i.id))

    def insert(self, content: str, *, namespace: str | None = None, span_id: str | None = None, skill: str | None = None,
               provenance: Provenance | None = None, item_id: str | None = None, reason: str = "") -> FactItem:
        """Add a new item; its first revision is an INSERT."""
        if not content.strip():
            raise StoreError("facts: cannot insert an item with empty content")
        item_id = item_id or new_id("f_")
        now = time.time()
        item = FactItem(id=item_id, content=content.strip(), namespace=namespace or self.namespace, provenance=provenance or Provenance(source="learned"),
                        created_at=now, updated_at=now, history=[FactRevision(op=FactOp.INSERT, content=content.strip(), span_id=span_id, skill=skill, reason=reason, at=now)])
        with self._lock():  # check and write under one lock: two processes never both insert an id
            if self._path(item_id).exists() or item_id in self._items:
                raise StoreError(f"facts: item id {item_id!r} already exists")
            self._write(item)
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
        self._check_fresh()
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
