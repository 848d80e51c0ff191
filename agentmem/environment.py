"""The environment seam: ARC, ALFWorld, LoCoMo and your own task families implement it.

An :class:`Environment` hands out a task on :meth:`reset`, answers actions on :meth:`step`,
and says how the episode went on :meth:`evaluate`. Tools the agent can call are declared by
:meth:`tools` (native tool specs); an environment with a single free-text action (ALFWorld)
declares one tool ``act(command)``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agentmem.llm.base import ToolSpec
from agentmem.types import Outcome


class Observation(BaseModel):
    """What the environment answers to one action: text for the model, reward, and whether the episode ended."""

    text: str
    reward: float = 0.0
    done: bool = False
    info: dict[str, Any] = Field(default_factory=dict)


class TaskSpec(BaseModel):
    """What the agent is asked to do."""

    id: str
    instruction: str
    topic: str | None = Field(default=None, description="Optional tag (task type, category) used by topic-scoped recall.")
    metadata: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Environment(Protocol):
    """A task family the agent acts in: ``reset`` gives a task, ``step`` applies a tool call, ``evaluate`` scores the answer.

    Any object with these members works (no base class); see ``examples/custom_environment.py``.
    """

    name: str

    def reset(self, task_id: str | None = None) -> TaskSpec:
        """Start an episode (a given task, or the next one) and return it."""
        ...

    def tools(self) -> list[ToolSpec]:
        """Tools (actions) available in this episode."""
        ...

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        """Apply one action; errors caused by the action come back as an observation text."""
        ...

    def evaluate(self, final_answer: str | None) -> Outcome:
        """Score the finished episode (from the environment's reward or a verifier)."""
        ...
