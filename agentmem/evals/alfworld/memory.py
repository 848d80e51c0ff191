"""Skills and behaviors in context for ALFWorld games (``agentmem eval alfworld --memory ...``).

:class:`AlfworldMemory` is the :class:`~agentmem.hooks.MemoryHook` the ReAct agent reads:

* **skills** from the :class:`~agentmem.stores.skill_library.SkillLibrary` (the shipped
  ``skills/alfworld/*`` group and whatever the user or learning added), searched with the
  game's goal sentence ("put a clean cloth in countertop."), ALFWorld-group skills first,
  kept while they fit their share of the token budget;
* **behaviors** from the :class:`~agentmem.stores.behaviors.BehaviorHandbook` through
  :class:`~agentmem.experience.ExperienceMemory` (topic = task type first, then
  similarity).

After a game the outcome goes to one :class:`~agentmem.learning.controller.ReflectiveController`
over both stores: every recalled item is credited (``update_utility`` edits); with ``learn``
(``--memory updating``, meant for the 200-game training pool) the handbook's curation runs as a
learner whose ``add_behavior`` edits the controller validates, applies and audits with the run id.
"""

from __future__ import annotations

from typing import Any

from agentmem.environment import TaskSpec
from agentmem.hooks import RecallContext
from agentmem.tokens import approx_tokens
from agentmem.types import Outcome, Recalled


_tokens = approx_tokens


class AlfworldMemory:
    """Skills (ALFWorld group first) plus behaviors, under one token budget."""

    def __init__(self, skills: Any = None, behaviors: Any = None, *, llm: Any = None, learn: bool = False, skills_k: int = 3,
                 budget_tokens: int = 1500, skill_share: float = 0.6, group: str = "alfworld", mode: str = "updating") -> None:
        if mode not in ("frozen", "updating"):
            raise ValueError(f"AlfworldMemory: mode must be frozen or updating, got {mode!r}")
        self.mode = mode  # frozen: the outcome is logged, nothing is credited or written
        self.skills = skills
        self.behaviors = behaviors
        self.skills_k = skills_k
        self.budget_tokens = budget_tokens
        self.skill_share = skill_share
        self.group = group
        self.experience = None
        self.llm, self.learn = llm, learn
        self._controller: Any = None
        if behaviors is not None:
            from agentmem.experience import ExperienceMemory, ExperienceRecallConfig

            cfg = ExperienceRecallConfig(budget_tokens=max(1, int(budget_tokens * (1 - skill_share))), shares={"behaviors": 1.0, "concepts": 0.0, "subroutines": 0.0}, learn=learn)
            self.experience = ExperienceMemory(behaviors=behaviors, llm=llm, config=cfg)

    @classmethod
    def from_settings(cls, settings: Any, *, llm: Any = None, learn: bool = False, **kwargs: Any) -> "AlfworldMemory":
        """The home's skill library and behavior handbook."""
        from agentmem.stores.behaviors import BehaviorHandbook
        from agentmem.stores.skill_library import SkillLibrary

        return cls(SkillLibrary(settings), BehaviorHandbook(settings), llm=llm, learn=learn, **kwargs)

    def _skills(self, query: str) -> tuple[str, list[Recalled]]:
        if self.skills is None or self.skills_k <= 0:
            return "", []
        hits = self.skills.search(query, k=self.skills_k * 4)
        hits.sort(key=lambda r: (r.record.metadata.get("group") != self.group, -r.score))
        budget = int(self.budget_tokens * self.skill_share)
        kept: list[Recalled] = []
        parts: list[str] = []
        used = 0
        for r in hits:
            if len(kept) >= self.skills_k:
                break
            block = f"### skill: {r.record.id}\n{r.record.text.strip()}"
            cost = _tokens(block)
            if used + cost > budget:
                continue
            used += cost
            parts.append(block)
            kept.append(r)
        return "\n\n".join(parts), kept

    def before_task(self, task: TaskSpec) -> RecallContext:
        query = str(task.metadata.get("goal") or task.instruction)
        skill_text, skill_items = self._skills(query)
        exp = self.experience.before_task(task.model_copy(update={"instruction": query})) if self.experience is not None else RecallContext()
        text = "\n\n".join(t for t in (skill_text, exp.text) if t.strip())
        return RecallContext(text=text, items=skill_items + exp.items, tokens=_tokens(text))

    def controller(self) -> Any:
        """The reflective controller that writes the skills and behaviors (credit; curation when learning)."""
        if self._controller is None:
            from agentmem.learning.store_learners import BehaviorCurationLearner
            from agentmem.learning.wiring import controller_over

            stores = [s for s in (self.skills, self.behaviors) if s is not None]
            learners = [BehaviorCurationLearner(self.behaviors, self.llm)] if (self.learn and self.llm is not None and self.behaviors is not None) else []
            self._controller = controller_over(stores, stores[0].settings.paths.home, mode=self.mode, write_gate="train_labels", learners=learners)
        return self._controller

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        if self.skills is None and self.behaviors is None:
            return
        from agentmem.memory import live_task

        self.controller().after_task(live_task(task, "default/default"), context, list(trajectory), outcome, run_id)
