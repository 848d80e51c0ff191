"""LoCoMo question answering: memory in, short answer out, scored by F1, BLEU-1 and an LLM judge.

Protocol (one QA item at a time, items independent):

1. *Ingest* the conversation into a memory. ``turns``: every turn, rendered the shared way
   (``[<session date>] <speaker>: <text> [image: ...]``, see :mod:`.locomo_data`), indexed
   for hybrid search (BM25 + dense, RRF). ``memskill``: facts written by the MemSkill
   executor (:mod:`.locomo_memskill`).
2. *Recall*: the memory is a :class:`~agentmem.hooks.MemoryHook`; its
   ``before_task`` gets the question as a :class:`~agentmem.environment.TaskSpec`
   and returns the context (top-k turns packed under a token budget, shown in time order).
   In ``full-context`` mode the whole conversation is the context (the baseline).
3. *Answer*: the working LLM reads ``prompts/locomo_answer.j2`` and answers in a few words;
   when the conversation does not say, it must answer "Not mentioned in the conversation"
   (the correct reply to category 5, adversarial, items).
4. *Score*: token F1 and BLEU-1 (:mod:`.qa_metrics`) against the gold answer, and the LLM
   judge (:mod:`.qa_judge`) when a judge model is configured. Category 5 is scored against
   the gold "Not mentioned in the conversation" and by whether the answer declines
   (``refused``); it is reported apart from categories 1-4.

Memory tokens in context are counted per question with :func:`count_tokens` (characters / 4,
rounded up: a provider-neutral estimate, the same for every mode, so modes compare).

Example::

    from agentmem.evals.locomo.qa import LocomoQA, turn_memory_factory
    qa = LocomoQA(llm, turn_memory_factory(embedder, k=10), judge=AnswerJudge(judge_llm))
    record = qa.answer_item(conversation, 0)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentmem.environment import TaskSpec
from agentmem.hooks import MemoryHook, RecallContext
from agentmem.llm.base import LLM, Message, Usage
from agentmem.prompts import PromptLibrary
from agentmem.tokens import approx_tokens
from agentmem.retrieval.base import Embedder, VectorIndex
from agentmem.types import MemoryRecord, Outcome, Recalled, Trust
from agentmem.evals.locomo.data import CATEGORY_NAMES, Conversation, QAItem, Turn
from agentmem.evals.qa_judge import AnswerJudge
from agentmem.evals.qa_metrics import bleu1, says_not_mentioned, token_f1

NOT_MENTIONED = "Not mentioned in the conversation"
QA_CATEGORIES = (1, 2, 3, 4)
ADVERSARIAL = 5


count_tokens = approx_tokens  # the one token estimate (agentmem.tokens), under the name the LoCoMo code uses


_ANSWER_PREFIX = re.compile(r"^\s*(?:final\s+)?answer\s*:\s*", re.IGNORECASE)


def clean_prediction(text: str) -> str:
    """The answer part of a reply: its first non-empty line, without an ``Answer:`` prefix."""
    for line in (text or "").splitlines():
        line = _ANSWER_PREFIX.sub("", line).strip()
        if line:
            return line
    return ""


def item_id(conversation: Conversation, qa_index: int) -> str:
    """Stable id of one QA item: ``<sample_id>#<index in the file>``."""
    return f"{conversation.sample_id}#{qa_index}"


def gold_answer(qa: QAItem) -> str:
    """The answer a correct system gives: the gold answer, or :data:`NOT_MENTIONED` for category 5."""
    return NOT_MENTIONED if qa.category == ADVERSARIAL else qa.answer


def _turn_record(conv: Conversation, turn: Turn) -> MemoryRecord:
    return MemoryRecord(
        id=turn.dia_id,
        store="turns",
        title=f"{conv.sample_id} {turn.dia_id}",
        text=turn.render(),
        namespace=f"locomo/{conv.sample_id}",
        trust=Trust.untrusted,
        metadata={"session": turn.session, "index": turn.index, "speaker": turn.speaker},
    )


def _chronological(items: list[Recalled]) -> list[Recalled]:
    return sorted(items, key=lambda r: (r.record.metadata.get("session", 0), r.record.metadata.get("index", 0)))


