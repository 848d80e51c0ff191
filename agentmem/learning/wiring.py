"""Open the live stores of a home and their edit appliers (the one place the controller is wired from settings).

:func:`open_memory` returns the :class:`~agentmem.learning.state.MemoryState` (live stores
with openers for dry runs, plus the roots of every other store folder, so snapshots cover
everything) and the :class:`~agentmem.learning.appliers.ApplierRegistry`. Stores are found
through :data:`STORE_PLUGINS`, a list of ``(store name, "module:function")`` entries whose
function takes ``settings`` and returns ``(store, applier, opener)`` or ``None``; a plugin whose
module is not installed is skipped. Store plugins registered under the ``agentmem.stores``
entry-point group (:mod:`agentmem.plugins`) are opened with ``factory(settings)``. Folders under ``<home>/stores`` laid out as a
:class:`~agentmem.learning.recordstore.RecordStore` (an ``items/`` folder) are opened as such.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .appliers import ApplierRegistry
from .recordstore import RecordApplier, RecordStore
from .state import MemoryState

#: ``(store name, "module:function")``; the function gets settings and returns ``(store, applier, opener)`` or None.
STORE_PLUGINS: list[tuple[str, str]] = [
    ("skills", "agentmem.learning.store_appliers:open_skills"),
    ("behaviors", "agentmem.learning.store_appliers:open_behaviors"),
    ("concepts", "agentmem.learning.store_appliers:open_concepts"),
    ("subroutines", "agentmem.learning.store_appliers:open_subroutines"),
    ("facts", "agentmem.learning.store_appliers:open_facts"),
]


def _load_plugin(spec: str) -> Any:
    mod, _, fn = spec.partition(":")
    try:
        module = importlib.import_module(mod)
    except ImportError:
        return None
    return getattr(module, fn, None)


def open_memory(settings: Any, plugins: list[tuple[str, str]] | None = None) -> tuple[MemoryState, ApplierRegistry]:
    """Live stores and appliers for the home of ``settings`` (see the module docstring)."""
    registry = ApplierRegistry()
    live: list[tuple[Any, Any]] = []
    names: set[str] = set()
    for name, spec in plugins if plugins is not None else STORE_PLUGINS:
        fn = _load_plugin(spec)
        got = fn(settings) if fn is not None else None
        if got is None:
            continue
        store, applier, opener = got
        live.append((store, opener))
        if applier is not None:
            registry.register(name, applier)
        names.add(name)
    from ..plugins import available, create

    for info in available("stores"):  # third-party stores registered as entry points
        if info.name in names:
            continue
        live.append((create("stores", info.name, settings), None))
        names.add(info.name)
    stores_dir = Path(settings.paths.stores)
    if stores_dir.is_dir():
        for d in sorted(stores_dir.iterdir()):
            if d.name in names or not (d / "items").is_dir():
                continue
            live.append((RecordStore(d.name, d), lambda root, _n=d.name: RecordStore(_n, root)))
            registry.register(d.name, RecordApplier())
    state = MemoryState.from_settings(settings, [s for s, _ in live])
    for store, opener in live:
        if opener is not None:
            state.openers[store.name] = opener
    return state, registry


def controller_over(stores: list[Any], home: Any, *, mode: str = "updating", write_gate: str | None = "train_labels", learners: list[Any] = (),  # type: ignore[assignment]
                    outcome_log: Any = None, recall: Any = None, renderer: Any = None, router: Any = None, context_k: int | None = None,
                    policy: Any = None, limits: Any = None) -> Any:
    """A :class:`~agentmem.learning.controller.ReflectiveController` over live ``stores`` (each with a ``root``),
    with the applier each store's type needs; stores without a root are left out (read-only scratch stores).

    The one way a hook (``Memory``, the experience hook, the evaluation hooks) gets its write path.
    """
    from .controller import ControllerConfig, ReflectiveController
    from .gate import MemoryMode, WriteGate
    from .store_appliers import applier_for

    registry = ApplierRegistry()
    rooted = [s for s in stores if getattr(s, "root", None) is not None]
    for s in rooted:
        applier = applier_for(s)
        if applier is not None:
            registry.register(s.name, applier)
    m = MemoryMode(mode)
    extra = {k: v for k, v in (("policy", policy), ("limits", limits)) if v is not None}
    cfg = ControllerConfig(mode=m, write_gate=WriteGate(write_gate) if (m == MemoryMode.updating and write_gate) else None, route_by_utility=False, context_k=context_k, **extra)
    kw: dict[str, Any] = {"renderer": renderer} if renderer is not None else {}
    return ReflectiveController(MemoryState(rooted), home, recall=recall, router=router, learners=list(learners), registry=registry, config=cfg, outcome_log=outcome_log, **kw)
