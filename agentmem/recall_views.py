"""Store views: how one loop's profile reads a store through unified recall (``Memory.recall``).

A view wraps a live store and stands in for it inside :class:`~agentmem.memory.Memory`. It is
configuration, not a second read path: ``Memory.recall`` still asks every store (view or not)
for its stage-1 candidates, re-scales and weights them, lets the proxy reorder them, fills the
one token budget and renders the context. A view changes only the two store-specific steps:

* :meth:`StoreView.recall_candidates` ``(task, k, namespace)``: the candidates for a whole
  :class:`~agentmem.environment.TaskSpec` (its topic, its goal, its train pairs), not only its
  text; for example topic-tagged behaviors first, ALFWorld skills first, concepts selected by
  the model by exact name;
* :meth:`StoreView.render_recalled` ``(items)``: the section text for this store's items that
  recall kept (the store's own prompt block, e.g. ``behavior_conditioned.j2``); ``None`` keeps
  the generic rendering of ``recall_context.j2``.

Everything else (name, root, writes, credit, lifecycle) is the wrapped store's: the reflective
controller writes through the store's applier, exactly as without a view. A view with
``read_only=True`` has no ``root``, so the controller never writes it (a computed source such as
ARC's composition hints).

The views here are the profiles' building blocks (:mod:`agentmem.profiles`); evaluation code
adds its own (e.g. :class:`agentmem.evals.arc.memory.SkillHintsView`).
"""

from __future__ import annotations

from typing import Any

from agentmem.environment import TaskSpec
from agentmem.tokens import approx_tokens
from agentmem.types import Recalled


def task_query(task: TaskSpec, query_key: str | None) -> str:
    """The text a view searches with: ``task.metadata[query_key]`` when set (e.g. ALFWorld's goal), else the instruction."""
    if query_key:
        got = (task.metadata or {}).get(query_key)
        if got:
            return str(got)
    return task.instruction


def ranked(hits: list[Recalled]) -> list[Recalled]:
    """``hits`` with strictly decreasing scores in their given order (recall re-scales per store, so the view's order survives)."""
    n = len(hits)
    return [h.model_copy(update={"score": 1.0 - j / max(1, n)}) for j, h in enumerate(hits)]


class StoreView:
    """A store as one profile reads it (see the module docstring); attributes fall through to the store."""

    def __init__(self, store: Any, *, name: str | None = None, query_key: str | None = None, read_only: bool = False, prompts: Any = None) -> None:
        self.view_of = store
        self.name = name or store.name
        self.root = None if read_only else getattr(store, "root", None)
        self.query_key = query_key
        self._prompts = prompts

    @property
    def prompts(self) -> Any:
        """The templates this view renders with: the given ones, else the store's own (home overrides first)."""
        if self._prompts is None:
            got = getattr(self.view_of, "prompts", None)
            if got is None:
                from .prompts import PromptLibrary

                settings = getattr(self.view_of, "settings", None)
                got = PromptLibrary(settings.paths.prompts) if settings is not None else PromptLibrary()
            self._prompts = got
        return self._prompts

    def section(self, **blocks: str) -> str:
        """A rendered block under its heading (``experience_context.j2``: ``behaviors``, ``concepts`` or ``subroutines``)."""
        parts = {"behaviors": "", "concepts": "", "subroutines": "", **blocks}
        return self.prompts.render("experience_context.j2", **parts).strip() if any(v.strip() for v in parts.values()) else ""

    def __getattr__(self, attr: str) -> Any:
        if attr in ("view_of", "_prompts"):  # not set yet (copy/pickle): no recursion
            raise AttributeError(attr)
        return getattr(self.view_of, attr)

    # the Store protocol's read side, delegated (its write side, record_use and set_state, falls through
    # to the store by __getattr__; only the controller's appliers call it)
    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        return self.view_of.search(query, k=k, namespace=namespace)

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[Any]:
        return self.view_of.records(namespace, include_inactive)

    def get_record(self, item_id: str) -> Any:
        return self.view_of.get_record(item_id)

    # what a view changes
    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        return self.search(task_query(task, self.query_key), k=k, namespace=namespace)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return None


class BehaviorsView(StoreView):
    """The behavior handbook: behaviors tagged with the task's topic first, then by similarity
    (:meth:`~agentmem.stores.behaviors.BehaviorHandbook.select`), rendered with ``behavior_conditioned.j2``."""

    def __init__(self, store: Any, *, k: int = 5, query_key: str | None = None, namespace: str | None = None) -> None:
        super().__init__(store, query_key=query_key)
        self.k = k
        self.namespace = namespace

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        out: list[Recalled] = []
        for b, score, why in self.view_of.select(task_query(task, self.query_key), topic=task.topic, k=min(k, self.k), namespace=self.namespace or namespace):
            rec = self.view_of.get_record(b.name)
            if rec is not None:
                line = f"- {b.name}: {b.instruction}"
                out.append(Recalled(record=rec.model_copy(update={"namespace": namespace}), score=score, tokens=approx_tokens(line), reasons=[why]))
        return ranked(out)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        behaviors = [b for b in (self.view_of.get(r.record.id) for r in items) if b is not None]
        return self.section(behaviors=self.prompts.render("behavior_conditioned.j2", behaviors=behaviors))


