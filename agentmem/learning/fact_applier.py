"""The edit applier of the fact store: ``add_item`` edits become fact items.

:class:`FactApplier` lets the :class:`~agentmem.learning.engine.EditEngine` write into a
:class:`~agentmem.stores.facts.FactStore`, so a fact remembered through the memory service
goes through validation, the journal, the audit log and provenance like any learned edit.

The fact's namespace is ``edit.metadata["namespace"]`` (the store's default namespace when
absent); its id is the edit's ``item_id`` (``id_hint``, else the slug of the title), so a caller
that sets ``id_hint`` knows the id before the edit is applied. Credit, retirement and
activation go through the generic :class:`~agentmem.learning.appliers.LifecycleApplier`.

Example::

    registry.register("facts", FactApplier())
    engine.apply([AddItem(store="facts", title="window seats", text="Alice prefers window seats",
                          id_hint="f_123", metadata={"namespace": "alice/default"})])
"""

from __future__ import annotations

from typing import Any

from ..types import Lifecycle, Namespace


class FactApplier:
    """``add_item`` for :class:`~agentmem.stores.facts.FactStore` (see the module docstring)."""

    kinds = frozenset({"add_item"})

    def check(self, edit: Any, store: Any) -> list[str]:
        problems = []
        if store.get(edit.item_id) is not None:
            problems.append(f"{edit.store}/{edit.item_id}: duplicate id (an item with this id exists)")
        ns = edit.metadata.get("namespace")
        if ns is not None:
            try:
                Namespace.parse(str(ns))
            except ValueError as exc:
                problems.append(f"{edit.store}/{edit.item_id}: metadata.namespace: {exc}")
        if not edit.text.strip():
            problems.append(f"{edit.store}/{edit.item_id}: text is empty")
        return problems

    def apply(self, edit: Any, store: Any, *, state: Lifecycle) -> list[str]:
        ns = edit.metadata.get("namespace")
        prov = edit.provenance.model_copy(update={"edit_id": edit.edit_id, "note": (edit.reason or edit.provenance.note)[:300]})
        item = store.insert(edit.text, namespace=Namespace.parse(str(ns)).key() if ns else None, provenance=prov, item_id=edit.item_id, reason=edit.reason)
        if state != Lifecycle.active:
            store.set_state(item.id, state)
        return [item.id]


__all__ = ["FactApplier"]