class ConversationTurns:
    """The raw turns of one conversation as a transient, read-only store that unified recall reads.

    Hybrid search (or ``bm25`` / ``dense``) over the turns, scores relative to the best hit,
    each turn costing its token estimate plus one (its line break). The corpus is transient (a
    few hundred turns per conversation), so the default index is exact in-process cosine search.
    It has no ``root``: the reflective controller never writes it. Recall renders the kept
    turns in time order (:meth:`render_recalled`).
    """

    name = "turns"
    root = None

    def __init__(self, conversation: Conversation, embedder: Embedder, *, index: VectorIndex | None = None, search_mode: Literal["hybrid", "bm25", "dense"] = "hybrid") -> None:
        from agentmem.retrieval.hybrid import HybridIndex

        if index is None:
            from agentmem.retrieval.memory_index import InMemoryIndex

            index = InMemoryIndex()
        self.conversation = conversation
        self.search_mode = search_mode
        self.namespace = f"locomo/{conversation.sample_id}"
        self._records = {t.dia_id: _turn_record(conversation, t) for t in conversation.turns}
        self._hx = HybridIndex(f"locomo-turns-{conversation.sample_id}", embedder, index)
        self._hx.index.drop(self._hx.collection)
        ids = list(self._records)
        self._hx.upsert(ids, [self._records[i].text for i in ids], [{"session": self._records[i].metadata["session"]} for i in ids])

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        hits = self._hx.search(query, k=k, mode=self.search_mode)
        top = hits[0].score if hits else 1.0
        out = []
        for h in hits:
            rec = self._records[h.id]
            out.append(Recalled(record=rec, score=h.score / top if top else 0.0, tokens=count_tokens(rec.text) + 1, reasons=[self.search_mode]))
        return out

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        return list(self._records.values())

    def get_record(self, item_id: str) -> MemoryRecord | None:
        return self._records.get(item_id)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return "\n".join(r.record.text for r in _chronological(items))


def TurnMemory(conversation: Conversation, embedder: Embedder, *, index: VectorIndex | None = None, k: int = 10, budget_tokens: int = 2000,  # noqa: N802 - former class name
               search_mode: Literal["hybrid", "bm25", "dense"] = "hybrid", settings: Any = None) -> Any:
    """Raw-turn memory of one conversation: the one memory hook (``Memory``) configured by the ``locomo_turns``
    profile over :class:`ConversationTurns`. ``before_task`` (``Memory.recall``) takes the top ``k`` turns
    for the question, keeps them in score order while they fit ``budget_tokens``, and shows the kept
    ones in time order."""
    from agentmem.profiles import memory_for
    from agentmem.settings import Settings

    turns = ConversationTurns(conversation, embedder, index=index, search_mode=search_mode)
    return memory_for(settings or Settings.load(), "locomo_turns", stores=[turns], namespace=turns.namespace,
                      overrides={"store_limits": {"turns": k}, "budget_tokens": budget_tokens})


