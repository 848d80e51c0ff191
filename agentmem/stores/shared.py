"""A store every namespace shares (the skill library), seen from one namespace."""

from __future__ import annotations

from typing import Any


class SharedStore:
    """A store whose items every namespace shares (the skill library), seen from one namespace.

    Search results are re-labelled with the namespace asked for, so unified recall, which keeps
    only items of the caller's namespace, keeps them too. Skills pinned to another namespace
    (``metadata.namespace``) are already filtered out by the library itself.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self.name = store.name
        self.root = store.root

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.store, attr)

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Any]:
        hits = self.store.search(query, k=k, namespace=namespace)
        if namespace is None:
            return hits
        return [h.model_copy(update={"record": h.record.model_copy(update={"namespace": namespace})}) for h in hits]

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[Any]:
        recs = self.store.records(namespace, include_inactive)
        return recs if namespace is None else [r.model_copy(update={"namespace": namespace}) for r in recs]

    def get_record(self, item_id: str) -> Any:
        return self.store.get_record(item_id)

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        self.store.record_use(item_id, reward, success)

    def set_state(self, item_id: str, state: Any) -> None:
        self.store.set_state(item_id, state)
