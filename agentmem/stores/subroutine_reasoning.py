"""In-thought retrieval of reasoning subroutines (PAPERS.md section 5, the read side).

The model is told (``prompts/subroutine_reasoning.j2``) to state its current core subquestion
inside ``<subquestion>...</subquestion>`` whenever it is stuck or about to start a new part.
Generation is called with the closing tag as a *stop sequence*; when the model stops there,
the framework searches the subroutine store with that subquestion, inserts the best match
into the trace (``<subroutine>...</subroutine>``, rendered by
``prompts/subroutine_insert.j2``) and calls the model again to continue the same trace. At
most ``max_insertions`` retrievals happen; after that the model is called without the stop
sequence so it finishes. The final answer is read from ``<answer>...</answer>`` (else the last
line).

:meth:`InThoughtReasoner.solve_parallel` runs several samples, each seeded at the start of its
trace with a *different* subroutine retrieved for the task, and aggregates the answers by
majority vote (ties go to the earliest sample).

Works with any :class:`~agentmem.llm.base.LLM` that honours stop sequences (litellm passes
``stop`` to every provider that has it; the shipped fakes honour it). The partial trace goes
back as an assistant message to be continued (``continuation="assistant_prefill"``); for
models that do not continue an assistant turn, ``continuation="user_turn"`` adds a short user
message asking to continue from where the trace stops.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ValidationFailed
from ..llm.base import Message, Usage

if TYPE_CHECKING:
    from ..llm.base import LLM
    from ..prompts import PromptLibrary
    from .subroutines import Subroutine


class SubroutineSource(Protocol):
    """What in-thought retrieval needs from a store (``SubroutineStore`` has it)."""

    def search_pairs(self, query: str, k: int = 5, namespace: str | None = None) -> list[tuple["Subroutine", float]]: ...


class InThoughtConfig(BaseModel):
    """Tunables of in-thought retrieval."""

    model_config = ConfigDict(extra="forbid")

    open_tag: str = "<subquestion>"
    close_tag: str = "</subquestion>"
    insert_open: str = "<subroutine>"
    insert_close: str = "</subroutine>"
    answer_open: str = "<answer>"
    answer_close: str = "</answer>"
    max_insertions: int = Field(default=4, ge=0, description="Retrievals per trace; then the model finishes without the stop sequence.")
    k: int = Field(default=1, ge=1, description="Subroutines inserted per retrieval.")
    min_score: float = Field(default=0.0, description="Hits with a lower cosine are not inserted.")
    max_subquestion_chars: int = Field(default=1000, gt=0, description="Longer stated subquestions are cut to this before searching.")
    max_tokens: int | None = Field(default=None, description="max_tokens per model call (None = the model's default).")
    temperature: float | None = None
    continuation: Literal["assistant_prefill", "user_turn"] = "assistant_prefill"
    namespace: str | None = None


class Insertion(BaseModel):
    """One retrieval inside a trace."""

    subquestion: str
    ids: list[str] = Field(default_factory=list)
    scores: list[float] = Field(default_factory=list)
    text: str = Field(default="", description="What was inserted into the trace.")


class ReasoningTrace(BaseModel):
    """A finished trace: the full text (model output and insertions), the answer, what was inserted."""

    text: str
    answer: str | None
    insertions: list[Insertion] = Field(default_factory=list)
    seed_id: str | None = None
    calls: int = 0
    usage: Usage = Field(default_factory=Usage)


class ParallelResult(BaseModel):
    answer: str | None
    votes: dict[str, int]
    traces: list[ReasoningTrace]


def _norm_answer(a: str) -> str:
    return " ".join(a.strip().lower().split())


class InThoughtReasoner:
    """Runs reasoning with subroutine retrieval inside the trace."""

    def __init__(self, store: SubroutineSource, llm: "LLM", *, config: InThoughtConfig | None = None, prompts: "PromptLibrary | None" = None) -> None:
        self.store = store
        self.llm = llm
        self.config = config or InThoughtConfig()
        if prompts is None:
            from ..prompts import PromptLibrary

            prompts = PromptLibrary()
        self.prompts = prompts

    # -- pieces -------------------------------------------------------------------------------
    def _insert_block(self, pairs: list["Subroutine"]) -> str:
        c = self.config
        return self.prompts.render("subroutine_insert.j2", pairs=pairs, open=c.insert_open, close=c.insert_close).rstrip("\n")

    def retrieve(self, subquestion: str, exclude: set[str]) -> Insertion:
        """The best ``k`` subroutines for ``subquestion`` not already in the trace."""
        c = self.config
        q = subquestion.strip()[: c.max_subquestion_chars]
        hits = self.store.search_pairs(q, k=c.k + len(exclude), namespace=c.namespace) if q else []
        chosen = [(p, s) for p, s in hits if p.id not in exclude and s >= c.min_score][: c.k]
        text = self._insert_block([p for p, _ in chosen])
        return Insertion(subquestion=q, ids=[p.id for p, _ in chosen], scores=[s for _, s in chosen], text=text)

    def _open_subquestion(self, segment: str) -> str | None:
        """The subquestion the model stopped on, if the segment ends inside an open tag."""
        c = self.config
        i = segment.rfind(c.open_tag)
        if i < 0:
            return None
        tail = segment[i + len(c.open_tag) :]
        return None if c.close_tag in tail else tail

    def extract_answer(self, trace: str) -> str | None:
        c = self.config
        found = re.findall(re.escape(c.answer_open) + r"(.*?)" + re.escape(c.answer_close), trace, flags=re.DOTALL)
        if found:
            return found[-1].strip()
        tail = trace.rsplit(c.answer_open, 1)
        if len(tail) == 2 and tail[1].strip():
            return tail[1].strip()
        lines = [ln.strip() for ln in trace.splitlines() if ln.strip()]
        return lines[-1] if lines else None

    def _messages(self, task: str, trace: str) -> list[Message]:
        c = self.config
        system = self.prompts.render("subroutine_reasoning.j2", open_tag=c.open_tag, close_tag=c.close_tag, insert_open=c.insert_open, insert_close=c.insert_close, answer_open=c.answer_open, answer_close=c.answer_close)
        msgs = [Message(role="system", content=system), Message(role="user", content=task)]
        if trace:
            msgs.append(Message(role="assistant", content=trace))
            if c.continuation == "user_turn":
                msgs.append(Message(role="user", content="Continue your reasoning from exactly where it stops above (the last block was inserted for you)."))
        return msgs

    # -- solving ------------------------------------------------------------------------------
    def solve(self, task: str, *, seed: "Subroutine | None" = None) -> ReasoningTrace:
        """Reason about ``task`` with in-thought retrieval; ``seed`` starts the trace with one subroutine."""
        if not task.strip():
            raise ValidationFailed("solve(): the task is empty", [("task", "empty")])
        c = self.config
        trace = ""
        used: set[str] = set()
        if seed is not None:
            trace = self._insert_block([seed]) + "\n"
            used.add(seed.id)
        insertions: list[Insertion] = []
        usage = Usage()
        calls = 0
        while True:
            can_retrieve = len(insertions) < c.max_insertions
            comp = self.llm.complete(self._messages(task, trace), stop=[c.close_tag] if can_retrieve else None, temperature=c.temperature, max_tokens=c.max_tokens)
            calls += 1
            usage = usage + comp.usage
            segment = comp.text
            open_q = self._open_subquestion(segment) if can_retrieve else None
            if open_q is None or comp.finish_reason == "length":
                trace += segment
                break
            ins = self.retrieve(open_q, used)
            used.update(ins.ids)
            insertions.append(ins)
            trace += segment + c.close_tag + "\n" + (ins.text + "\n" if ins.text else "")
        return ReasoningTrace(text=trace, answer=self.extract_answer(trace), insertions=insertions, seed_id=seed.id if seed else None, calls=calls, usage=usage)

    def solve_parallel(self, task: str, samples: int = 3) -> ParallelResult:
        """``samples`` traces, each seeded with a different subroutine retrieved for ``task``
        (fewer hits: the remaining samples start unseeded); majority vote over their answers."""
        if samples <= 0:
            raise ValidationFailed(f"solve_parallel(): samples must be positive, got {samples}", [("samples", str(samples))])
        hits = self.store.search_pairs(task[: self.config.max_subquestion_chars], k=samples, namespace=self.config.namespace)
        seeds: list[Any] = [p for p, s in hits if s >= self.config.min_score]
        traces = [self.solve(task, seed=seeds[i] if i < len(seeds) else None) for i in range(samples)]
        counts: Counter[str] = Counter()
        first: dict[str, tuple[int, str]] = {}
        for i, t in enumerate(traces):
            if t.answer:
                key = _norm_answer(t.answer)
                counts[key] += 1
                first.setdefault(key, (i, t.answer))
        if not counts:
            return ParallelResult(answer=None, votes={}, traces=traces)
        best = max(counts, key=lambda k: (counts[k], -first[k][0]))
        return ParallelResult(answer=first[best][1], votes=dict(counts), traces=traces)
