"""A generic store over :class:`~agentmem.types.MemoryRecord` with hybrid search and namespaces.

:class:`IndexedStore` implements the :class:`~agentmem.stores.base.Store` protocol in memory:
records, lifecycle states, usage statistics and a :class:`~agentmem.retrieval.hybrid.HybridIndex`
(BM25 + dense, RRF) over the active records. Every read is scoped to one namespace (exact
match of ``MemoryRecord.namespace``, e.g. ``"alice/agent"``): a query in one namespace never
returns another's items. :class:`InMemoryStore` is the plain, non-persistent version (tests,
scratch memory, benchmarks); :class:`~agentmem.stores.conversation.ConversationStore` adds files.

Example::

    store = InMemoryStore("notes", embedder, InMemoryIndex())
    store.add([MemoryRecord(id="n1", store="notes", text="the key is under the mat", namespace="alice/default")])
    store.search("where is the key", k=3, namespace="alice/default")
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..retrieval.base import Embedder, VectorIndex
from ..retrieval.fusion import minmax
from ..retrieval.hybrid import HybridIndex
from ..types import Lifecycle, MemoryRecord, Namespace, Recalled, UsageStats
from ..tokens import approx_tokens  # noqa: F401 (re-exported: the one token estimate)


def namespace_key(namespace: str | None, default: str = "default") -> str:
    """Canonical ``user/agent[/run]`` key; raises :class:`StoreError` naming the bad namespace."""
    try:
        return Namespace.parse(namespace if namespace is not None else default).key()
    except ValueError as exc:
        raise StoreError(str(exc)) from exc


class IndexedStore:
    """In-memory records with hybrid search; subclasses persist them."""

    def __init__(self, name: str, embedder: Embedder, index: VectorIndex, root: str | Path | None = None, rrf_k: int = 60) -> None:
        self.name = name
        self.root = Path(root) if root is not None else Path(f"<memory:{name}>")
        self._records: dict[str, MemoryRecord] = {}
        self._usage: dict[str, UsageStats] = {}
        self._hybrid = HybridIndex(f"store-{name}", embedder, index, rrf_k=rrf_k)

    def __len__(self) -> int:
        return len(self._records)

    def _index(self, records: list[MemoryRecord]) -> None:
        active = [r for r in records if r.state == Lifecycle.active]
        if active:
            self._hybrid.upsert([r.id for r in active], [r.text for r in active], [{"namespace": r.namespace, "store": self.name} for r in active])
        gone = [r.id for r in records if r.state != Lifecycle.active]
        if gone:
            self._hybrid.delete(gone)

    def add(self, records: Iterable[MemoryRecord]) -> list[str]:
        """Add or replace records (their namespace is canonicalised); returns their ids."""
        batch = []
        for r in records:
            if not r.text.strip():
                raise StoreError(f"store {self.name!r}: record {r.id!r} has empty text")
            r = r.model_copy(update={"store": self.name, "namespace": namespace_key(r.namespace)})
            self._records[r.id] = r
            batch.append(r)
        self._index(batch)
        return [r.id for r in batch]

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        ns = namespace_key(namespace) if namespace is not None else None
        return [r for r in self._records.values() if (include_inactive or r.state == Lifecycle.active) and (ns is None or r.namespace == ns)]

    def namespaces(self) -> list[str]:
        return sorted({r.namespace for r in self._records.values()})

    def get_record(self, item_id: str) -> MemoryRecord | None:
        return self._records.get(item_id)

    def search(self, query: str, k: int = 10, namespace: str | None = None, mode: str = "hybrid") -> list[Recalled]:
        """Hybrid search within one namespace (the default namespace when None); scores min-max scaled to [0, 1]."""
        ns = namespace_key(namespace)
        if not query.strip() or k <= 0 or not self._records:
            return []
        hits = minmax(self._hybrid.search(query, k=k, where={"namespace": ns}, mode=mode))
        out = []
        for h in hits:
            rec = self._records.get(h.id)
            if rec is not None and rec.state == Lifecycle.active and rec.namespace == ns:
                out.append(Recalled(record=rec, score=h.score, tokens=approx_tokens(rec.text), reasons=[f"{self.name}:{mode}"]))
        return out

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        if item_id not in self._records:
            raise StoreError(f"store {self.name!r}: no item {item_id!r}")
        self._usage.setdefault(item_id, UsageStats()).record(reward, success)

    def usage(self, item_id: str) -> UsageStats:
        return self._usage.get(item_id, UsageStats())

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        rec = self._records.get(item_id)
        if rec is None:
            raise StoreError(f"store {self.name!r}: no item {item_id!r}")
        rec = rec.model_copy(update={"state": Lifecycle(state)})
        self._records[item_id] = rec
        self._index([rec])


class InMemoryStore(IndexedStore):
    """A non-persistent :class:`IndexedStore` (scratch memory, tests, benchmarks)."""

    def add_texts(self, texts: list[str], namespace: str | None = None, metadatas: list[dict[str, Any]] | None = None, ids: list[str] | None = None) -> list[str]:
        from ..types import new_id

        metas = metadatas or [{} for _ in texts]
        ids = ids or [new_id(f"{self.name}-") for _ in texts]
        return self.add(MemoryRecord(id=i, store=self.name, text=t, namespace=namespace or "default", metadata=m) for i, t, m in zip(ids, texts, metas, strict=True))
