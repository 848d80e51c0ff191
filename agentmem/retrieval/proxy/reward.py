"""MemSifter's outcome reward over Fibonacci cut-offs, with pluggable task scorers.

``R = sum_n w(n) * (s(F_n) - s_0)`` where ``s(k)`` is the task score with the top-``k``
memories in context, ``s_0`` the score with none, ``F_n`` runs over the Fibonacci cut-offs
1, 2, 3, 5, 8, ... (up to the number of candidates) and
``w(n) = 1/log2(F_n + 1) - 1/log2(F_{n+1} + 1)`` (DCG-style: the top ranks count most).

``s(k)`` comes from a :class:`TaskScorer`. Three ship, all through :func:`memsifter_reward`:

* :class:`EvidenceRecallScorer`: the share of labelled evidence in the top k (gold labels; a
  user never has them, so figures trained on it are the gold-label row of the benchmark);
* :class:`ReaderScorer`: the outcome without gold labels and without an LLM: an extractive
  reader answers with the best span of the top-k memories, scored by token F1 against the
  task's reference answer (``s(k)`` = the best span F1 over the top k; ``s_0`` = 0);
* :class:`LLMOutcomeScorer`: the working LLM answers with the top-k memories and a grader
  (token F1 against the reference, an LLM judge, an environment's verdict) scores the reply.

:func:`outcome_scorer` picks between the last two: the reader when no model is configured,
the LLM when one is.
"""

from __future__ import annotations

import math
import re
from collections import Counter
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


