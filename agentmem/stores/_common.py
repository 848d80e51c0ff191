"""Helpers shared by the experience stores (behaviors, concepts, subroutines).

* :func:`approx_tokens` - the 4-characters-per-token estimate used for prompt budgets.
* :class:`UsageBook` - per-item :class:`~agentmem.types.UsageStats` kept in a JSON sidecar
  (statistics change after every task; keeping them out of the item files keeps the files'
  history about content only, as PAPERS.md section 1 suggests).
* :class:`AddReport` - what a batch write did: items added, merged, and skipped with reasons.
* :func:`wiring` - embedder and vector index from settings unless given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..fileio import FileHistory, atomic_write_json, read_json
from ..types import Lifecycle, MemoryRecord, Recalled, UsageStats
from ..tokens import approx_tokens  # noqa: F401 (re-exported: the one token estimate)

if TYPE_CHECKING:
    from ..retrieval.base import Embedder, VectorIndex
    from ..settings import Settings


class Skip(BaseModel):
    """One proposed item that was not written, and why."""

    item: str
    reason: str


class AddReport(BaseModel):
    """Outcome of a batch write: ids added, ids merged into, and reported skips."""

    added: list[str] = Field(default_factory=list)
    merged: list[str] = Field(default_factory=list)
    skipped: list[Skip] = Field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append(Skip(item=item, reason=reason))


class UsageBook:
    """Usage statistics per item id in ``<root>/usage.json`` (atomic rewrite, versioned)."""

    #: versions of usage.json kept in history (older ones are pruned, so growth stays linear)
    HISTORY_KEEP = 20

    def __init__(self, root: Path) -> None:
        self.path = root / "usage.json"
        self.history = FileHistory(root)

    def all(self) -> dict[str, UsageStats]:
        """Every item's statistics; raises :class:`~agentmem.errors.StoreError` naming the file
        when it is not a JSON object of statistics (nothing is written over it then)."""
        from pydantic import ValidationError

        from ..errors import StoreError

        try:
            raw = read_json(self.path, {}) or {}
        except (ValueError, OSError) as exc:
            raise StoreError(f"{self.path}: not readable JSON ({str(exc)[:200]})") from None
        if not isinstance(raw, dict):
            raise StoreError(f"{self.path}: expected an object of item id -> statistics, found {type(raw).__name__}")
        try:
            return {k: UsageStats.model_validate(v) for k, v in raw.items()}
        except ValidationError as exc:
            raise StoreError(f"{self.path}: invalid statistics ({exc.error_count()} errors, first: {exc.errors()[0]['msg']})") from None

    def get(self, item_id: str) -> UsageStats:
        return self.all().get(item_id, UsageStats())

    def record(self, item_id: str, reward: float, success: bool) -> UsageStats:
        """Add one outcome (caller holds the home lock); return the updated stats."""
        book = self.all()
        stats = book.get(item_id, UsageStats())
        stats.record(reward, success)
        stats.utility = stats.mean_reward
        book[item_id] = stats
        if self.path.exists():
            v = self.history.save("usage.json", self.path.read_bytes(), note=f"before record_use({item_id})")
            if v % 10 == 0:
                self.history.prune("usage.json", self.HISTORY_KEEP)
        atomic_write_json(self.path, {k: v.model_dump(mode="json") for k, v in sorted(book.items())})
        return stats


def wiring(settings: "Settings", embedder: "Embedder | None", index: "VectorIndex | None") -> tuple["Embedder", "VectorIndex"]:
    """The embedder and vector index a store uses: the given ones, else the factory's."""
    from ..errors import ConfigError
    from ..retrieval.factory import make_embedder, make_index

    if index is None:
        try:
            index = make_index(settings)
        except ImportError as exc:
            raise ConfigError(
                f"vector index backend {settings.index.backend!r} is not available ({exc}); "
                "set index.backend = 'memory' (AGENTMEM_INDEX__BACKEND=memory) or install it"
            ) from exc
    return embedder or make_embedder(settings), index


def now() -> float:
    return time.time()


def clip01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)


def dump_yaml(data: dict[str, Any]) -> str:
    """Readable, stable YAML (keys in model order, unicode kept, long lines unwrapped)."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)


def rebuild_in_place(index: Any, collection: str, hx: Any, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Make ``collection`` hold exactly ``rows`` without dropping it: upsert every row, then
    delete the ids no row has. Another process searching the same (shared, on-disk) collection
    keeps working throughout; an index that cannot list its ids is process-local, so dropping
    it there is safe."""
    ids_of = getattr(index, "ids", None)
    if ids_of is None:
        index.drop(collection)
    if rows:
        hx.upsert([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    if ids_of is not None:
        keep = {r[0] for r in rows}
        stale = [i for i in ids_of(collection) if i not in keep]
        if stale:
            index.delete(collection, stale)


class LazyHybrid:
    """A :class:`~agentmem.retrieval.hybrid.HybridIndex` over a small store, opened on first use.

    The store's files are the truth and the indexes are persistent caches (Chroma + the persistent
    lexical index of :func:`~agentmem.retrieval.factory.make_lexical`): the first search in a process
    syncs them with ``loader()`` (:meth:`HybridIndex.sync`: only rows whose text or metadata
    changed are re-embedded and re-indexed, usually none); later writes upsert or delete single
    items. No collection is dropped, so processes sharing a home never erase each other's index.
    """

    def __init__(self, collection: str, settings: "Settings", embedder: "Embedder | None", index: "VectorIndex | None", loader: Any) -> None:
        self.collection = collection
        self.settings = settings
        self._embedder = embedder
        self._index = index
        self.loader = loader
        self._hx: Any = None

    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            self._embedder, self._index = wiring(self.settings, self._embedder, self._index)
        return self._embedder

    def hybrid(self) -> Any:
        if self._hx is None:
            from ..retrieval.factory import make_lexical
            from ..retrieval.hybrid import HybridIndex

            emb, idx = wiring(self.settings, self._embedder, self._index)
            self._embedder, self._index = emb, idx
            hx = HybridIndex(self.collection, emb, idx, rrf_k=self.settings.recall.rrf_k, lexical=make_lexical(self.settings, self.collection))
            hx.sync([(r[0], r[1], r[2]) for r in self.loader()])
            self._hx = hx
        return self._hx

    def search_active(self, query: str, k: int, namespace: str | None, lookup: Callable[[str], Any], to_record: Callable[[Any], MemoryRecord]) -> list[Recalled]:
        """Hybrid hits for ``query`` whose item (``lookup(id)``) exists and is active, as
        :class:`Recalled` with scores scaled so the top hit is 1."""
        hits = self.hybrid().search(query, k=k, where={"namespace": namespace} if namespace else None)
        top = max((h.score for h in hits), default=0.0)
        out = []
        for h in hits:
            item = lookup(h.id)
            if item is None or item.state != Lifecycle.active:
                continue
            rec = to_record(item)
            out.append(Recalled(record=rec, score=clip01(h.score / top if top > 0 else 0.0), tokens=approx_tokens(rec.text), reasons=["hybrid search (BM25 + dense, RRF)"]))
        return out

    def upsert(self, item_id: str, text: str, meta: dict[str, Any]) -> None:
        if self._hx is not None:
            self._hx.upsert([item_id], [text], [meta])

    def delete(self, item_id: str) -> None:
        if self._hx is not None:
            self._hx.delete([item_id])

    def reset(self) -> None:
        self._hx = None
