"""``agentmem memory list|show|search|seed|reindex STORE ...``: inspect the memory stores.

Stores are opened through :data:`STORES`, a registry of ``name -> constructor(settings)``;
another slice adds its store with :func:`register_store`. The group object
:data:`memory_app` is public so that other modules can add commands to the same
``agentmem memory`` group (e.g. ``why``, ``snapshot``, ``diff``, ``rollback``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from ..errors import ConfigError
from ._common import console, emit_json, guarded, state

if TYPE_CHECKING:
    from ..settings import Settings
    from ..stores.base import Store

memory_app = typer.Typer(help="Inspect the memory stores: behaviors, concepts, subroutines.", no_args_is_help=True)


def _behaviors(settings: "Settings") -> Any:
    from ..stores.behaviors import BehaviorHandbook

    return BehaviorHandbook(settings)


def _concepts(settings: "Settings") -> Any:
    from ..stores.concepts import ConceptMemory

    return ConceptMemory(settings)


def _subroutines(settings: "Settings") -> Any:
    from ..stores.subroutines import SubroutineStore

    return SubroutineStore(settings)


STORES: dict[str, Callable[["Settings"], "Store"]] = {"behaviors": _behaviors, "concepts": _concepts, "subroutines": _subroutines}


def register_store(name: str, factory: Callable[["Settings"], "Store"]) -> None:
    """Make ``agentmem memory ... <name>`` open a store built by ``factory(settings)``."""
    STORES[name] = factory


def open_store(settings: "Settings", name: str) -> "Store":
    """The store called ``name`` (built in, registered, or an ``agentmem.stores`` entry-point
    plugin); :class:`ConfigError` listing the known names otherwise."""
    if name not in STORES:
        from ..plugins import available, create

        plugins = {p.name for p in available("stores")}
        if name in plugins:
            return create("stores", name, settings.ensure_home())
        raise ConfigError(f"unknown store {name!r}; known stores: {', '.join(sorted(set(STORES) | plugins))}")
    return STORES[name](settings.ensure_home())


def _short(text: str, n: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


@memory_app.command("list")
@guarded
def list_items(
    ctx: typer.Context,
    store: str = typer.Argument(..., help="Store name: " + ", ".join(STORES)),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Only this namespace (user/agent[/run])."),
    include_inactive: bool = typer.Option(False, "--all", help="Include retired and quarantined items."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many items."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many items first."),
) -> None:
    """List the items of STORE."""
    st = open_store(state(ctx).settings(), store)
    if hasattr(st, "page"):
        recs = st.page(offset, limit, namespace, include_inactive)  # pyright: ignore[reportAttributeAccessIssue]  # optional store method, checked by hasattr
    else:
        recs = st.records(namespace, include_inactive)[offset : offset + limit]
    if state(ctx).json:
        emit_json([r.model_dump(mode="json") for r in recs])
        return
    from rich.table import Table

    table = Table(title=f"{store} ({len(recs)} shown)")
    for col in ("id", "state", "namespace", "text"):
        table.add_column(col, overflow="fold")
    for r in recs:
        table.add_row(r.id, r.state.value, r.namespace, _short(r.text))
    console().print(table)


@memory_app.command("show")
@guarded
def show(ctx: typer.Context, store: str = typer.Argument(..., help="Store name."), item_id: str = typer.Argument(..., help="Item id (behavior name, concept name or lesson id, sr-<row>).")) -> None:
    """Show everything about one item of STORE."""
    st = open_store(state(ctx).settings(), store)
    data = st.describe(item_id) if hasattr(st, "describe") else (rec.model_dump(mode="json") if (rec := st.get_record(item_id)) else None)  # pyright: ignore[reportAttributeAccessIssue]  # optional store method, checked by hasattr
    if data is None:
        raise ConfigError(f"no item {item_id!r} in store {store!r} (try `agentmem memory list {store}`)")
    if state(ctx).json:
        emit_json(data)
        return
    import yaml

    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


@memory_app.command("search")
@guarded
def search(
    ctx: typer.Context,
    store: str = typer.Argument(..., help="Store name."),
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(5, "--k", "-k", min=1, help="Number of results."),
    namespace: str | None = typer.Option(None, "--namespace", "-n"),
) -> None:
    """Search STORE (hybrid BM25 + dense; dense only for subroutines)."""
    st = open_store(state(ctx).settings(), store)
    hits = st.search(query, k=k, namespace=namespace)
    if state(ctx).json:
        emit_json([{"id": h.record.id, "score": h.score, "text": h.record.text, "reasons": h.reasons} for h in hits])
        return
    from rich.table import Table

    table = Table(title=f"{store}: {query!r}")
    for col in ("score", "id", "text"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(f"{h.score:.3f}", h.record.id, _short(h.record.text, 120))
    console().print(table)


@memory_app.command("seed")
@guarded
def seed(ctx: typer.Context, store: str = typer.Argument(..., help="behaviors or concepts")) -> None:
    """Add the starter items shipped with agentmem to STORE (existing names are left alone).

    The items go in as typed add edits (trust shipped, proposer ``user:seed``) through the
    reflective controller, so they are journaled and audited (``agentmem memory audit``)."""
    from ..learning.controller import ControllerConfig, ReflectiveController
    from ..learning.edits import EditLimits
    from ..learning.gate import AdmissionPolicy, MemoryMode
    from ..learning.seed import seed_edits
    from ..learning.wiring import open_memory

    settings = state(ctx).settings().ensure_home()
    if store not in ("behaviors", "concepts"):
        open_store(settings, store)  # an unknown store name fails here, naming the choices
        raise ConfigError(f"store {store!r} has no shipped seed data")
    mem, registry = open_memory(settings, plugins=[(store, f"agentmem.learning.store_appliers:open_{store}")])
    st = mem.stores[store]
    edits, rep = seed_edits(store, st)
    if edits:
        ctl = ReflectiveController(mem, settings.home, registry=registry, config=ControllerConfig(
            mode=MemoryMode.frozen, policy=AdmissionPolicy(max_adds_per_run=len(edits)), limits=EditLimits(max_edits_per_run=max(20, len(edits)))))
        applied = ctl.apply(edits)
        for a in applied.applied:
            rep.added.extend(a.item_ids)
        for r in applied.refused:
            rep.skip(r.item_id or r.kind, r.reason)
    if state(ctx).json:
        emit_json(rep.model_dump(mode="json"))
    else:
        typer.echo(f"added {len(rep.added)}: {', '.join(rep.added) or '-'}; skipped {len(rep.skipped)}")


@memory_app.command("reindex")
@guarded
def reindex(ctx: typer.Context, store: str = typer.Argument("subroutines", help="Store to re-embed (subroutines).")) -> None:
    """Rebuild STORE's vector index from its files (after changing the embedder)."""
    st = open_store(state(ctx).settings(), store)
    if not hasattr(st, "reindex"):
        raise ConfigError(f"store {store!r} rebuilds its index by itself on first search; nothing to do")
    n = st.reindex()  # pyright: ignore[reportAttributeAccessIssue]  # optional store method, checked by hasattr
    if state(ctx).json:
        emit_json({"store": store, "rows": n})
    else:
        typer.echo(f"{store}: re-embedded {n} items")


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")
