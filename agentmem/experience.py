"""The experience stores in an agent loop: the ``experience`` profile of the one memory hook.

:func:`ExperienceMemory` returns :class:`~agentmem.memory.Memory` configured by the
``experience`` profile (:mod:`agentmem.profiles`): before a task, unified recall
(``Memory.recall``) reads the behavior handbook (topic-tagged first, then by similarity), concept
memory (the LLM selects exact names when an LLM is given, else embedding selection) and the
subroutine store (the pairs closest to the task) under one token budget, each store rendered
with its own prompt block (:mod:`agentmem.recall_views`); the runner puts that text before the
task (:class:`~agentmem.agent.steps.TaskStep.memory_text`). After the task the reflective
controller (updating mode, ``config.write_gate``) credits every item that was in context through
an ``update_utility`` edit and, when ``learn`` is on and an LLM is given, runs the handbook's
curation and the subroutine decomposition as learners (:mod:`agentmem.learning.store_learners`)
whose ``add_behavior`` / ``add_subroutines`` edits it validates, applies, audits and records with
the run id. A task without a ``split`` counts as a training task; ``split="test"`` writes nothing.

(``ExperienceMemory`` was a hook class with its own readers; it is now a name for this profile.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigError

if TYPE_CHECKING:
    from .llm.base import LLM
    from .memory import Memory
    from .prompts import PromptLibrary
    from .stores.behaviors import BehaviorHandbook
    from .stores.concepts import ConceptMemory
    from .stores.subroutines import SubroutineStore


class ExperienceRecallConfig(BaseModel):
    """How the token budget is shared and how much each store contributes."""

    model_config = ConfigDict(extra="forbid")

    budget_tokens: int = Field(default=1500, gt=0)
    shares: dict[str, float] = Field(default_factory=lambda: {"behaviors": 0.25, "concepts": 0.45, "subroutines": 0.30},
                                     description="The largest share is the most of the budget one store may take while others still have items (recall's max_store_share).")
    behaviors_k: int = Field(default=5, gt=0)
    concepts_k: int = Field(default=4, gt=0, description="Concepts taken by embedding selection (LLM selection decides its own number).")
    subroutines_k: int = Field(default=3, gt=0)
    learn: bool = Field(default=False, description="After a task, curate behaviors and decompose subroutines (needs an LLM).")
    write_gate: str = Field(default="train_labels", description="Which outcomes may drive writes (credit and learning): train_labels, self_verification or oracle.")
    concept_selection: str = Field(default="llm", description="'llm': the model picks concepts by exact name when an LLM is given; 'embedding': always the closest ones.")


def ExperienceMemory(  # noqa: N802 - the former class name, kept for the public API
    *,
    behaviors: "BehaviorHandbook | None" = None,
    concepts: "ConceptMemory | None" = None,
    subroutines: "SubroutineStore | None" = None,
    llm: "LLM | None" = None,
    config: ExperienceRecallConfig | None = None,
    prompts: "PromptLibrary | None" = None,
    namespace: str | None = None,
) -> "Memory":
    """The one memory hook over the given experience stores, configured by the ``experience`` profile and ``config``."""
    from .profiles import memory_for

    cfg = config or ExperienceRecallConfig()
    stores = [s for s in (behaviors, concepts, subroutines) if s is not None]
    if not stores:
        raise ConfigError("ExperienceMemory: give at least one of behaviors, concepts, subroutines")
    limits = {"behaviors": cfg.behaviors_k, "concepts": cfg.concepts_k, "subroutines": cfg.subroutines_k}
    overrides: dict[str, Any] = {"budget_tokens": cfg.budget_tokens, "store_limits": limits, "write_gate": cfg.write_gate, "concept_selection": cfg.concept_selection,
                                 "stores": [s.name for s in stores]}
    if cfg.shares:
        overrides["max_store_share"] = min(1.0, max(cfg.shares.values()))
    if not cfg.learn:
        overrides["learners"] = []
    memory = memory_for(stores[0].settings, "experience", llm=llm, namespace=namespace, stores=stores, overrides=overrides, mode="updating")
    if prompts is not None:  # the templates recall and the store views render with
        from .recall_views import StoreView

        memory._prompts = prompts
        for view in memory.stores.values():
            if isinstance(view, StoreView):
                view._prompts = prompts
    return memory
