"""How memory plugs into an agent loop: read before the task, write after it.

:class:`MemoryHook` is the protocol the runner calls. ``agentmem.Memory`` (plain recall and
outcome recording) and the reflective controller (recall, then typed edits and credit) both
implement it; your own agent loop can call the same two methods by hand.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agentmem.types import Outcome, Recalled
from agentmem.environment import TaskSpec


class RecallContext(BaseModel):
    """What memory put in front of the model for one task."""

    text: str = Field(default="", description="Rendered memory, ready to prepend to the prompt.")
    items: list[Recalled] = Field(default_factory=list)
    tokens: int = 0
    routed_skill: str | None = Field(default=None, description="Skill chosen by the router, if any.")

    @property
    def item_ids(self) -> list[str]:
        return [r.record.id for r in self.items]


@runtime_checkable
class MemoryHook(Protocol):
    """What the runner calls around each task: recall before it, learning from the outcome after it."""

    def before_task(self, task: TaskSpec) -> RecallContext:
        """Recall for ``task`` under the configured token budget."""
        ...

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        """Learn from the finished task (record usage, propose and apply edits)."""
        ...
