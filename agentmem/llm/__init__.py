"""LLM layer: protocol, litellm adapter (lazy), structured output and tool-calling helpers.

``make_llm`` (settings -> LLM), ``structured`` (pydantic output with one repair), ``tool`` /
``Tool`` (typed Python functions as tools) are the entry points; litellm itself is only
imported when a :class:`~agentmem.llm.litellm_adapter.LiteLLM` is built.
"""

from .base import LLM, Completion, Message, ToolCall, ToolSpec, Usage, UsageMeter, assistant, system, user
from .factory import make_llm
from .structured import StructuredResult, structured, structured_result
from .tools import Tool, tool

__all__ = [
    "LLM", "Completion", "Message", "StructuredResult", "Tool", "ToolCall", "ToolSpec", "Usage", "UsageMeter",
    "assistant", "make_llm", "structured", "structured_result", "system", "tool", "user",
]
