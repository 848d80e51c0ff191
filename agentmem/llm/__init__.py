"""LLM layer: protocol, litellm adapter (lazy), structured output and tool-calling helpers."""

from .base import LLM, Completion, Message, ToolCall, ToolSpec, Usage, UsageMeter, assistant, system, user

__all__ = ["LLM", "Completion", "Message", "ToolCall", "ToolSpec", "Usage", "UsageMeter", "assistant", "system", "user"]
