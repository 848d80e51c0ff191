"""The LLM proxy: a (usually cheaper) litellm model reasons about the task, then ranks the shortlist.

The model sees the task and the numbered candidates (``prompts/proxy_rank.j2``) and ends its
reply with a ranking such as ``[3] > [1] > [7]``. :func:`parse_ranking` is strict about indices
and tolerant of prose: it reads the last line that holds bracketed numbers (preferring one
marked ``RANKING:``), keeps in-range first occurrences, and reports unknown or repeated
indices as dropped. Candidates the model did not rank follow in their stage-1 order. A reply
with no usable index, or a failed call, falls back to the stage-1 order with the reason in
the report (never an exception mid-run).

Example::

    proxy = LLMProxy(llm)                 # any agentmem.llm.base.LLM
    result = proxy.rerank(task_text, shortlist)
    result.report.dropped                 # e.g. ["[9] unknown", "[3] repeated"]
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from ...errors import LLMError
from ...types import Recalled
from .base import ProxyReport, ProxyResult, rescore

_BRACKET = re.compile(r"\[\s*(-?\d+)\s*\]")


class ParsedRanking(BaseModel):
    order: list[int] = Field(default_factory=list, description="Valid, distinct 1-based indices, best first.")
    dropped: list[str] = Field(default_factory=list)
    reasoning: str = ""


def parse_ranking(text: str, n: int) -> ParsedRanking:
    """Parse ``[3] > [1] > [7]`` (1-based indices into ``n`` candidates) out of a free-text reply."""
    lines = [ln for ln in (text or "").splitlines() if _BRACKET.search(ln)]
    if not lines:
        return ParsedRanking(reasoning=(text or "").strip())
    marked = [ln for ln in lines if re.search(r"ranking\s*:", ln, re.I)]
    line = (marked or lines)[-1]
    order: list[int] = []
    dropped: list[str] = []
    for m in _BRACKET.finditer(line):
        i = int(m.group(1))
        if not 1 <= i <= n:
            dropped.append(f"[{i}] unknown")
        elif i in order:
            dropped.append(f"[{i}] repeated")
        else:
            order.append(i)
    reasoning = (text or "").replace(line, "").strip()
    return ParsedRanking(order=order, dropped=dropped, reasoning=reasoning)


class LLMProxy:
    """Reranks a shortlist with a language model (MemSifter stage 2, LLM variant)."""

    name = "llm"

    def __init__(self, llm: Any, prompts: Any | None = None, limit: int | None = None, max_chars: int = 400, max_tokens: int = 512) -> None:
        from ...prompts import PromptLibrary

        self.llm = llm
        self.prompts = prompts or PromptLibrary()
        self.limit = limit
        self.max_chars = max_chars
        self.max_tokens = max_tokens

    def render(self, query: str, candidates: list[Recalled]) -> str:
        cands = [{"index": j + 1, "store": c.record.store, "text": c.record.text[: self.max_chars]} for j, c in enumerate(candidates)]
        return self.prompts.render("proxy_rank.j2", task=query, candidates=cands, limit=min(self.limit or len(candidates), len(candidates)))

    def rerank(self, query: str, candidates: list[Recalled]) -> ProxyResult:
        from ...llm.base import user

        if not candidates or not query.strip():
            return ProxyResult(items=list(candidates), report=ProxyReport(proxy=self.name, fallback="empty query or shortlist" if candidates else None))
        try:
            reply = self.llm.complete([user(self.render(query, candidates))], temperature=0.0, max_tokens=self.max_tokens)
        except LLMError as exc:
            return ProxyResult(items=list(candidates), report=ProxyReport(proxy=self.name, fallback=f"proxy model call failed: {exc}"))
        parsed = parse_ranking(reply.text, len(candidates))
        if not parsed.order:
            return ProxyResult(items=list(candidates), report=ProxyReport(proxy=self.name, fallback="no valid ranking in the proxy's reply", dropped=parsed.dropped, reasoning=parsed.reasoning))
        ranked = [candidates[i - 1] for i in parsed.order]
        rest = [c for j, c in enumerate(candidates) if j + 1 not in parsed.order]
        return ProxyResult(items=rescore(ranked + rest, "proxy:llm"), report=ProxyReport(proxy=self.name, dropped=parsed.dropped, reasoning=parsed.reasoning))