class FullContextMemory:
    """The baseline: the whole conversation, session by session, in context for every question."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        lines: list[str] = []
        session = None
        for t in conversation.turns:
            if t.session != session:
                session = t.session
                lines.append(f"--- Session {t.session} ({t.date}) ---")
            lines.append(t.render())
        self.text = "\n".join(lines)
        self.tokens = count_tokens(self.text)

    def before_task(self, task: TaskSpec) -> RecallContext:
        return RecallContext(text=self.text, items=[], tokens=self.tokens)

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        """Nothing to learn."""


MemoryFactory = Callable[[Conversation], MemoryHook]


def turn_memory_factory(embedder: Embedder, *, k: int = 10, budget_tokens: int = 2000, search_mode: Literal["hybrid", "bm25", "dense"] = "hybrid", settings: Any = None) -> MemoryFactory:
    """A factory of :func:`TurnMemory` for each conversation."""
    return lambda conv: TurnMemory(conv, embedder, k=k, budget_tokens=budget_tokens, search_mode=search_mode, settings=settings)


class QARecord(BaseModel):
    """The result of one LoCoMo QA item (one JSONL line of a run)."""

    id: str
    sample_id: str
    qa_index: int
    category: int
    category_name: str
    question: str
    gold: str
    adversarial_answer: str | None = None
    prediction: str = ""
    f1: float = 0.0
    bleu1: float = 0.0
    refused: bool = Field(default=False, description="The answer says the conversation does not contain it.")
    judge: bool | None = Field(default=None, description="LLM-judge verdict; None when not judged.")
    judge_reason: str = ""
    memory_tokens: int = 0
    recalled_ids: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    evidence_in_context: float | None = Field(default=None, description="Fraction of the evidence turns (ids that name a turn) among the recalled items (raw-turn memory only).")
    usage: Usage = Field(default_factory=Usage)
    judge_usage: Usage = Field(default_factory=Usage)
    error: str | None = None


class LocomoQA:
    """Answers LoCoMo questions with a memory and scores them (one item at a time; no global state)."""

    def __init__(self, llm: LLM, memory_factory: MemoryFactory, *, judge: AnswerJudge | None = None, prompts: PromptLibrary | None = None, full_context: bool = False, answer_max_tokens: int = 64,
                 split: str = "test") -> None:
        self.llm = llm
        #: the write gate's split of the questions (``test``: the scored questions are never training data)
        self.split = split
        self.memory_factory = memory_factory
        self.judge = judge
        self.prompts = prompts or PromptLibrary()
        self.full_context = full_context
        self.answer_max_tokens = answer_max_tokens
        self._memories: dict[str, MemoryHook] = {}
        self._lock = threading.Lock()
        self._ids: dict[str, set[str]] = {}

    def memory_for(self, conversation: Conversation) -> MemoryHook:
        """The ingested memory of ``conversation`` (built once, then reused; safe across worker threads)."""
        with self._lock:
            mem = self._memories.get(conversation.sample_id)
            if mem is None:
                mem = self._memories[conversation.sample_id] = self.memory_factory(conversation)
            return mem

    def _turn_ids(self, conversation: Conversation) -> set[str]:
        ids = self._ids.get(conversation.sample_id)
        if ids is None:
            ids = self._ids[conversation.sample_id] = conversation.turn_ids()
        return ids

    def answer_item(self, conversation: Conversation, qa_index: int, llm: LLM | None = None) -> QARecord:
        """Recall, answer and score item ``qa_index`` of ``conversation`` (``llm`` overrides the answering model for this call)."""
        qa = conversation.qa[qa_index]
        task = TaskSpec(id=item_id(conversation, qa_index), instruction=qa.question, topic=qa.category_name, metadata={"sample_id": conversation.sample_id, "category": qa.category, "split": self.split})
        context = self.memory_for(conversation).before_task(task)
        prompt = self.prompts.render("locomo_answer.j2", speaker_a=conversation.speaker_a, speaker_b=conversation.speaker_b, memory_text=context.text or "(nothing recalled)", question=qa.question, full_context=self.full_context)
        comp = (llm or self.llm).complete([Message(role="user", content=prompt)], temperature=0.0, max_tokens=self.answer_max_tokens)
        prediction = clean_prediction(comp.text)
        gold = gold_answer(qa)
        ids = context.item_ids
        evidence_in = None
        valid = [e for e in qa.evidence if e in self._turn_ids(conversation)]
        if ids and valid:
            evidence_in = sum(e in set(ids) for e in valid) / len(valid)
        record = QARecord(
            id=task.id,
            sample_id=conversation.sample_id,
            qa_index=qa_index,
            category=qa.category,
            category_name=qa.category_name,
            question=qa.question,
            gold=gold,
            adversarial_answer=qa.adversarial_answer,
            prediction=prediction,
            f1=token_f1(prediction, gold),
            bleu1=bleu1(prediction, gold),
            refused=says_not_mentioned(prediction),
            memory_tokens=context.tokens or count_tokens(context.text),
            recalled_ids=ids,
            evidence=qa.evidence,
            evidence_in_context=evidence_in,
            usage=comp.usage,
        )
        if self.judge is not None:
            verdict = self.judge.judge(qa.question, gold, prediction, adversarial=qa.category == ADVERSARIAL)
            record.judge, record.judge_reason, record.judge_usage = verdict.correct, verdict.reason, verdict.usage
        return record


def select_items(conversations: Iterable[Conversation], categories: Iterable[int] = (1, 2, 3, 4, 5), limit: int | None = None, per_conversation: int | None = None) -> list[tuple[Conversation, int]]:
    """The (conversation, qa index) pairs to evaluate, in file order."""
    cats = set(categories)
    out: list[tuple[Conversation, int]] = []
    for conv in conversations:
        taken = 0
        for i, qa in enumerate(conv.qa):
            if qa.category not in cats:
                continue
            if per_conversation is not None and taken >= per_conversation:
                break
            out.append((conv, i))
            taken += 1
    return out[:limit] if limit is not None else out


class CategoryScore(BaseModel):
    """Mean scores over one group of questions."""

    label: str
    categories: list[int]
    n: int = 0
    f1: float = 0.0
    bleu1: float = 0.0
    judge_accuracy: float | None = Field(default=None, description="Share judged correct among judged items; None if none judged.")
    judged: int = 0
    refusal_rate: float = 0.0
    memory_tokens: float = Field(default=0.0, description="Mean memory tokens in context per question.")
    evidence_in_context: float | None = None
    errors: int = 0


class LocomoSummary(BaseModel):
    """Per-category and overall scores of a LoCoMo QA run."""

    by_category: list[CategoryScore]
    overall: CategoryScore = Field(..., description="Categories 1-4, averaged over questions (micro).")
    adversarial: CategoryScore | None = Field(default=None, description="Category 5, reported separately.")
    usage: Usage = Field(default_factory=Usage)
    judge_usage: Usage = Field(default_factory=Usage)


def _score(label: str, cats: list[int], records: list[QARecord]) -> CategoryScore:
    ok = [r for r in records if r.error is None]
    n = len(ok)
    judged = [r for r in ok if r.judge is not None]
    ev = [r.evidence_in_context for r in ok if r.evidence_in_context is not None]
    mean = (lambda xs: sum(xs) / len(xs) if xs else 0.0)
    return CategoryScore(
        label=label,
        categories=cats,
        n=n,
        f1=mean([r.f1 for r in ok]),
        bleu1=mean([r.bleu1 for r in ok]),
        judge_accuracy=(sum(bool(r.judge) for r in judged) / len(judged)) if judged else None,
        judged=len(judged),
        refusal_rate=mean([float(r.refused) for r in ok]),
        memory_tokens=mean([float(r.memory_tokens) for r in ok]),
        evidence_in_context=mean(ev) if ev else None,
        errors=len(records) - n,
    )


def summarise(records: Iterable[QARecord]) -> LocomoSummary:
    """Aggregate records per category; ``overall`` is categories 1-4, category 5 apart."""
    recs = list(records)
    cats = sorted({r.category for r in recs})
    by_cat = [_score(f"{c} {CATEGORY_NAMES.get(c, c)}", [c], [r for r in recs if r.category == c]) for c in cats]
    main = [r for r in recs if r.category in QA_CATEGORIES]
    adv = [r for r in recs if r.category == ADVERSARIAL]
    usage, judge_usage = Usage(), Usage()
    for r in recs:
        usage, judge_usage = usage + r.usage, judge_usage + r.judge_usage
    return LocomoSummary(
        by_category=by_cat,
        overall=_score("overall (1-4)", list(QA_CATEGORIES), main),
        adversarial=_score("5 adversarial", [ADVERSARIAL], adv) if adv else None,
        usage=usage,
        judge_usage=judge_usage,
    )


def summary_markdown(summary: LocomoSummary, title: str = "LoCoMo QA") -> str:
    """A Markdown table of the summary (category rows, then overall 1-4 and category 5 apart)."""
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}"

    lines = [f"# {title}", "", "| group | n | F1 | BLEU-1 | judge acc. (judged) | declined | memory tokens/q | evidence in context |", "|---|---|---|---|---|---|---|---|"]
    rows = [s for s in summary.by_category if s.categories != [ADVERSARIAL]] + [summary.overall] + ([summary.adversarial] if summary.adversarial else [])
    for s in rows:
        lines.append(f"| {s.label} | {s.n} | {pct(s.f1)} | {pct(s.bleu1)} | {pct(s.judge_accuracy)} ({s.judged}) | {pct(s.refusal_rate)} | {s.memory_tokens:.0f} | {pct(s.evidence_in_context)} |")
    u = summary.usage
    lines += ["", f"Answer calls: {u.calls}, prompt tokens {u.prompt_tokens}, completion tokens {u.completion_tokens}, cost ${u.cost_usd:.4f}; judge calls: {summary.judge_usage.calls}."]
    return "\n".join(lines) + "\n"
