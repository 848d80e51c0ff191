"""The experience stores in the agent loop's read (and write) step.

:class:`ExperienceMemory` implements :class:`~agentmem.hooks.MemoryHook`: before a task
it recalls from the behavior handbook (topic-tagged first, then by similarity), the concept
memory (the LLM selects exact names when an LLM is given, else embedding selection) and the
subroutine store (the pairs closest to the task), each within its share of one token budget,
and renders them with ``prompts/experience_context.j2``; the runner puts that text before the
task (:class:`~agentmem.agent.steps.TaskStep.memory_text`). After the task it credits every
item that was in context with the outcome (``record_use``) and, when ``learn`` is on and an
LLM is given, curates behaviors and decomposes the trajectory into subroutines. (Concept
abstraction needs a solution's pseudocode, which only the ARC harness has, so it is not done
here.) The reflective controller does the same with typed, reviewed edits; this hook is the
simple path and the reference for how each store is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentmem.hooks import RecallContext
from ..types import Outcome, Recalled
from ._common import approx_tokens

if TYPE_CHECKING:
    from agentmem.environment import TaskSpec
    from ..llm.base import LLM
    from ..prompts import PromptLibrary
    from .behaviors import BehaviorHandbook
    from .concepts import ConceptMemory
    from .subroutines import SubroutineStore


class ExperienceRecallConfig(BaseModel):
    """How the token budget is shared and how much each store contributes."""

    model_config = ConfigDict(extra="forbid")

    budget_tokens: int = Field(default=1500, gt=0)
    shares: dict[str, float] = Field(default_factory=lambda: {"behaviors": 0.25, "concepts": 0.45, "subroutines": 0.30})
    behaviors_k: int = Field(default=5, gt=0)
    concepts_k: int = Field(default=4, gt=0, description="Concepts taken by embedding selection (LLM selection decides its own number).")
    subroutines_k: int = Field(default=3, gt=0)
    learn: bool = Field(default=False, description="After a task, curate behaviors and decompose subroutines (needs an LLM).")


class ExperienceMemory:
    """Read the experience stores before a task; credit (and optionally learn) after it."""

    def __init__(
        self,
        *,
        behaviors: "BehaviorHandbook | None" = None,
        concepts: "ConceptMemory | None" = None,
        subroutines: "SubroutineStore | None" = None,
        llm: "LLM | None" = None,
        config: ExperienceRecallConfig | None = None,
        prompts: "PromptLibrary | None" = None,
        namespace: str | None = None,
    ) -> None:
        self.behaviors, self.concepts, self.subroutines = behaviors, concepts, subroutines
        self.llm = llm
        self.config = config or ExperienceRecallConfig()
        self.namespace = namespace
        if prompts is None:
            from ..prompts import PromptLibrary

            prompts = PromptLibrary()
        self.prompts = prompts

    def _budget(self, store: str) -> int:
        return int(self.config.budget_tokens * self.config.shares.get(store, 0.0))

    def before_task(self, task: "TaskSpec") -> RecallContext:
        items: list[Recalled] = []
        blocks: dict[str, str] = {"behaviors": "", "concepts": "", "subroutines": ""}
        if self.behaviors is not None:
            picked = self.behaviors.select(task.instruction, topic=task.topic, k=self.config.behaviors_k, namespace=self.namespace)
            text = self.behaviors.render([b for b, _, _ in picked], self._budget("behaviors"))
            blocks["behaviors"] = text
            for b, score, why in picked:
                if f"- {b.name}:" in text:
                    rec = self.behaviors.get_record(b.name)
                    if rec is not None:
                        items.append(Recalled(record=rec, score=score, tokens=approx_tokens(b.text()), reasons=[why]))
        if self.concepts is not None:
            if self.llm is not None:
                sel = self.concepts.select(task.instruction, self.llm, namespace=self.namespace)
            else:
                sel = self.concepts.select_by_embedding(task.instruction, k=self.config.concepts_k, namespace=self.namespace)
            text = self.concepts.render_selected(sel.all_names, self._budget("concepts"))
            blocks["concepts"] = text
            for name in sel.all_names:
                if f"### {name}\n" in text:
                    rec = self.concepts.get_record(name)
                    if rec is not None:
                        items.append(Recalled(record=rec, score=1.0, tokens=approx_tokens(rec.text), reasons=[f"selected ({sel.method})" if name in sel.names else "helper of a selected concept"]))
        if self.subroutines is not None and len(self.subroutines):
            budget = self._budget("subroutines")
            chosen = []
            for r in self.subroutines.search(task.instruction, k=self.config.subroutines_k, namespace=self.namespace):
                trial = self.prompts.render("subroutine_insert.j2", pairs=[*chosen, self.subroutines.get(r.record.id)], open="<subroutine>", close="</subroutine>")
                if approx_tokens(trial) > budget:
                    continue
                chosen.append(self.subroutines.get(r.record.id))
                items.append(r)
            blocks["subroutines"] = self.prompts.render("subroutine_insert.j2", pairs=chosen, open="<subroutine>", close="</subroutine>") if chosen else ""
        text = self.prompts.render("experience_context.j2", **blocks) if any(v.strip() for v in blocks.values()) else ""
        return RecallContext(text=text, items=items, tokens=approx_tokens(text))

    def _store_of(self, name: str) -> Any:
        return {"behaviors": self.behaviors, "concepts": self.concepts, "subroutines": self.subroutines}.get(name)

    def after_task(self, task: "TaskSpec", context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        for r in context.items:
            store = self._store_of(r.record.store)
            if store is not None:
                store.record_use(r.record.id, outcome.score, outcome.success)
        if not (self.config.learn and self.llm is not None and trajectory):
            return
        ns = self.namespace or "default/default"
        if self.behaviors is not None:
            self.behaviors.curate(trajectory, outcome, self.llm, task=task.instruction, task_id=task.id, run_id=run_id, topic=task.topic, namespace=ns)
        if self.subroutines is not None and outcome.success:
            self.subroutines.decompose(trajectory, self.llm, task=task.instruction, task_id=task.id, run_id=run_id, namespace=ns)
