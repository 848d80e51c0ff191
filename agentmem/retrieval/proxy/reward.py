"""MemSifter's outcome reward over Fibonacci cut-offs, with pluggable task scorers.

``R = sum_n w(n) * (s(F_n) - s_0)`` where ``s(k)`` is the task score with the top-``k``
memories in context, ``s_0`` the score with none, ``F_n`` runs over the Fibonacci cut-offs
1, 2, 3, 5, 8, ... (up to the number of candidates) and
``w(n) = 1/log2(F_n + 1) - 1/log2(F_{n+1} + 1)`` (DCG-style: the top ranks count most).

``s(k)`` comes from a :class:`TaskScorer`. Two ship: :class:`EvidenceRecallScorer` (LoCoMo's
labelled evidence, LLM-free) and :class:`LLMOutcomeScorer` (the working LLM answers with the
top-k memories and a grader scores the answer). Both go through :func:`memsifter_reward`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable


def fibonacci_cutoffs(max_k: int) -> list[int]:
    """Distinct Fibonacci numbers 1, 2, 3, 5, 8, ... not above ``max_k``."""
    out: list[int] = []
    a, b = 1, 2
    while a <= max_k:
        out.append(a)
        a, b = b, a + b
    return out


def _next_fib(f: int) -> int:
    a, b = 1, 2
    while a <= f:
        a, b = b, a + b
    return a


def cutoff_weights(cutoffs: Sequence[int]) -> list[float]:
    """``w(n) = 1/log2(F_n + 1) - 1/log2(F_{n+1} + 1)`` for each cut-off."""
    return [1.0 / math.log2(f + 1) - 1.0 / math.log2(_next_fib(f) + 1) for f in cutoffs]


@runtime_checkable
class TaskScorer(Protocol):
    """``s(k)``: the task score in [0, 1] when the memories ``top_ids`` are in context."""

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        """Score of task ``query_id`` with the memories ``top_ids`` (best first) in context."""
        ...


class EvidenceRecallScorer:
    """LLM-free stand-in: the share of a query's labelled evidence among ``top_ids``."""

    def __init__(self, evidence: dict[str, Sequence[str]], totals: dict[str, int] | None = None) -> None:
        """``totals`` overrides the denominator per query (labelled evidence that no memory holds still counts as missed)."""
        self.evidence = {q: set(ev) for q, ev in evidence.items()}
        self._n = {q: max(len(set(ev)), (totals or {}).get(q, 0)) for q, ev in evidence.items()}

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        ev = self.evidence.get(query_id)
        if not ev:
            return 0.0
        return sum(1 for i in top_ids if i in ev) / self._n[query_id]


class LLMOutcomeScorer:
    """The working LLM's outcome: it answers the task with the memories in context; ``grade`` scores the reply.

    ``tasks`` maps query ids to task texts, ``texts`` memory ids to memory texts;
    ``grade(query_id, reply)`` returns a score in [0, 1] (an exact-match check, a judge, an
    environment's verdict). Scores are memoised per (query, set of ids), so the cut-offs of
    many sampled rankings cost few calls.
    """

    def __init__(self, llm: Any, tasks: dict[str, str], texts: dict[str, str], grade: Callable[[str, str], float], prompts: Any | None = None, max_tokens: int = 256) -> None:
        from ...prompts import PromptLibrary

        self.llm, self.tasks, self.texts, self.grade = llm, tasks, texts, grade
        self.prompts = prompts or PromptLibrary()
        self.max_tokens = max_tokens
        self._memo: dict[tuple[str, frozenset[str]], float] = {}

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        from ...llm.base import user

        key = (query_id, frozenset(top_ids))
        if key not in self._memo:
            memories = [self.texts[i] for i in top_ids if i in self.texts]
            prompt = self.prompts.render("proxy_answer.j2", task=self.tasks[query_id], memories=memories)
            reply = self.llm.complete([user(prompt)], max_tokens=self.max_tokens)
            self._memo[key] = float(min(1.0, max(0.0, self.grade(query_id, reply.text))))
        return self._memo[key]


def memsifter_reward(query_id: str, ranking: Sequence[str], scorer: TaskScorer, s0: float | None = None, cutoffs: Sequence[int] | None = None) -> float:
    """MemSifter's reward of one ranking (ids, best first) for task ``query_id``."""
    cuts = list(cutoffs) if cutoffs is not None else fibonacci_cutoffs(len(ranking))
    if not cuts:
        return 0.0
    base = scorer.score(query_id, []) if s0 is None else s0
    return sum(w * (scorer.score(query_id, ranking[:f]) - base) for f, w in zip(cuts, cutoff_weights(cuts)))
