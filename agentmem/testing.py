"""Test doubles shipped with the library, for your tests as well as ours.

* :class:`ScriptedLLM`: replies from a queue, records every call, raises
  :class:`~agentmem.errors.ScriptExhaustedError` when called past its script, and
  :meth:`ScriptedLLM.assert_complete` fails when scripted replies were left unused.
* :class:`FunctionLLM`: replies computed by your function from the messages (for replies that
  depend on the prompt; match on typed inputs you control, never on magic strings).
* :class:`HashEmbedder`: deterministic bag-of-hashed-tokens embeddings (similar texts get
  similar vectors), no model download.
* :class:`InMemoryIndex`: exact cosine search over numpy arrays, per namespace.

Example::

    from agentmem.testing import ScriptedLLM
    llm = ScriptedLLM(["first reply", "second reply"])
    ...
    llm.assert_complete()
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import ScriptExhaustedError
from .llm.base import Completion, Message, ToolCall, ToolSpec, Usage, UsageMeter
from .retrieval.base import Hit, matches, normalise_rows

Reply = str | Completion


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


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


_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Deterministic embeddings from hashed word unigrams and bigrams (signed feature hashing).

    Texts sharing words get high cosine similarity, so retrieval tests behave sensibly, yet
    nothing is downloaded and each call costs microseconds.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        toks = _TOKEN.findall(text.lower())
        feats = toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:])]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        return v

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise_rows(np.stack([self._vec(t) for t in texts]))


class InMemoryIndex:
    """Exact cosine search over numpy arrays, one table per namespace. Not persistent."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, tuple[np.ndarray, str, dict[str, Any]]]] = {}

    def upsert(self, namespace: str, ids: list[str], embeddings: np.ndarray, documents: list[str] | None = None, metadatas: list[dict[str, Any]] | None = None) -> None:
        emb = normalise_rows(embeddings)
        if len(ids) != len(emb):
            raise ValueError(f"upsert: {len(ids)} ids but {len(emb)} embeddings")
        table = self._tables.setdefault(namespace, {})
        for i, id_ in enumerate(ids):
            table[id_] = (emb[i], (documents or [""] * len(ids))[i], dict((metadatas or [{}] * len(ids))[i]))

    def query(self, namespace: str, embedding: np.ndarray, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        table = self._tables.get(namespace, {})
        rows = [(id_, v, d, m) for id_, (v, d, m) in table.items() if matches(m, where)]
        if not rows or k <= 0:
            return []
        mat = np.stack([r[1] for r in rows])
        q = normalise_rows(embedding)[0]
        scores = mat @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(id=rows[i][0], score=float(scores[i]), document=rows[i][2], metadata=rows[i][3]) for i in order]

    def delete(self, namespace: str, ids: list[str]) -> None:
        table = self._tables.get(namespace, {})
        for id_ in ids:
            table.pop(id_, None)

    def count(self, namespace: str) -> int:
        return len(self._tables.get(namespace, {}))

    def namespaces(self) -> list[str]:
        return sorted(self._tables)

    def drop(self, namespace: str) -> None:
        self._tables.pop(namespace, None)


class FakeSandbox:
    """A sandbox that runs nothing: it records each call and returns queued (or computed) results.

    ``FakeSandbox([SandboxResult(exit_code=0, stdout="ok")])`` replies in order;
    ``FakeSandbox(fn=lambda call: ...)`` computes the reply from the call (a dict with
    ``script``, ``args``, ``root``, ``stdin``, ``files``, ``limits``). With neither, every run
    succeeds with empty output. :meth:`assert_complete` fails when queued results are unused.
    """

    def __init__(self, results: list[Any] | None = None, *, fn: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.results = list(results or [])
        self.fn = fn
        self.calls: list[dict[str, Any]] = []

    def run(self, script: Any, args: list[str] | None = None, *, root: Any = None, stdin: Any = None, files: dict[str, Any] | None = None, limits: Any = None, collect: list[str] | None = None) -> Any:
        from .sandbox import SandboxResult

        call = {"script": str(script), "args": list(args or []), "root": root, "stdin": stdin, "files": dict(files or {}), "limits": limits, "collect": list(collect or [])}
        self.calls.append(call)
        if self.fn is not None:
            return self.fn(call)
        if self.results:
            return self.results.pop(0)
        return SandboxResult(exit_code=0)

    def assert_complete(self) -> None:
        if self.results:
            raise AssertionError(f"FakeSandbox: {len(self.results)} queued results unused")
