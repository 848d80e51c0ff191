"""The experience stores in the agent loop's read step; writes go through the reflective controller.

:class:`ExperienceMemory` implements :class:`~agentmem.hooks.MemoryHook`: before a task
it recalls from the behavior handbook (topic-tagged first, then by similarity), the concept
memory (the LLM selects exact names when an LLM is given, else embedding selection) and the
subroutine store (the pairs closest to the task), each within its share of one token budget,
and renders them with ``prompts/experience_context.j2``; the runner puts that text before the
task (:class:`~agentmem.agent.steps.TaskStep.memory_text`). After the task it hands the outcome
to a :class:`~agentmem.learning.controller.ReflectiveController` over the same stores (updating
mode, ``config.write_gate``): every item that was in context is credited through an
``update_utility`` edit, and, when ``learn`` is on and an LLM is given, the handbook's curation
and the subroutine decomposition run as learners
(:mod:`agentmem.learning.store_learners`) whose ``add_behavior`` / ``add_subroutines`` edits the
controller validates, applies, audits and records with the run id. (Concept abstraction needs a
solution's pseudocode, which only the ARC harness has; :class:`~agentmem.evals.arc.memory.ArcMemory`
adds it.) A task without a ``split`` counts as a training task; ``split="test"`` writes nothing.

(This module was ``agentmem.stores.experience_hook``; a hook that writes through the controller
sits above the stores, so it moved here.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentmem.hooks import RecallContext

from .stores._common import approx_tokens
from .types import Outcome, Recalled

if TYPE_CHECKING:
    from agentmem.environment import TaskSpec

    from .llm.base import LLM
    from .prompts import PromptLibrary
    from .stores.behaviors import BehaviorHandbook
    from .stores.concepts import ConceptMemory
    from .stores.subroutines import SubroutineStore


class ExperienceRecallConfig(BaseModel):
    """How the token budget is shared and how much each store contributes."""

    model_config = ConfigDict(extra="forbid")

    budget_tokens: int = Field(default=1500, gt=0)
    shares: dict[str, float] = Field(default_factory=lambda: {"behaviors": 0.25, "concepts": 0.45, "subroutines": 0.30})
    behaviors_k: int = Field(default=5, gt=0)
    concepts_k: int = Field(default=4, gt=0, description="Concepts taken by embedding selection (LLM selection decides its own number).")
    subroutines_k: int = Field(default=3, gt=0)
    learn: bool = Field(default=False, description="After a task, curate behaviors and decompose subroutines (needs an LLM).")
    write_gate: str = Field(default="train_labels", description="Which outcomes may drive writes (credit and learning): train_labels, self_verification or oracle.")


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
            from .prompts import PromptLibrary

            prompts = PromptLibrary()
        self.prompts = prompts
        self._controller: Any = None

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

    def stores(self) -> list[Any]:
        return [s for s in (self.behaviors, self.concepts, self.subroutines) if s is not None]

    def controller(self) -> Any:
        """The reflective controller that writes these stores (built on first use)."""
        if self._controller is None:
            from .learning.store_learners import BehaviorCurationLearner, SubroutineDecompositionLearner
            from .learning.wiring import controller_over

            learners: list[Any] = []
            if self.config.learn and self.llm is not None:
                if self.behaviors is not None:
                    learners.append(BehaviorCurationLearner(self.behaviors, self.llm, namespace=self.namespace))
                if self.subroutines is not None:
                    learners.append(SubroutineDecompositionLearner(self.subroutines, self.llm, namespace=self.namespace))
            stores = self.stores()
            self._controller = controller_over(stores, stores[0].settings.paths.home, mode="updating", write_gate=self.config.write_gate, learners=learners)
        return self._controller

    def after_task(self, task: "TaskSpec", context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        """Credit and learning through the reflective controller (see the module docstring)."""
        if not self.stores():
            return
        from .memory import live_task

        self.controller().after_task(live_task(task, self.namespace or "default/default"), context, list(trajectory), outcome, run_id)
