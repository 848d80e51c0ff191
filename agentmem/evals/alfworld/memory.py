"""Skills and behaviors in context for ALFWorld games (``agentmem eval alfworld --memory ...``).

The ReAct agent's memory (:func:`alfworld_memory`) is the one memory hook, :class:`~agentmem.memory.Memory`, configured by
the ``alfworld`` profile (:mod:`agentmem.profiles`); unified recall (``Memory.recall``) reads:

* **skills** from the :class:`~agentmem.stores.skill_library.SkillLibrary` (the shipped
  ``skills/alfworld/*`` group and whatever the user or learning added), searched with the
  game's goal sentence ("put a clean cloth in countertop."), ALFWorld-group skills first, each
  shown as a ``### skill: <id>`` block;
* **behaviors** from the :class:`~agentmem.stores.behaviors.BehaviorHandbook` (topic = task
  type first, then similarity);

under one token budget (no store takes more than 60% of it while the other has items left).

After a game the outcome goes to the reflective controller over both stores: every recalled item
is credited (``update_utility`` edits); with ``learn`` (``--memory updating``, meant for the
200-game training pool) the handbook's curation runs as a learner whose ``add_behavior`` edits
the controller validates, applies and audits with the run id. ``mode="frozen"`` logs the outcome
and writes nothing.

(This replaces the ``AlfworldMemory`` hook class, which had its own reader.)
"""

from __future__ import annotations

from typing import Any


def alfworld_memory(settings: Any, *, llm: Any = None, learn: bool = False, mode: str = "updating", skills_k: int = 3, budget_tokens: int = 1500,
                    skill_share: float = 0.6, group: str = "alfworld", skills: Any = None, behaviors: Any = None) -> Any:
    """The one memory hook (:class:`~agentmem.memory.Memory`) configured by the ``alfworld`` profile, over the
    home's skill library and behavior handbook (or the ``skills`` / ``behaviors`` given)."""
    from agentmem.profiles import memory_for
    from agentmem.stores.behaviors import BehaviorHandbook
    from agentmem.stores.skill_library import SkillLibrary

    if mode not in ("frozen", "updating"):
        raise ValueError(f"alfworld_memory: mode must be frozen or updating, got {mode!r}")
    stores = [skills if skills is not None else SkillLibrary(settings), behaviors if behaviors is not None else BehaviorHandbook(settings)]
    overrides: dict[str, Any] = {"budget_tokens": budget_tokens, "max_store_share": skill_share, "skill_group": group, "store_limits": {"skills": skills_k, "behaviors": 5}}
    if not learn:
        overrides["learners"] = []
    return memory_for(settings, "alfworld", llm=llm, stores=stores, overrides=overrides, mode=mode)
