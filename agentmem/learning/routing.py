"""The trained skill router inside the controller: a ``router(task, context)`` with an exploration share.

The loop that trains it is the controller's own: every judged run logs the skills it used or was
routed to (``outcome.detail["skills_used"]``, ``context.routed_skill``) as outcome-log rows with
``store="skills", used=True`` (:meth:`ReflectiveController._log`); ``agentmem skills
train-router`` fits the head on those rows; once the checkpoint exists, :func:`router_from_settings`
returns a :class:`CheckpointRouter` and the controller asks it for a skill before each task.

Exploration: routing only on what worked would never try the other candidates again, so the
bandit log would stop teaching. With probability ``explore`` (default 0.1, seeded) the router
picks uniformly among the other top-``k`` candidates instead of the best one, and says so in
:attr:`CheckpointRouter.last`; the outcome of that run is logged like any other.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, Field


class RouteChoice(BaseModel):
    """Why the router picked a skill for one task (``agentmem skills route`` prints it)."""

    skill: str
    explored: bool = False
    source: str = Field(default="learned", description="learned (trained head) or hybrid (no checkpoint).")
    candidates: list[dict[str, Any]] = Field(default_factory=list, description="The top-k candidates with their scores and hybrid ranks.")
    trained_on_rows: int | None = None
    explore: float = 0.0


class CheckpointRouter:
    """``router(task, context) -> skill name``: the trained head's best candidate, or an explored one."""

    def __init__(self, router: Any, *, explore: float = 0.1, k: int = 3, seed: int = 0) -> None:
        if not 0.0 <= explore <= 1.0:
            raise ValueError(f"explore: must be in [0, 1], got {explore}")
        self.router, self.explore, self.k = router, explore, k
        self.rng = random.Random(seed)
        self.last: RouteChoice | None = None

    def choose(self, text: str) -> RouteChoice | None:
        routed = self.router.route(text, k=self.k)
        if not routed:
            self.last = None
            return None
        pick, explored = routed[0], False
        if len(routed) > 1 and self.rng.random() < self.explore:
            pick, explored = routed[1 + self.rng.randrange(len(routed) - 1)], True
        meta = getattr(self.router, "meta", None) or {}
        rows = (meta.get("report") or {}).get("rows") if isinstance(meta.get("report"), dict) else None
        self.last = RouteChoice(skill=pick.name, explored=explored, source=pick.source, explore=self.explore, trained_on_rows=rows,
                                candidates=[{"skill": r.name, "score": round(float(r.score), 4), "hybrid_rank": r.hybrid_rank} for r in routed])
        return self.last

    def __call__(self, task: Any, context: Any) -> str | None:
        choice = self.choose(str(getattr(task, "instruction", task)))
        return choice.skill if choice is not None else None


def router_from_settings(settings: Any, *, explore: float = 0.1, k: int = 3, seed: int | None = None, require_checkpoint: bool = True) -> CheckpointRouter | None:
    """The controller's router when a skill-router checkpoint exists in the home (else ``None``).

    ``require_checkpoint=False`` returns a hybrid-ranking router even without one.
    """
    folder = settings.paths.checkpoints / "skill_router"
    if require_checkpoint and not (folder / "head.pt").exists():
        return None
    from ..stores.skill_library import SkillLibrary
    from .skill_cards import as_card
    from .skill_router import SkillRouter

    cards = [as_card(s) for s in SkillLibrary(settings).skills()]
    if not cards:
        return None
    router = SkillRouter.from_settings(settings, cards)
    if require_checkpoint and not router.trained:
        return None
    return CheckpointRouter(router, explore=explore, k=k, seed=settings.seed if seed is None else seed)
