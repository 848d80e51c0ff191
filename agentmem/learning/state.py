"""The memory state: every store's root folder, as one unit that can be snapshotted, diffed and rolled back.

A :class:`MemoryState` names the stores a controller writes (live :class:`~agentmem.stores.base.Store`
objects where available, plain root folders otherwise). :meth:`MemoryState.from_settings` finds
the roots of a home folder (``<home>/skills`` and every folder under ``<home>/stores``), which is
all snapshot, diff and rollback need; applying edits needs the live stores.

Example::

    state = MemoryState.from_settings(settings, stores=[behaviors, skills])
    state.roots()        # {'behaviors': PosixPath('.../stores/behaviors'), 'skills': ...}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..settings import Settings
    from ..stores.base import Store

#: Opens a store of the same kind on another root (used by ``--dry-run`` to work on a copy).
StoreOpener = Callable[[Path], Any]

#: Files and folders never part of a store's state (temp files of atomic writes, caches).
IGNORED_NAMES = frozenset({"__pycache__", ".DS_Store"})


def ignored(rel_parts: tuple[str, ...]) -> bool:
    """True for paths that are not state: temp files of atomic writes, lock files, caches."""
    name = rel_parts[-1]
    return any(p in IGNORED_NAMES for p in rel_parts) or (name.startswith(".") and name.endswith(".tmp")) or name.endswith(".lock")


class MemoryState:
    """The stores of one home, by name: live objects and/or root folders."""

    def __init__(self, stores: Iterable["Store"] = (), roots: dict[str, Path] | None = None, openers: dict[str, StoreOpener] | None = None) -> None:
        self.stores: dict[str, Any] = {}
        self._roots: dict[str, Path] = {}
        self.openers: dict[str, StoreOpener] = dict(openers or {})
        for name, root in (roots or {}).items():
            self._roots[name] = Path(root)
        for store in stores:
            self.add(store)

    def add(self, store: "Store", opener: StoreOpener | None = None) -> None:
        """Register a live store (its ``name`` and ``root``); ``opener`` re-opens it on a copy for dry runs."""
        name = getattr(store, "name", None)
        root = getattr(store, "root", None)
        if not name or root is None:
            raise ConfigError(f"store {store!r} must have a 'name' and a 'root' folder to join the memory state")
        if name in self._roots and Path(root).resolve() != self._roots[name].resolve():
            raise ConfigError(f"store name {name!r} is used twice (roots {self._roots[name]} and {root})")
        self.stores[name] = store
        self._roots[name] = Path(root)
        if opener is not None:
            self.openers[name] = opener

    def roots(self) -> dict[str, Path]:
        return dict(sorted(self._roots.items()))

    def store(self, name: str) -> Any:
        """The live store called ``name``; :class:`ConfigError` listing the known ones if absent."""
        if name not in self.stores:
            raise ConfigError(f"no store named {name!r} in this memory state (live stores: {sorted(self.stores) or 'none'})")
        return self.stores[name]

    def reload(self) -> None:
        """After the files changed behind the stores' backs (rollback, recovery): call each live
        store's ``reload()``; a store without one is re-opened on its root through its opener
        (so hold stores through ``state.stores``, not private references)."""
        for name, store in list(self.stores.items()):
            fn = getattr(store, "reload", None)
            if callable(fn):
                fn()
            elif name in self.openers:
                self.stores[name] = self.openers[name](Path(store.root))

    @classmethod
    def from_settings(cls, settings: "Settings", stores: Iterable["Store"] = (), openers: dict[str, StoreOpener] | None = None) -> "MemoryState":
        """Roots of the home's stores: ``<home>/skills`` plus each folder in ``<home>/stores``, plus ``stores``."""
        paths = settings.paths
        roots: dict[str, Path] = {"skills": paths.skills}
        if paths.stores.is_dir():
            for d in sorted(paths.stores.iterdir()):
                if d.is_dir() and not d.name.startswith("."):
                    # a store's sidecar folder may share its name with a root elsewhere
                    # (skills: <home>/skills plus <home>/stores/skills/usage.json)
                    roots[d.name if d.name not in roots else f"stores/{d.name}"] = d
        state = cls(roots=roots, openers=openers)
        for s in stores:
            # A live store replaces the discovered root of the same name (a sidecar folder
            # discovered under that name moves to "stores/<name>").
            name = getattr(s, "name", "")
            old = state._roots.pop(name, None)
            if old is not None and Path(getattr(s, "root", old)).resolve() != old.resolve():
                state._roots[f"stores/{name}"] = old
            state.add(s)
        return state
