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

from collections.abc import Callable
from typing import Any

from .llm.scripted import FunctionLLM, RecordedCall, ScriptedLLM, tool_call_reply
from .retrieval.hash_embedder import HashEmbedder
from .retrieval.memory_index import InMemoryIndex

__all__ = ["FakeSandbox", "FunctionLLM", "HashEmbedder", "InMemoryIndex", "RecordedCall", "ScriptedLLM", "tool_call_reply"]

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
