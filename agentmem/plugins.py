"""Third-party extensions found through Python entry points.

A package registers its own stores, environments, learners (edit proposers), embedders and
LLMs in its ``pyproject.toml``::

    [project.entry-points."agentmem.environments"]
    gridworld = "my_pkg.envs:GridWorld"

    [project.entry-points."agentmem.stores"]
    recipes = "my_pkg.stores:RecipeStore"

Once the package is installed, ``agentmem plugins list`` shows them and code can load them by
name::

    from agentmem import plugins
    GridWorld = plugins.load("environments", "gridworld")
    env = GridWorld()

Calling convention: the CLI builds a store, embedder, LLM or learner plugin by calling the
registered object with the :class:`~agentmem.settings.Settings` (``factory(settings)``), e.g.
``agentmem serve --mcp --store recipes``; environments are called with no arguments.

Nothing is imported until :func:`load` is called; a plugin that fails to import raises a
:class:`~agentmem.errors.ConfigError` naming the entry point, and never stops discovery of the
others. Every object accepted by agentmem's constructors is a protocol, so a plugin needs no
base class: it only has to follow :class:`~agentmem.stores.base.Store`,
:class:`~agentmem.environment.Environment`, :class:`~agentmem.retrieval.base.Embedder`
or :class:`~agentmem.llm.base.LLM`.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel

from .errors import ConfigError

KINDS: dict[str, str] = {
    "stores": "agentmem.stores",
    "environments": "agentmem.environments",
    "learners": "agentmem.learners",
    "embedders": "agentmem.embedders",
    "llms": "agentmem.llms",
}
"""Plugin kind -> entry-point group."""


class PluginInfo(BaseModel):
    """One registered plugin (not loaded)."""

    kind: str
    name: str
    target: str
    distribution: str | None = None
    version: str | None = None


def _group(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"plugin kind {kind!r}: expected one of {', '.join(KINDS)}")
    return KINDS[kind]


def _entry_points(kind: str) -> list[EntryPoint]:
    eps = entry_points(group=_group(kind))
    seen: dict[str, EntryPoint] = {}
    for ep in eps:  # the first distribution on sys.path wins, like imports
        seen.setdefault(ep.name, ep)
    return sorted(seen.values(), key=lambda e: e.name)


def available(kind: str | None = None) -> list[PluginInfo]:
    """Registered plugins of one kind (or all kinds), without importing them."""
    out = []
    for k in [kind] if kind else list(KINDS):
        for ep in _entry_points(k):
            dist = getattr(ep, "dist", None)
            out.append(PluginInfo(kind=k, name=ep.name, target=ep.value, distribution=getattr(dist, "name", None), version=getattr(dist, "version", None)))
    return out


def load(kind: str, name: str) -> Any:
    """Import and return the object registered as ``name`` in ``kind`` (a class or a factory)."""
    eps = {ep.name: ep for ep in _entry_points(kind)}
    if name not in eps:
        known = ", ".join(eps) or "none installed"
        raise ConfigError(f"no {kind[:-1]} plugin named {name!r} (group {KINDS[kind]}; known: {known})")
    ep = eps[name]
    try:
        return ep.load()
    except Exception as exc:  # a broken third-party package must not look like our bug
        raise ConfigError(f"plugin {name!r} ({KINDS[kind]} = {ep.value}) failed to load: {type(exc).__name__}: {exc}") from exc


def create(kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """:func:`load` the plugin and call it with the arguments (its constructor or factory)."""
    factory = load(kind, name)
    if not callable(factory):
        raise ConfigError(f"plugin {name!r} ({KINDS[kind]}) is not callable; register a class or a factory function")
    return factory(*args, **kwargs)


__all__ = ["KINDS", "PluginInfo", "available", "create", "load"]
