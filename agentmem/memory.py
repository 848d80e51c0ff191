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
from .learning.outcome_log import OutcomeLog
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
    """Recall over several stores under one budget (the one read path) and, through
    :meth:`controller`, the one write path: every write is a typed edit of the reflective controller.

    ``mode`` (``none | frozen | updating``, default ``updating``) is what :meth:`after_task` does
    when this object is an agent's memory hook; ``write_gate`` (``train_labels`` by default) decides
    which outcomes may drive writes; ``learners`` propose edits after each task (e.g.
    :func:`~agentmem.learning.lessons.run_lesson_learner`); ``router`` picks a skill.
    """

    def __init__(
        self,
        stores: Sequence[Store] | Mapping[str, Store],
        settings: Settings | None = None,
        proxy: Proxy | None = None,
        outcome_log: OutcomeLog | None = None,
        prompts: Any | None = None,
        namespace: str | None = None,
        *,
        mode: str = "updating",
        write_gate: str = "train_labels",
        learners: Sequence[Any] = (),
        router: Any | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.mode = str(getattr(mode, "value", mode))
        self.write_gate = str(getattr(write_gate, "value", write_gate))
        self.learners = list(learners)
        self.router = router
        self._controllers: dict[str, Any] = {}
        if self.mode not in ("none", "frozen", "updating"):
            raise ConfigError(f"Memory: mode must be none, frozen or updating, got {self.mode!r}")
        if self.write_gate not in ("train_labels", "self_verification", "oracle"):
            raise ConfigError(f"Memory: write_gate must be train_labels, self_verification or oracle, got {self.write_gate!r}")
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
        #: sources that could not be opened (named in every recall report's ``store_errors``)
        self.source_errors: dict[str, str] = {}
        #: the :class:`~agentmem.profiles.MemoryProfile` this memory was configured by (set by ``memory_for``)
        self.profile: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, stores: Sequence[Store] | Mapping[str, Store], embedder: Any | None = None, llm: Any | None = None, namespace: str | None = None, **kw: Any) -> "Memory":
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
        path = settings.paths.home / "outcomes.sqlite"
        try:
            outcome_log: OutcomeLog | None = OutcomeLog(path)
            problem = None
        except Exception as exc:  # noqa: BLE001 - a damaged outcome log must not stop recall
            outcome_log, problem = None, f"{path}: outcome log unusable, outcomes not recorded ({type(exc).__name__}: {str(exc)[:200]})"
            log.warning("%s", problem)
        mem = cls(stores, settings=settings, proxy=proxy, outcome_log=outcome_log, namespace=namespace, **kw)
        if problem:
            mem.source_errors["outcomes"] = problem
        return mem

    @property
    def prompts(self) -> Any:
        if self._prompts is None:
            from .prompts import PromptLibrary

            self._prompts = PromptLibrary(self.settings.paths.prompts)
        return self._prompts

    # ---- read ---------------------------------------------------------------------------

    def candidates(self, query: str, namespace: str, stores: Sequence[str] | None = None, task: TaskSpec | None = None) -> tuple[list[Recalled], RecallReport]:
        """Stage 1: per-store hybrid shortlists, re-scaled per store and weighted, merged best first.

        A store that offers ``recall_candidates(task, k, namespace)`` (a profile's
        :class:`~agentmem.recall_views.StoreView`) gets the whole task instead of ``query``."""
        rs = self.settings.recall
        names = list(stores) if stores is not None else list(self.stores)
        unknown = [n for n in names if n not in self.stores]
        if unknown:
            raise ConfigError(f"recall: unknown store(s) {unknown}; known: {sorted(self.stores)}")
        report = RecallReport(query=query, namespace=namespace)
        report.store_errors.update(self.source_errors)
        merged: list[tuple[float, int, Recalled]] = []
        for order, name in enumerate(names):
            limit = rs.store_limits.get(name, rs.candidates_per_store)
            try:
                store = self.stores[name]
                by_task = getattr(store, "recall_candidates", None)
                if by_task is not None:
                    hits = by_task(task or TaskSpec(id="query", instruction=query), k=limit, namespace=namespace)
                else:
                    hits = store.search(query, k=limit, namespace=namespace)
            except Exception as exc:  # noqa: BLE001 - one broken source never takes recall down
                msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, AgentmemError) else str(exc)
                report.store_errors[name] = msg if len(msg) <= 500 else msg[:497] + "..."
                log.warning("recall: store %s failed, skipped: %s", name, report.store_errors[name])
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
        self._recover_abandoned_batch()
        shortlist, report = self.candidates(query, ns, stores, task=task if isinstance(task, TaskSpec) else None)
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

    def _recover_abandoned_batch(self) -> None:
        """A batch of edits whose writer died leaves its journal: undo its own writes before
        reading (only when no live writer holds the home lock; one stat otherwise)."""
        home = self.settings.paths.home
        if not (home / "learning.journal.json").exists() and not (home / "learning.journal.writes").exists():
            return
        try:
            from .learning.engine import EditEngine

            what = EditEngine(self._state(), home).recover_if_abandoned()
            if what:
                log.warning("recall: %s (left by a writer that died)", what)
                for s in self.stores.values():
                    if hasattr(s, "reload"):
                        s.reload()  # pyright: ignore[reportAttributeAccessIssue]  # optional store method, checked by hasattr
        except Exception as exc:  # noqa: BLE001 - reading goes on; the next writer recovers
            log.warning("recall: could not recover an unfinished batch: %s", exc)

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
        by_store: dict[str, list[Recalled]] = {}
        for r in items:
            sec = sections.setdefault(r.record.store, {"store": r.record.store, "title": STORE_TITLES.get(r.record.store, r.record.store.replace("_", " ").title()), "entries": [], "text": ""})
            sec["entries"].append({"title": r.record.title, "text": r.record.text, "score": r.score})
            by_store.setdefault(r.record.store, []).append(r)
        for name, sec in sections.items():  # a profile's view renders its own section (its store's prompt block)
            render = getattr(self.stores.get(name), "render_recalled", None)
            text = render(by_store[name]) if render is not None else None
            if text is not None:
                sec["text"] = text.strip() or " "
        return self.prompts.render("recall_context.j2", sections=list(sections.values()))

    # ---- MemoryHook ---------------------------------------------------------------------

    def before_task(self, task: TaskSpec) -> RecallContext:
        return self.recall(task, namespace=task.metadata.get("namespace"))

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        """Hand the finished task to the reflective controller in this memory's :attr:`mode`.

        ``updating`` (the default): the outcome log gets one row per item in context, every item is
        credited through ``update_utility`` edits (usage statistics, audited), low-utility items are
        retired and the configured learners propose edits, all behind the write gate.
        ``frozen``: the outcome log and provenance only. ``none``: nothing.
        """
        self.controller(self.mode).after_task(live_task(task, self.namespace), context, list(trajectory), outcome, run_id)

    # ---- write, learn, versions (the rest of the public Memory surface) -----------------

    def controller(self, mode: str | None = None) -> Any:
        """The :class:`~agentmem.learning.controller.ReflectiveController` that writes these stores.

        Every write of :class:`Memory` (remember, learn, after_task, snapshot, rollback) goes through
        it: typed edits, validation, admission, journal, audit (run and task ids) and provenance.
        Its read path is :meth:`recall`. Stores without a root folder (scratch stores) are read
        but never written.
        """
        from .learning.gate import MemoryMode
        from .learning.wiring import controller_over

        mode = MemoryMode(mode or self.mode)
        ctl = self._controllers.get(mode.value)
        if ctl is None:
            if self.outcome_log is None:
                self.outcome_log = OutcomeLog(self.settings.paths.home / "outcomes.sqlite")
            ctl = controller_over(list(self.stores.values()), self.settings.paths.home, mode=mode.value, write_gate=self.write_gate, learners=self.learners,
                                  outcome_log=self.outcome_log, recall=lambda t: self.recall(t, namespace=_task_ns(t)), renderer=self.render, router=self.router)
            self._controllers[mode.value] = ctl
        return ctl

    def remember(self, text: str, *, store: str = "facts", namespace: str | None = None, run_id: str | None = None) -> str:
        """Store ``text`` as a new item of ``store`` (default: the fact store) in the namespace; return its id.

        The write is an ``add_item`` edit through the reflective controller (audited as a user edit,
        with provenance). Works with any store that has an ``add_item`` applier (e.g.
        :class:`~agentmem.stores.facts.FactStore`).

        Example::

            item_id = memory.remember("Alice prefers window seats", namespace="alice")
        """
        from .learning.edits import AddItem, slugify
        from .types import Provenance, Trust, new_id

        ns = namespace_key(namespace) if namespace is not None else self.namespace
        ctl = self.controller(self.mode if self.mode != "none" else "frozen")
        writable = sorted(n for n in ctl.state.stores if "add_item" in ctl.engine.registry.kinds_for(n) and ctl.engine.registry.find(n, "add_item") is not None)
        if store not in writable:
            raise ConfigError(f"remember: store {store!r} cannot take new items (writable stores here: {', '.join(writable) or 'none; add a FactStore'})")
        edit = AddItem(store=store, title=" ".join(text.split())[:80] or "item", text=text, metadata={"namespace": ns}, id_hint=new_id(f"{slugify(text)[:30]}-"),
                       trust=Trust.shipped, proposer="user:remember", reason="Memory.remember", provenance=Provenance(source="user", run_id=run_id, note="Memory.remember"))
        report = ctl.apply([edit], run_id=run_id)
        if not report.applied:
            raise ConfigError(f"remember: the edit was refused: {'; '.join(r.reason for r in report.refused)}")
        return report.applied[0].item_ids[0]

    def import_file(self, path: Any, *, store: str = "facts", namespace: str | None = None, batch_size: int = 1000, skip_bad: bool = False,
                    progress: Any = None) -> Any:
        """Import a JSON Lines file (one item per line) into ``store`` in batches of ``add_item`` edits
        through the reflective controller; resumable (rows already stored are skipped). Returns an
        :class:`~agentmem.bulk_import.ImportReport`. See :mod:`agentmem.bulk_import`.

        Example::

            report = memory.import_file("notes.jsonl", namespace="alice")
            print(report.added, report.skipped_existing)
        """
        from .bulk_import import import_file

        return import_file(self, path, store=store, namespace=namespace, batch_size=batch_size, skip_bad=skip_bad, progress=progress)

    def learn(self, task: str | TaskSpec, context: RecallContext, outcome: Outcome, *, run_id: str | None = None, trajectory: Sequence[Any] = ()) -> str:
        """Learn from how ``task`` went, through the reflective controller in updating mode; returns the run id.

        Credit for every item in context (``update_utility`` edits), retirement of items whose
        utility stays low, and the edits of the configured :attr:`learners`, behind the write gate
        (``write_gate``, default ``train_labels``: a live task without a ``split`` counts as a
        training task; a task marked ``split="test"`` never drives writes). Everything lands in the
        audit log and the provenance graph with the run id.

        Example::

            ctx = memory.recall(task)
            answer = my_model(ctx.text, task)
            memory.learn(task, ctx, Outcome(score=1.0, success=True))
        """
        from .types import new_id

        spec = task if isinstance(task, TaskSpec) else TaskSpec(id=new_id("task-"), instruction=str(task))
        rid = run_id or new_id("run-")
        self.controller("updating").after_task(live_task(spec, self.namespace), context, list(trajectory), outcome, rid)
        return rid

    def _state(self) -> Any:
        from .learning.state import MemoryState

        return MemoryState([s for s in self.stores.values() if getattr(s, "root", None) is not None])

    def snapshot(self, name: str = "", reason: str = "") -> Any:
        """Snapshot the files of every store (content-addressed, under ``<home>/snapshots``; audited).

        Example::

            before = memory.snapshot("before-training")
            ...                       # learning edits the stores
            memory.rollback(before.id)
        """
        return self.controller("frozen").snapshot(name=name, reason=reason or "Memory.snapshot")

    def rollback(self, ref: str) -> Any:
        """Restore every store to snapshot ``ref`` (id or name) byte for byte under the home write lock,
        write an audit row, and reload the stores; the state before the rollback is snapshotted first
        (name ``pre-rollback``)."""
        ctl = self.controller("frozen")
        ctl.engine.snapshots.get(ref)  # fail before anything is written if ref is unknown
        restored = ctl.rollback(ref)
        for s in self.stores.values():
            if hasattr(s, "reload"):
                s.reload()  # pyright: ignore[reportAttributeAccessIssue]  # optional store method, checked by hasattr
        return restored


def _task_ns(task: Any) -> str | None:
    meta = getattr(task, "metadata", None) or {}
    return meta.get("namespace")


def live_task(task: TaskSpec, namespace: str) -> TaskSpec:
    """``task`` as the controller sees it: with its namespace, and ``split="train"`` when it has none
    (a live task outside a benchmark is training data for the memory: nobody scores it later)."""
    meta = dict(task.metadata)
    meta.setdefault("namespace", namespace)
    meta.setdefault("split", "train")
    return task.model_copy(update={"metadata": meta})
