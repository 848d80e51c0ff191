"""Unified recall across every store, and outcome recording: ``Memory`` implements ``MemoryHook``.

``Memory.recall(task, budget_tokens)`` runs, for one namespace:

1. **Stage 1, per store**: each store's hybrid search (BM25 + dense fused by RRF) returns up to
   its limit (``settings.recall.store_limits[name]`` or ``candidates_per_store``) with scores
   already scaled to [0, 1] within the store; they are re-scaled here (min-max per store, so
   no store's raw score range dominates) and multiplied by the store's weight
   (``settings.recall.store_weights``, default 1.0) before any cross-store comparison.
2. **Stage 2, the proxy** (MemSifter): the top ``proxy_candidates`` of the merged list are
   reordered by a :class:`~agentmem.retrieval.proxy.base.Proxy` (the trained proxy, an LLM
   proxy, or :class:`~agentmem.retrieval.proxy.base.HybridOrder` = keep stage 1).
3. **Budget**: one token budget is filled in that order; while other stores still have items
   to place, no store takes more than ``max_store_share`` of it; leftovers are then filled
   in order. An item larger than what is left is skipped, not cut.
4. **Rendering** with ``prompts/recall_context.j2`` (sections per store).

Namespaces (``user/agent[/run]``) scope every read and write: stores match them exactly, so
a query in one namespace never returns another's items. Documented fallbacks: an empty query
or a namespace with no items yields an empty context; a missing or foreign proxy checkpoint
keeps the hybrid order (the reason is in :attr:`Memory.last_report`).

Example::

    memory = Memory([skills, behaviors, conversation], settings=settings)
    ctx = memory.recall("heat a mug and put it in the cabinet", budget_tokens=800, namespace="alice")
    print(ctx.text)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from agentmem.environment import TaskSpec
from agentmem.hooks import RecallContext
from .errors import AgentmemError, ConfigError
from .learning.outcome_log import OutcomeLog, OutcomeRow
from .retrieval.proxy.base import HybridOrder, Proxy, ProxyReport
from .settings import Settings
from .stores.base import Store
from .stores.memory_store import approx_tokens, namespace_key
from .types import Outcome, Recalled

log = logging.getLogger(__name__)

STORE_TITLES = {"skills": "Skills", "behaviors": "Behaviors", "concepts": "Concepts", "subroutines": "Reasoning subroutines", "facts": "Facts", "conversation": "Conversation"}


class RecallReport(BaseModel):
    """What the last recall did (for logs, the CLI and debugging)."""

    query: str
    namespace: str
    candidates: dict[str, int] = Field(default_factory=dict, description="Stage-1 candidates per store.")
    store_errors: dict[str, str] = Field(default_factory=dict)
    proxy: ProxyReport | None = None
    selected: dict[str, int] = Field(default_factory=dict, description="Items put in context per store.")
    tokens: int = 0
    budget_tokens: int = 0
    ms: dict[str, float] = Field(default_factory=dict)


class Memory:
    """Recall over several stores under one budget, plus outcome recording after each task."""

    def __init__(
        self,
        stores: Sequence[Store] | Mapping[str, Store],
        settings: Settings | None = None,
        proxy: Proxy | None = None,
        outcome_log: OutcomeLog | None = None,
        prompts: Any | None = None,
        namespace: str | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        items = list(stores.values()) if isinstance(stores, Mapping) else list(stores)
        self.stores: dict[str, Store] = {}
        for s in items:
            if s.name in self.stores:
                raise ConfigError(f"Memory: two stores are named {s.name!r}")
            self.stores[s.name] = s
        self.proxy: Proxy = proxy or HybridOrder()
        self.outcome_log = outcome_log
        self._prompts = prompts
        self.namespace = namespace_key(namespace or self.settings.namespace)
        self.last_report: RecallReport | None = None

    @classmethod
    def from_settings(cls, settings: Settings, stores: Sequence[Store] | Mapping[str, Store], embedder: Any | None = None, llm: Any | None = None, namespace: str | None = None) -> "Memory":
        """Wire the proxy (``settings.recall.proxy``) and the outcome log from settings around given stores."""
        mode = settings.recall.proxy
        proxy: Proxy = HybridOrder()
        if mode in ("auto", "trained"):  # the newest compatible checkpoint under <home>/checkpoints/proxy
            from .retrieval.factory import make_embedder
            from .retrieval.proxy.trained import auto_proxy

            proxy = auto_proxy(settings.paths.checkpoints / "proxy", lambda: embedder or make_embedder(settings), required=mode == "trained")
        elif mode == "llm":
            if llm is None:
                raise ConfigError("settings.recall.proxy = 'llm' needs an LLM: Memory.from_settings(settings, stores, llm=...) (e.g. the proxy_model's adapter)")
            from .retrieval.proxy.llm_proxy import LLMProxy

            proxy = LLMProxy(llm)
        return cls(stores, settings=settings, proxy=proxy, outcome_log=OutcomeLog(settings.paths.home / "outcomes.sqlite"), namespace=namespace)

    @property
    def prompts(self) -> Any:
        if self._prompts is None:
            from .prompts import PromptLibrary

            self._prompts = PromptLibrary(self.settings.paths.prompts)
        return self._prompts

    # ---- read ---------------------------------------------------------------------------

    def candidates(self, query: str, namespace: str, stores: Sequence[str] | None = None) -> tuple[list[Recalled], RecallReport]:
        """Stage 1: per-store hybrid shortlists, re-scaled per store and weighted, merged best first."""
        rs = self.settings.recall
        names = list(stores) if stores is not None else list(self.stores)
        unknown = [n for n in names if n not in self.stores]
        if unknown:
            raise ConfigError(f"recall: unknown store(s) {unknown}; known: {sorted(self.stores)}")
        report = RecallReport(query=query, namespace=namespace)
        merged: list[tuple[float, int, Recalled]] = []
        for order, name in enumerate(names):
            limit = rs.store_limits.get(name, rs.candidates_per_store)
            try:
                hits = self.stores[name].search(query, k=limit, namespace=namespace)
            except AgentmemError as exc:
                report.store_errors[name] = str(exc)
                log.warning("recall: store %s failed, skipped: %s", name, exc)
                continue
            hits = [h for h in hits if h.record.namespace == namespace]  # belt and braces: never leak across namespaces
            report.candidates[name] = len(hits)
            if not hits:
                continue
            hi, lo = max(h.score for h in hits), min(h.score for h in hits)
            weight = rs.store_weights.get(name, 1.0)
            for h in hits:
                scaled = 1.0 if hi <= lo else (h.score - lo) / (hi - lo)
                merged.append((weight * scaled, order, h.model_copy(update={"score": min(1.0, max(0.0, weight * scaled)), "tokens": h.tokens or approx_tokens(h.record.text)})))
        merged.sort(key=lambda x: (-x[0], x[1]))
        return [m[2] for m in merged], report

    def recall(self, task: str | TaskSpec, budget_tokens: int | None = None, namespace: str | None = None, stores: Sequence[str] | None = None, use_proxy: bool = True) -> RecallContext:
        """Recall for ``task`` within ``budget_tokens`` (default ``settings.recall.budget_tokens``)."""
        t0 = time.perf_counter()
        query = task.instruction if isinstance(task, TaskSpec) else str(task)
        if budget_tokens is not None and budget_tokens <= 0:
            raise ConfigError(f"recall: budget_tokens must be positive, got {budget_tokens}")
        budget = budget_tokens or self.settings.recall.budget_tokens
        ns = namespace_key(namespace) if namespace is not None else self.namespace
        if not query.strip():
            self.last_report = RecallReport(query=query, namespace=ns, budget_tokens=budget)
            return RecallContext()
        shortlist, report = self.candidates(query, ns, stores)
        t1 = time.perf_counter()
        n = self.settings.recall.proxy_candidates
        head, tail = shortlist[:n], shortlist[n:]
        if use_proxy and head:
            result = self.proxy.rerank(query, head)
            head, report.proxy = result.items, result.report
        t2 = time.perf_counter()
        chosen = self._fill(head + tail, budget)
        report.budget_tokens = budget
        report.tokens = sum(r.tokens for r in chosen)
        for r in chosen:
            report.selected[r.record.store] = report.selected.get(r.record.store, 0) + 1
        text = self.render(chosen)
        report.ms = {"stage1": round(1000 * (t1 - t0), 3), "proxy": round(1000 * (t2 - t1), 3), "total": round(1000 * (time.perf_counter() - t0), 3)}
        self.last_report = report
        return RecallContext(text=text, items=chosen, tokens=report.tokens)

    def _fill(self, ordered: list[Recalled], budget: int) -> list[Recalled]:
        """Greedy fill in order; a store may exceed ``max_store_share`` only once no other store has items left."""
        cap = self.settings.recall.max_store_share * budget
        used: dict[str, int] = {}
        chosen: list[Recalled] = []
        left = budget
        deferred: list[Recalled] = []
        for j, r in enumerate(ordered):
            if r.tokens > left:
                continue
            store = r.record.store
            others_waiting = any(o.record.store != store for o in ordered[j + 1 :])
            if used.get(store, 0) + r.tokens > cap and others_waiting:
                deferred.append(r)
                continue
            chosen.append(r)
            used[store] = used.get(store, 0) + r.tokens
            left -= r.tokens
        for r in deferred:
            if r.tokens <= left:
                chosen.append(r)
                left -= r.tokens
        rank = {id(r): j for j, r in enumerate(ordered)}
        return sorted(chosen, key=lambda r: rank[id(r)])

    def render(self, items: list[Recalled]) -> str:
        if not items:
            return ""
        sections: dict[str, dict[str, Any]] = {}
        for r in items:
            sec = sections.setdefault(r.record.store, {"store": r.record.store, "title": STORE_TITLES.get(r.record.store, r.record.store.replace("_", " ").title()), "entries": []})
            sec["entries"].append({"title": r.record.title, "text": r.record.text, "score": r.score})
        return self.prompts.render("recall_context.j2", sections=list(sections.values()))

    # ---- MemoryHook ---------------------------------------------------------------------

    def before_task(self, task: TaskSpec) -> RecallContext:
        return self.recall(task, namespace=task.metadata.get("namespace"))

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        """Record which items were in context and how the task went (outcome log + each store's usage)."""
        ns = namespace_key(task.metadata["namespace"]) if task.metadata.get("namespace") else self.namespace
        rows = [
            OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=task.topic, namespace=ns, store=r.record.store, item_id=r.record.id, rank=j, used=(r.record.id == context.routed_skill), reward=outcome.score, success=outcome.success, outcome_source=outcome.source)
            for j, r in enumerate(context.items)
        ]
        if self.outcome_log is not None and rows:
            self.outcome_log.record(rows)
        for r in context.items:
            store = self.stores.get(r.record.store)
            if store is None:
                continue
            try:
                store.record_use(r.record.id, outcome.score, outcome.success)
            except AgentmemError as exc:
                log.warning("after_task: %s.record_use(%s) failed: %s", r.record.store, r.record.id, exc)

    # ---- write, learn, versions (the rest of the public Memory surface) -----------------

    def remember(self, text: str, *, store: str = "facts", namespace: str | None = None) -> str:
        """Store ``text`` as a new item of ``store`` (default: the fact store) in the namespace; return its id.

        Works with any store that has ``insert(text, namespace=...)`` (e.g.
        :class:`~agentmem.stores.facts.FactStore`) or ``add_texts(texts, namespace=...)``.

        Example::

            item_id = memory.remember("Alice prefers window seats", namespace="alice")
        """
        target = self.stores.get(store)
        ns = namespace_key(namespace) if namespace is not None else self.namespace
        if target is not None and hasattr(target, "insert"):
            return target.insert(text, namespace=ns).id
        if target is not None and hasattr(target, "add_texts"):
            return target.add_texts([text], namespace=ns)[0]
        writable = sorted(n for n, s in self.stores.items() if hasattr(s, "insert") or hasattr(s, "add_texts"))
        raise ConfigError(f"remember: store {store!r} cannot take new items (writable stores here: {', '.join(writable) or 'none; add a FactStore'})")

    def learn(self, task: str | TaskSpec, context: RecallContext, outcome: Outcome, *, run_id: str | None = None, trajectory: Sequence[Any] = ()) -> str:
        """Learn from how ``task`` went: :meth:`after_task` for your own loop; returns the run id.

        Example::

            ctx = memory.recall(task)
            answer = my_model(ctx.text, task)
            memory.learn(task, ctx, Outcome(score=1.0, success=True))
        """
        from .types import new_id

        spec = task if isinstance(task, TaskSpec) else TaskSpec(id=new_id("task-"), instruction=str(task))
        rid = run_id or new_id("run-")
        self.after_task(spec, context, list(trajectory), outcome, rid)
        return rid

    def _state(self) -> Any:
        from .learning.state import MemoryState

        return MemoryState([s for s in self.stores.values() if getattr(s, "root", None) is not None])

    def snapshot(self, name: str = "", reason: str = "") -> Any:
        """Snapshot the files of every store (content-addressed, under ``<home>/snapshots``).

        Example::

            before = memory.snapshot("before-training")
            ...                       # learning edits the stores
            memory.rollback(before.id)
        """
        from .learning.snapshots import SnapshotStore

        return SnapshotStore(self.settings.paths.snapshots).take(self._state(), name=name, reason=reason or "Memory.snapshot")

    def rollback(self, ref: str) -> Any:
        """Restore every store to snapshot ``ref`` (id or name) byte for byte and reload the stores;
        the state before the rollback is snapshotted first (name ``pre-rollback``)."""
        from .learning.snapshots import SnapshotStore

        snaps = SnapshotStore(self.settings.paths.snapshots)
        state = self._state()
        snaps.get(ref)  # fail before anything is written if ref is unknown
        snaps.take(state, name="pre-rollback", reason=f"before rollback to {ref}")
        restored = snaps.restore(ref, state)
        for s in self.stores.values():
            if hasattr(s, "reload"):
                s.reload()
        return restored