class ConceptsView(StoreView):
    """Concept memory: the concepts the model selects by exact name (with ``llm``), else the closest
    ones by hybrid search, plus their helpers; rendered in full with ``concept_memory.j2``."""

    def __init__(self, store: Any, *, llm: Any = None, k: int = 4, namespace: str | None = None) -> None:
        super().__init__(store)
        self.llm, self.k, self.namespace = llm, k, namespace
        self.last_selection: Any = None

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        cm = self.view_of
        ns = self.namespace or namespace
        if self.llm is not None:
            sel = cm.select(task_query(task, self.query_key), self.llm, namespace=ns)
        else:
            sel = cm.select_by_embedding(task_query(task, self.query_key), k=min(k, self.k), namespace=ns)
        self.last_selection = sel
        out: list[Recalled] = []
        for name in sel.all_names:
            rec = cm.get_record(name)
            if rec is None:
                continue
            why = f"selected ({sel.method})" if name in sel.names else "helper of a selected concept"
            out.append(Recalled(record=rec.model_copy(update={"namespace": namespace}), score=1.0, tokens=approx_tokens(cm.render_memory(full=[name])), reasons=[why]))
        return out

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return self.section(concepts=self.view_of.render_memory(full=[r.record.id for r in items]))


class SubroutinesView(StoreView):
    """Subroutines (question, procedure) closest to the task, rendered with ``subroutine_insert.j2``."""

    def __init__(self, store: Any, *, k: int = 3, namespace: str | None = None, prompts: Any = None) -> None:
        super().__init__(store, prompts=prompts)
        self.k, self.namespace = k, namespace

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        if not len(self.view_of):
            return []
        out: list[Recalled] = []
        for r in self.view_of.search(task_query(task, self.query_key), k=min(k, self.k), namespace=self.namespace or namespace):
            pair = self.view_of.get(r.record.id)
            cost = approx_tokens(self._render([pair])) if pair is not None else r.tokens
            out.append(r.model_copy(update={"tokens": cost, "record": r.record.model_copy(update={"namespace": namespace})}))
        return out

    def _render(self, pairs: list[Any]) -> str:
        return self.prompts.render("subroutine_insert.j2", pairs=pairs, open="<subroutine>", close="</subroutine>")

    def render_recalled(self, items: list[Recalled]) -> str | None:
        pairs = [p for p in (self.view_of.get(r.record.id) for r in items) if p is not None]
        return self.section(subroutines=self._render(pairs)) if pairs else ""


class SkillGroupView(StoreView):
    """The skill library with one group first (e.g. the shipped ``alfworld`` skills), each skill
    shown as ``### skill: <id>`` and its text; ``budget_tokens`` (the store's share of the recall
    budget) skips a skill whose block would not fit in it, so a long skill does not crowd out the next."""

    def __init__(self, store: Any, *, group: str | None = None, k: int = 3, query_key: str | None = None, budget_tokens: int | None = None) -> None:
        super().__init__(store, query_key=query_key)
        self.group, self.k, self.budget_tokens = group, k, budget_tokens

    @staticmethod
    def block(r: Recalled) -> str:
        return f"### skill: {r.record.id}\n{r.record.text.strip()}"

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        want = min(k, self.k)
        if want <= 0:
            return []
        hits = self.view_of.search(task_query(task, self.query_key), k=want * 4, namespace=namespace)
        if self.group:
            hits.sort(key=lambda r: (r.record.metadata.get("group") != self.group, -r.score))
        kept: list[Recalled] = []
        used = 0
        for h in hits:
            if len(kept) >= want:
                break
            cost = approx_tokens(self.block(h))
            if self.budget_tokens is not None and used + cost > self.budget_tokens:
                continue
            used += cost
            kept.append(h.model_copy(update={"tokens": cost, "record": h.record.model_copy(update={"namespace": namespace})}))
        return ranked(kept)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return "\n\n".join(self.block(r) for r in items)


class LinesView(StoreView):
    """Items as ``- <text>`` lines in score order (e.g. a conversation's facts for QA)."""

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        hits = self.view_of.search(task_query(task, self.query_key), k=k, namespace=namespace)
        return [h.model_copy(update={"tokens": approx_tokens(h.record.text) + 2}) for h in hits]

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return "\n".join(f"- {r.record.text}" for r in items)
