"""Learners that use a store's own extraction prompt, and propose typed edits instead of writing.

The experience stores each have a paper-faithful extraction step with its own prompt and reply
format: the handbook's curation (``behavior_curation.j2``), the subroutine store's decomposition
(``subroutine_decomposition.j2``) and concept memory's abstraction (``concept_abstraction.j2``).
These learners run that step with ``write=False`` (or :meth:`ConceptMemory.propose_abstraction`)
and turn what it proposes into ``add_behavior`` / ``add_subroutines`` / ``add_concepts`` edits,
so the reflective controller validates, gates, applies, audits and records their provenance.

A reply the store cannot parse (or a failed model call) becomes a refusal in the audit log,
never an exception in the agent loop.
"""

from __future__ import annotations

from typing import Any

from ..errors import AgentmemError
from ..types import Provenance, Trust
from .edits import (
    AddBehavior,
    AddConcepts,
    AddSubroutines,
    Refusal,
    SubroutineSpec,
    slugify,
)
from .learners import LearningContext, Proposal


def _ns(ctx: LearningContext, default: str | None) -> str:
    meta = getattr(ctx.task, "metadata", None) or {}
    return str(meta.get("namespace") or default or "default/default")


def _prov(ctx: LearningContext, note: str) -> Provenance:
    return Provenance(source="learned", task_id=getattr(ctx.task, "id", None), run_id=ctx.run_id, note=note)


def _refused(name: str, store: str, exc: Exception) -> Proposal:
    return Proposal(refusals=[Refusal(stage="schema", store=store, reason=f"{name}: {type(exc).__name__}: {exc}", proposer=name)])


class BehaviorCurationLearner:
    """The handbook's curation step (Metacognitive Reuse) as ``add_behavior`` edits."""

    name = "behavior_curation"

    def __init__(self, handbook: Any, llm: Any, *, namespace: str | None = None) -> None:
        self.handbook, self.llm, self.namespace = handbook, llm, namespace

    def propose(self, ctx: LearningContext) -> Proposal:
        if not ctx.trajectory:
            return Proposal()
        task = ctx.task
        try:
            kept, report = self.handbook.curate(ctx.trajectory, ctx.outcome, self.llm, task=getattr(task, "instruction", ""), task_id=getattr(task, "id", None),
                                                run_id=ctx.run_id, topic=getattr(task, "topic", None), namespace=_ns(ctx, self.namespace), write=False)
        except AgentmemError as exc:
            return _refused(self.name, self.handbook.name, exc)
        edits = [AddBehavior(store=self.handbook.name, name=b.name, instruction=b.instruction, topics=list(b.topics), namespace=b.namespace, trust=Trust.learned,
                             proposer=self.name, reason=f"curated from run {ctx.run_id} (score {ctx.outcome.score:.2f})", provenance=_prov(ctx, "behavior_curation"))
                 for b in kept]
        refusals = [Refusal(stage="validation", kind="add_behavior", store=self.handbook.name, item_id=label, reason=why, proposer=self.name) for label, why in _skipped(report)]
        return Proposal(edits=edits, refusals=refusals)


class SubroutineDecompositionLearner:
    """The subroutine store's decomposition step (reasoning memory) as one ``add_subroutines`` edit; successes only."""

    name = "subroutine_decomposition"

    def __init__(self, store: Any, llm: Any, *, namespace: str | None = None) -> None:
        self.store, self.llm, self.namespace = store, llm, namespace

    def propose(self, ctx: LearningContext) -> Proposal:
        if not (ctx.trajectory and ctx.outcome.success):
            return Proposal()
        task = ctx.task
        try:
            pairs, _ = self.store.decompose(ctx.trajectory, self.llm, task=getattr(task, "instruction", ""), task_id=getattr(task, "id", None), run_id=ctx.run_id,
                                            namespace=_ns(ctx, self.namespace), write=False)
        except AgentmemError as exc:
            return _refused(self.name, self.store.name, exc)
        specs = [SubroutineSpec(name=slugify(p.subquestion)[:60] or "subroutine", description=p.subquestion[:1000], steps=[p.subroutine[:2000]], subroutine=p.subroutine[:4000])
                 for p in pairs if p.subquestion.strip() and p.subroutine.strip()]
        if not specs:
            return Proposal()
        return Proposal(edits=[AddSubroutines(store=self.store.name, subroutines=specs[:10], namespace=_ns(ctx, self.namespace), trust=Trust.learned, proposer=self.name,
                                              reason=f"decomposed from successful run {ctx.run_id}", provenance=_prov(ctx, "subroutine_decomposition"))])


class ConceptAbstractionLearner:
    """Concept memory's abstraction step (ArcMemo) as one ``add_concepts`` edit.

    Reads the solution from ``outcome.detail["program"]`` (pseudocode) and the first thought of
    the trajectory (summary); runs only on successful outcomes that carry a program.
    """

    name = "concept_abstraction"

    def __init__(self, concepts: Any, llm: Any, *, namespace: str | None = None) -> None:
        self.concepts, self.llm, self.namespace = concepts, llm, namespace

    def propose(self, ctx: LearningContext) -> Proposal:
        program = str(ctx.outcome.detail.get("program") or "")
        if not (ctx.outcome.success and program):
            return Proposal()
        summary = next((s.thought for s in ctx.trajectory if getattr(s, "kind", "") == "action" and getattr(s, "thought", "")), "")[:2000]
        task = ctx.task
        ns = _ns(ctx, self.namespace)
        try:
            proposed, relations, report = self.concepts.propose_abstraction(self.llm, pseudocode=program, summary=summary, task_id=getattr(task, "id", ""),
                                                                            task=str(getattr(task, "instruction", ""))[:2000], namespace=ns, run_id=ctx.run_id)
        except AgentmemError as exc:
            return _refused(self.name, self.concepts.name, exc)
        refusals = [Refusal(stage="validation", kind="add_concepts", store=self.concepts.name, item_id=label, reason=why, proposer=self.name) for label, why in _skipped(report)]
        if not proposed:
            return Proposal(refusals=refusals)
        data = [c.model_dump(mode="json", exclude={"provenance", "namespace", "state", "trust", "used_in", "usage", "created_at", "updated_at"}) for c in proposed]
        return Proposal(edits=[AddConcepts(store=self.concepts.name, concepts=data, relations=relations, namespace=ns, trust=Trust.learned, proposer=self.name,
                                           reason=f"abstracted from the solution of run {ctx.run_id}", provenance=_prov(ctx, "concept_abstraction"))], refusals=refusals)


def _skipped(report: Any) -> list[tuple[str, str]]:
    out = []
    for s in getattr(report, "skipped", []) or []:
        if isinstance(s, (tuple, list)) and len(s) == 2:
            out.append((str(s[0]), str(s[1])))
        else:
            out.append((str(getattr(s, "item", s)), str(getattr(s, "reason", ""))))
    return out
