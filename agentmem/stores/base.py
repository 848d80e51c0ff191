"""What every store (skills, behaviors, concepts, subroutines, facts) offers the rest of agentmem.

A store keeps its items as readable files under ``root`` (the files are the truth; indexes are
rebuildable caches). Unified recall reads :meth:`Store.records` and :meth:`Store.search`; the
reflective controller applies typed edits through each store's own methods, credits items
through :meth:`Store.record_use` and retires them through :meth:`Store.set_state`; snapshots
copy ``root``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ..types import Lifecycle, MemoryRecord, Recalled


@runtime_checkable
class Store(Protocol):
    """A store of memory items kept as files under ``root`` (see the module docstring); pass your own to ``Memory``."""

    name: str
    root: Path

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        """All items (active only unless ``include_inactive``), optionally in one namespace."""
        ...

    def get_record(self, item_id: str) -> MemoryRecord | None: ...

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        """Hybrid search over active items; scores normalised to [0, 1]."""
        ...

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        """Update the item's usage statistics after a task in which it was in context."""
        ...

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        """Move an item through its lifecycle (active, quarantined, retired)."""
        ...