_WORD = re.compile(r"[a-z0-9]+")
_ARTICLES = frozenset({"a", "an", "the", "and", "or", "of"})


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: lower case, punctuation dropped, articles (and ``and``/``or``/``of``) removed."""
    return [w for w in _WORD.findall(str(text).lower()) if w not in _ARTICLES]


def token_f1(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """Token-level F1 of two token lists (multiset overlap), 0 when either is empty."""
    if not prediction or not reference:
        return 0.0
    common = Counter(prediction) & Counter(reference)
    same = sum(common.values())
    if same == 0:
        return 0.0
    p, r = same / len(prediction), same / len(reference)
    return 2 * p * r / (p + r)


def best_span_f1(text: str, reference: str, slack: int = 3) -> float:
    """Best token F1 of ``reference`` against any contiguous span of ``text`` (spans up to
    ``len(reference) + slack`` tokens): what an extractive reader scores with this memory."""
    ref = answer_tokens(reference)
    toks = answer_tokens(text)
    if not ref or not toks:
        return 0.0
    refset = set(ref)
    best = 0.0
    longest = min(len(toks), len(ref) + slack)
    for i, w in enumerate(toks):
        if w not in refset:
            continue  # a best span starts on a shared token
        for j in range(i + 1, min(len(toks), i + longest) + 1):
            if toks[j - 1] in refset:
                best = max(best, token_f1(toks[i:j], ref))
    return best


class ReaderScorer:
    """The LLM-free outcome: an extractive reader answers from the top-k memories.

    ``references`` maps task ids to their reference answers, ``texts`` memory ids to texts.
    ``s(k)`` is the best :func:`best_span_f1` over the top k memories (the reader picks its
    best span), so a ranking earns reward as soon as a memory that states the answer enters
    the top k, and more the higher it sits (through the Fibonacci/DCG weights). No evidence
    label is read. Per-memory scores are memoised, so sampled rankings cost nothing extra.
    """

    name = "reader-span-f1"

    def __init__(self, references: dict[str, str], texts: dict[str, str], slack: int = 3, tasks: dict[str, str] | None = None, question_weight: float = 0.0,
                 scope: Callable[[str], str] | None = None) -> None:
        """``tasks`` (task id -> task text), when given, breaks ties in :meth:`pseudo_relevant`:
        among memories with the same answer score the reader prefers the one sharing more task words.

        ``question_weight`` in [0, 1] makes the reader question-aware: a memory's answer score is
        scaled by ``(1 - question_weight) + question_weight * c``, where ``c`` is the share of the
        task's content words the memory holds (a reader reads the answer where the question's
        words are; 0 = the answer anywhere counts in full).

        ``scope`` maps a task id to the namespace its memory ids live in, when ids repeat across
        corpora (LoCoMo's turn ids ``D1:3`` exist in every conversation): memory ``i`` of task
        ``q`` is then read from ``texts[f"{scope(q)}/{i}"]``. Without it ids must be unique."""
        if not 0.0 <= question_weight <= 1.0:
            raise ValueError(f"question_weight={question_weight}: expected a value in [0, 1]")
        self.references, self.texts, self.slack = references, texts, slack
        self.tasks = tasks or {}
        self.question_weight = question_weight
        self.scope = scope
        self._memo: dict[tuple[str, str], float] = {}

    def text_of(self, query_id: str, item_id: str) -> str:
        """The text of memory ``item_id`` as task ``query_id`` sees it ("" when unknown)."""
        if self.scope is not None:
            return self.texts.get(f"{self.scope(query_id)}/{item_id}", "")
        return self.texts.get(item_id, "")

    def item_score(self, query_id: str, item_id: str) -> float:
        key = (query_id, item_id)
        if key not in self._memo:
            ref = self.references.get(query_id, "")
            text = self.text_of(query_id, item_id)
            f1 = best_span_f1(text, ref, self.slack) if ref and text else 0.0
            if f1 > 0 and self.question_weight > 0:
                f1 *= (1.0 - self.question_weight) + self.question_weight * self._coverage(query_id, text)
            self._memo[key] = f1
        return self._memo[key]

    def _coverage(self, query_id: str, text: str) -> float:
        from .features import analyse, content_words

        words = set(content_words(self.tasks.get(query_id, "")))
        return len(words & analyse(text)[1]) / len(words) if words else 1.0

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        return max((self.item_score(query_id, i) for i in top_ids), default=0.0)

    def pseudo_relevant(self, query_id: str, ids: Sequence[str], floor: float = 0.3, share: float = 0.75, limit: int = 5) -> list[str]:
        """Memories the reader answers best from (score >= max(floor, share * best)), at most ``limit``:
        the outcome's stand-in for relevance labels (used for warm starts and the query adapter)."""
        task = set(answer_tokens(self.tasks.get(query_id, "")))

        def overlap(i: str) -> float:
            return len(task & set(answer_tokens(self.text_of(query_id, i)))) / len(task) if task else 0.0

        scored = sorted(((self.item_score(query_id, i), i) for i in ids), key=lambda t: -t[0])
        if not scored or scored[0][0] < floor:
            return []
        bar = max(floor, share * scored[0][0])
        kept = [(s, i) for s, i in scored if s >= bar]
        kept.sort(key=lambda t: (-round(t[0], 6), -overlap(t[1])))
        return [i for _, i in kept[:limit]]


def f1_grade(references: dict[str, str]) -> Callable[[str, str], float]:
    """A grader for :class:`LLMOutcomeScorer`: token F1 of the reply against the reference answer."""
    return lambda qid, reply: token_f1(answer_tokens(reply), answer_tokens(references.get(qid, "")))


def outcome_scorer(references: dict[str, str], tasks: dict[str, str], texts: dict[str, str], llm: Any | None = None, grade: Callable[[str, str], float] | None = None, prompts: Any | None = None) -> TaskScorer:
    """The outcome seam: :class:`ReaderScorer` when no model is configured, else :class:`LLMOutcomeScorer`
    (the model answers with the memories; ``grade`` defaults to token F1 against the reference, or pass an LLM judge)."""
    if llm is None:
        return ReaderScorer(references, texts)
    return LLMOutcomeScorer(llm, tasks, texts, grade or f1_grade(references), prompts=prompts)


def memsifter_reward(query_id: str, ranking: Sequence[str], scorer: TaskScorer, s0: float | None = None, cutoffs: Sequence[int] | None = None) -> float:
    """MemSifter's reward of one ranking (ids, best first) for task ``query_id``."""
    cuts = list(cutoffs) if cutoffs is not None else fibonacci_cutoffs(len(ranking))
    if not cuts:
        return 0.0
    base = scorer.score(query_id, []) if s0 is None else s0
    return sum(w * (scorer.score(query_id, ranking[:f]) - base) for f, w in zip(cuts, cutoff_weights(cuts)))
