"""Stage 2 of recall: a proxy reorders the stage-1 shortlist.

A :class:`Proxy` takes the task text and the shortlisted :class:`~agentmem.types.Recalled`
items (best first by stage-1 score) and returns a :class:`ProxyResult`: the same items
reordered, with new scores in [0, 1], plus a report (what it dropped, whether it fell back to
the stage-1 order and why). Two proxies ship: :class:`~agentmem.retrieval.proxy.llm_proxy.LLMProxy`
and :class:`~agentmem.retrieval.proxy.trained.TrainedProxy`; :class:`HybridOrder` is the
identity proxy every fallback lands on.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ...errors import ConfigError
from ...types import Recalled


class ProxyCheckpointError(ConfigError):
    """A proxy checkpoint is missing, unreadable or from another version/embedder."""


class ProxyReport(BaseModel):
    proxy: str
    fallback: str | None = Field(default=None, description="Why the stage-1 order was kept, if it was.")
    dropped: list[str] = Field(default_factory=list, description="Ranking tokens the parser dropped (unknown or repeated indices).")
    reasoning: str = ""


class ProxyResult(BaseModel):
    items: list[Recalled]
    report: ProxyReport


@runtime_checkable
class Proxy(Protocol):
    name: str

    def rerank(self, query: str, candidates: list[Recalled]) -> ProxyResult: ...


def rescore(items: list[Recalled], reason: str) -> list[Recalled]:
    """Give reordered items scores 1, ..., 1/n by their new position (normalised, [0, 1])."""
    n = len(items)
    return [Recalled.model_construct(record=r.record, score=1.0 - j / n, tokens=r.tokens, reasons=[*r.reasons, reason]) for j, r in enumerate(items)]


class HybridOrder:
    """The identity proxy: keeps the stage-1 (hybrid) order. Every fallback lands here."""

    name = "hybrid"

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason

    def rerank(self, query: str, candidates: list[Recalled]) -> ProxyResult:
        return ProxyResult(items=list(candidates), report=ProxyReport(proxy=self.name, fallback=self.reason))
