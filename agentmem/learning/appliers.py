"""Edit appliers: how each store validates and applies the edits meant for it.

An :class:`EditApplier` knows one kind of store: which edit kinds it accepts, what makes an
edit invalid for that store (unknown target, duplicate, wrong state) and how to write it. The
controller looks appliers up in an :class:`ApplierRegistry` by ``(store name, edit kind)``;
:class:`LifecycleApplier` handles ``update_utility``, ``retire_item``, ``activate_item`` and ``quarantine_item`` for
*any* :class:`~agentmem.stores.base.Store` through the protocol's ``record_use``/``set_state``,
so a new store needs an applier only for the edits that create or revise its items.

Example (a store helper plugging in)::

    class BehaviorApplier:
        kinds = frozenset({"add_behavior"})
        def check(self, edit, store): ...      # -> list of problems
        def apply(self, edit, store, *, state): ...  # -> list of item ids written
    registry.register("behaviors", BehaviorApplier())
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError
from ..types import Lifecycle
from .edits import ADD_KINDS


@runtime_checkable
class EditApplier(Protocol):
    """Validates and applies the edits of one store type."""

    kinds: frozenset[str]

    def check(self, edit: Any, store: Any, /) -> list[str]:
        """Problems that make ``edit`` invalid for ``store`` right now (empty = valid)."""
        ...

    def apply(self, edit: Any, store: Any, /, *, state: Lifecycle) -> list[str]:
        """Write ``edit`` into ``store`` (new items in lifecycle ``state``); return the item ids written."""
        ...


def _exists(store: Any, item_id: str) -> Any:
    try:
        return store.get_record(item_id)
    except Exception:  # noqa: BLE001 - a store that cannot find the id may raise its own error
        return None


class LifecycleApplier:
    """Credit, retirement and activation for any store, through the ``Store`` protocol."""

    kinds = frozenset({"update_utility", "retire_item", "activate_item", "quarantine_item"})

    def check(self, edit: Any, store: Any) -> list[str]:
        rec = _exists(store, edit.item_id)
        if rec is None:
            return [f"{edit.store}/{edit.item_id}: no such item"]
        if edit.kind == "retire_item" and rec.state == Lifecycle.retired:
            return [f"{edit.store}/{edit.item_id}: already retired"]
        if edit.kind == "activate_item" and rec.state == Lifecycle.active:
            return [f"{edit.store}/{edit.item_id}: already active"]
        if edit.kind == "quarantine_item" and rec.state == Lifecycle.quarantined:
            return [f"{edit.store}/{edit.item_id}: already quarantined"]
        return []

    def apply(self, edit: Any, store: Any, *, state: Lifecycle) -> list[str]:
        if edit.kind == "update_utility":
            store.record_use(edit.item_id, edit.reward, edit.success)
        elif edit.kind == "retire_item":
            store.set_state(edit.item_id, Lifecycle.retired)
        elif edit.kind == "activate_item":
            store.set_state(edit.item_id, Lifecycle.active)
        elif edit.kind == "quarantine_item":
            store.set_state(edit.item_id, Lifecycle.quarantined)
        else:  # pragma: no cover - guarded by kinds
            raise ConfigError(f"LifecycleApplier cannot apply {edit.kind!r}")
        return [edit.item_id]


class ApplierRegistry:
    """``(store name, edit kind) -> EditApplier``; lifecycle edits fall back to :class:`LifecycleApplier`."""

    def __init__(self) -> None:
        self._by_store: dict[str, list[EditApplier]] = {}
        self.lifecycle = LifecycleApplier()

    def register(self, store: str, applier: EditApplier) -> "ApplierRegistry":
        if not isinstance(applier, EditApplier):
            raise ConfigError(f"applier {applier!r} for store {store!r} lacks kinds/check/apply")
        self._by_store.setdefault(store, []).insert(0, applier)
        return self

    def find(self, store: str, kind: str) -> EditApplier | None:
        for applier in self._by_store.get(store, []):
            if kind in applier.kinds:
                return applier
        if kind in self.lifecycle.kinds:
            return self.lifecycle
        return None

    def kinds_for(self, store: str) -> set[str]:
        out = set(self.lifecycle.kinds)
        for a in self._by_store.get(store, []):
            out |= set(a.kinds)
        return out


def is_add(kind: str) -> bool:
    return kind in ADD_KINDS
