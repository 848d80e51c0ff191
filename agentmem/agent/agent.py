"""An :class:`Agent` is plain configuration: which model, which tools, which memory, what budgets.

It does nothing by itself; :class:`agentmem.agent.runner.Runner` executes it. The model is a
litellm model string (resolved with :func:`agentmem.llm.factory.make_llm` at run time) or any
:class:`~agentmem.llm.base.LLM` instance (a fake in tests). Instances, tools and the memory
hook are not serialised; ``agent.model_dump()`` gives the model *name* and the tool *names*.

Example::

    from agentmem.agent import Agent, Runner
    from agentmem.llm.tools import tool

    @tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.\"\"\"
        return a + b

    agent = Agent(name="calc", model="openai/gpt-4o-mini", tools=[add], max_steps=5)
    result = Runner(settings).run(agent, "What is 2 + 40?")
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from ..llm.base import LLM
from ..llm.tools import Tool


class Agent(BaseModel):
    """Configuration of one agent (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    name: str = Field(default="agent", description="Shown to the model in the system prompt and recorded in the run log.")
    model: str | Any | None = Field(default=None, description="litellm model string or an LLM instance; None = the settings' llm.model.")
    instructions: str = Field(default="", description="Extra system instructions (the role, the answer format).")
    tools: list[Tool] = Field(default_factory=list, description="Python tools (agentmem.llm.tools.tool; plain typed functions are wrapped), besides the environment's actions.")
    memory: Any | None = Field(default=None, exclude=True, description="A MemoryHook (before_task / after_task), or None for no memory.")
    max_steps: int | None = Field(default=None, gt=0, description="Model turns allowed; None = settings.agent.max_steps.")
    max_tokens: int | None = Field(default=None, gt=0, description="Prompt + completion tokens allowed per run; None = settings.agent.max_tokens (unbounded when unset).")
    max_seconds: float | None = Field(default=None, gt=0, description="Wall-clock seconds allowed per run; None = settings.agent.max_seconds.")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="Sampling temperature; None = the LLM's default.")
    max_tokens_per_call: int | None = Field(default=None, gt=0, description="Completion tokens per model call; None = the LLM's default.")
    use_native_tools: bool | None = Field(default=None, description="Force native tool calls (True) or the ReAct text protocol (False); None = llm.supports_tools.")

    @field_validator("model")
    @classmethod
    def _check_model(cls, v: Any) -> Any:
        if v is None or isinstance(v, str) or isinstance(v, LLM):
            return v
        raise ValueError(f"expected a model string or an object implementing agentmem.llm.base.LLM, got {type(v).__name__}")

    @field_validator("memory")
    @classmethod
    def _check_memory(cls, v: Any) -> Any:
        from agentmem.hooks import MemoryHook

        if v is None or isinstance(v, MemoryHook):
            return v
        raise ValueError(f"expected an object with before_task() and after_task() (agentmem.hooks.MemoryHook), got {type(v).__name__}")

    @field_validator("tools", mode="before")
    @classmethod
    def _wrap_functions(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [t if isinstance(t, Tool) or not callable(t) else Tool(t) for t in v]
        return v

    @field_validator("tools")
    @classmethod
    def _unique_tools(cls, v: list[Tool]) -> list[Tool]:
        names = [t.name for t in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate tool names: {', '.join(dupes)}")
        return v

    @field_serializer("model")
    def _ser_model(self, v: Any) -> str | None:
        return v if v is None or isinstance(v, str) else str(getattr(v, "model", type(v).__name__))

    @field_serializer("tools")
    def _ser_tools(self, v: list[Tool]) -> list[str]:
        return [t.name for t in v]

    @property
    def model_name(self) -> str | None:
        """The model string (an instance's ``.model``), or None when unset."""
        return self._ser_model(self.model)
