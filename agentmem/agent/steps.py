"""Typed steps yielded by the agent runner (a pydantic discriminated union on ``kind``).

Each step renders itself back into chat messages (:meth:`to_messages`) so the trajectory is
the conversation; the union serialises to JSON for the run log for free.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter

from ..llm.base import Message, ToolCall, Usage


class _Step(BaseModel):
    index: int = 0
    at: float = Field(default_factory=time.time)

    def to_messages(self) -> list[Message]:
        return []


class TaskStep(_Step):
    """The task as given, plus the memory recalled for it (rendered text and item ids)."""

    kind: Literal["task"] = "task"
    task: str
    memory_text: str = ""
    memory_ids: list[str] = Field(default_factory=list)

    def to_messages(self) -> list[Message]:
        content = self.task if not self.memory_text else f"{self.memory_text}\n\n{self.task}"
        return [Message(role="user", content=content)]


class ActionStep(_Step):
    """A model turn: its visible thought and the tool calls (or text action) it chose."""

    kind: Literal["action"] = "action"
    thought: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    native_tools: bool = True

    def to_messages(self) -> list[Message]:
        if self.native_tools:
            return [Message(role="assistant", content=self.thought, tool_calls=self.tool_calls)]
        return [Message(role="assistant", content=self.thought)]


class ObservationStep(_Step):
    """What the environment or a tool answered to one action."""

    kind: Literal["observation"] = "observation"
    tool_call_id: str | None = None
    tool_name: str | None = None
    observation: str
    reward: float = 0.0
    done: bool = False
    is_error: bool = False
    native_tools: bool = True
    info: dict[str, Any] = Field(default_factory=dict)

    def to_messages(self) -> list[Message]:
        if self.native_tools and self.tool_call_id:
            return [Message(role="tool", content=self.observation, tool_call_id=self.tool_call_id, name=self.tool_name)]
        return [Message(role="user", content=f"Observation: {self.observation}")]


class FinalAnswerStep(_Step):
    kind: Literal["final"] = "final"
    answer: str
    usage: Usage = Field(default_factory=Usage)

    def to_messages(self) -> list[Message]:
        return [Message(role="assistant", content=self.answer)]


class ErrorStep(_Step):
    """A failure caused by the model or the environment (bad tool arguments, unparsable reply,
    budget exhausted). It goes back into the trajectory as an observation; bugs in agentmem
    raise instead."""

    kind: Literal["error"] = "error"
    error: str
    error_type: str = "ModelError"
    fatal: bool = False

    def to_messages(self) -> list[Message]:
        return [Message(role="user", content=f"Error: {self.error}")]


Step = Annotated[Union[TaskStep, ActionStep, ObservationStep, FinalAnswerStep, ErrorStep], Field(discriminator="kind")]
StepAdapter: TypeAdapter[Any] = TypeAdapter(Step)
StepsAdapter: TypeAdapter[Any] = TypeAdapter(list[Step])


def steps_to_json(steps: list[Any]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in steps])


def steps_from_json(text: str) -> list[Any]:
    return StepsAdapter.validate_json(text)
