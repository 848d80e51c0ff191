"""Scripted models: replies from a queue (:class:`ScriptedLLM`) or from your function (:class:`FunctionLLM`).

They serve two purposes: reproducible runs (``agentmem run --model scripted:REPLIES.json``
replays recorded replies) and tests (``agentmem.testing`` re-exports them). Both record every
call; :class:`ScriptedLLM` raises :class:`~agentmem.errors.ScriptExhaustedError` when called
past its script and :meth:`ScriptedLLM.assert_complete` fails when replies were left unused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ScriptExhaustedError
from .base import Completion, Message, ToolCall, ToolSpec, Usage, UsageMeter
from ..tokens import approx_tokens as _approx_tokens

Reply = str | Completion


class RecordedCall(dict):
    """What a fake LLM was called with (``messages``, ``tools``, ``stop``, ``response_format``...)."""

    @property
    def prompt(self) -> str:
        return "\n".join(m.content for m in self["messages"])


class _FakeBase:
    supports_tools: bool = True
    supports_response_format: bool = True

    def __init__(self, model: str, *, supports_tools: bool = True, supports_response_format: bool = True) -> None:
        self.model = model
        self.supports_tools = supports_tools
        self.supports_response_format = supports_response_format
        self.calls: list[RecordedCall] = []
        self.usage = UsageMeter()

    def complete(self, messages: list[Message], **kw: Any) -> Completion:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    async def acomplete(self, messages: list[Message], **kw: Any) -> Completion:
        """Async twin of ``complete`` (the fakes answer synchronously)."""
        return self.complete(messages, **kw)

    def _record(self, messages: list[Message], **kw: Any) -> RecordedCall:
        call = RecordedCall(messages=list(messages), **kw)
        self.calls.append(call)
        return call

    def _finish(self, reply: Reply, messages: list[Message], stop: list[str] | None) -> Completion:
        if isinstance(reply, Completion):
            comp = reply.model_copy(deep=True)
        else:
            comp = Completion(text=reply, model=self.model, finish_reason="stop")
        if stop and comp.text:
            cut = min((comp.text.find(s) for s in stop if s in comp.text), default=-1)
            if cut >= 0:
                comp.text = comp.text[:cut]
                comp.finish_reason = "stop"
        if comp.usage.calls == 0:
            comp.usage = Usage(prompt_tokens=sum(_approx_tokens(m.content) for m in messages), completion_tokens=_approx_tokens(comp.text), calls=1)
        comp.model = comp.model or self.model
        self.usage.add(comp.usage)
        return comp


class ScriptedLLM(_FakeBase):
    """A fake LLM that returns queued replies in order.

    Replies may be plain strings or full :class:`Completion` objects (e.g. with tool calls).
    Stop sequences are honoured the way a provider would: the reply is cut at the first stop
    string.
    """

    def __init__(self, replies: list[Reply] | None = None, *, model: str = "scripted", supports_tools: bool = True, supports_response_format: bool = True) -> None:
        super().__init__(model, supports_tools=supports_tools, supports_response_format=supports_response_format)
        self.replies: list[Reply] = list(replies or [])

    def queue(self, *replies: Reply) -> "ScriptedLLM":
        self.replies.extend(replies)
        return self

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[ToolSpec] | None = None,
        stop: list[str] | None = None,
        response_format: dict[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        self._record(messages, tools=tools, stop=stop, response_format=response_format, temperature=temperature, max_tokens=max_tokens)
        if not self.replies:
            raise ScriptExhaustedError(f"ScriptedLLM({self.model!r}) called {len(self.calls)} times but only scripted {len(self.calls) - 1} replies")
        return self._finish(self.replies.pop(0), messages, stop)

    @property
    def remaining(self) -> int:
        return len(self.replies)

    def assert_complete(self) -> None:
        """Fail if scripted replies were left unused."""
        if self.replies:
            raise AssertionError(f"ScriptedLLM({self.model!r}): {len(self.replies)} scripted replies unused (first: {str(self.replies[0])[:80]!r})")


class FunctionLLM(_FakeBase):
    """A fake LLM whose reply is ``fn(messages, info)``; ``info`` has tools, stop, response_format."""

    def __init__(self, fn: Callable[[list[Message], dict[str, Any]], Reply], *, model: str = "function", supports_tools: bool = True, supports_response_format: bool = True) -> None:
        super().__init__(model, supports_tools=supports_tools, supports_response_format=supports_response_format)
        self.fn = fn

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[ToolSpec] | None = None,
        stop: list[str] | None = None,
        response_format: dict[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        info = dict(tools=tools, stop=stop, response_format=response_format, temperature=temperature, max_tokens=max_tokens)
        self._record(messages, **info)
        return self._finish(self.fn(list(messages), info), messages, stop)


def tool_call_reply(name: str, arguments: dict[str, Any], call_id: str = "call_1", text: str = "") -> Completion:
    """A :class:`Completion` carrying one native tool call, for scripting tool-using agents."""
    return Completion(text=text, tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)], finish_reason="tool_calls")
