"""``agentmem eval locomo``: the LoCoMo QA harness on the shared evaluation framework.

One :class:`~agentmem.evals.core.EvalTask` per QA item (id ``<sample_id>#<index>``,
category ``"<n> <name>"``); the solve function answers it with :class:`.locomo_qa.LocomoQA`
and returns token F1 as the score, with BLEU-1, the judge verdict (when a judge model is set),
whether the answer declined, and memory tokens in context as metrics. The full
:class:`.locomo_qa.QARecord` is kept in each record's ``detail``, so
:func:`summary_from_report` rebuilds the LoCoMo table (categories 1-4 overall, category 5
apart) from ``results.json``.

Example::

    harness = LocomoHarness(load_locomo(), llm=llm, mode="rag", embedder=make_embedder(settings))
    report = run_eval(cfg, harness.tasks(), harness.solve, llm=llm)
    print(summary_from_report(report))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from agentmem.errors import ConfigError
from agentmem.llm.base import LLM
from agentmem.retrieval.base import Embedder
from agentmem.evals.locomo.data import Conversation
from agentmem.evals.locomo.qa import FullContextMemory, LocomoQA, MemoryFactory, QARecord, item_id, select_items, summarise, summary_markdown, turn_memory_factory
from agentmem.evals.qa_judge import AnswerJudge

Mode = Literal["rag", "full-context"]
Ingest = Literal["turns", "memskill"]


class LocomoHarness:
    """LoCoMo QA items plus the answering pipeline; :meth:`solve` is the framework's solve function."""

    def __init__(
        self,
        conversations: list[Conversation],
        *,
        llm: LLM | None = None,
        mode: Mode = "rag",
        ingest: Ingest = "turns",
        embedder: Embedder | None = None,
        memory_factory: MemoryFactory | None = None,
        judge_llm: LLM | None = None,
        k: int = 10,
        budget_tokens: int = 2000,
        categories: Iterable[int] = (1, 2, 3, 4, 5),
        per_conversation: int | None = None,
    ) -> None:
        if mode not in ("rag", "full-context"):
            raise ConfigError(f"--mode {mode!r}: expected 'rag' or 'full-context'")
        if ingest not in ("turns", "memskill"):
            raise ConfigError(f"--ingest {ingest!r}: expected 'turns' or 'memskill'")
        self.conversations = conversations
        self.items = select_items(conversations, categories, per_conversation=per_conversation)
        if mode == "full-context":
            factory: Any = FullContextMemory
        elif memory_factory is not None:
            factory = memory_factory
        elif ingest == "memskill":
            raise ConfigError("LocomoHarness: --ingest memskill needs a memory_factory (agentmem.evals.locomo.memskill.memskill_memory_factory)")
        else:
            if embedder is None:
                raise ConfigError("LocomoHarness: --mode rag with --ingest turns needs an embedder")
            factory = turn_memory_factory(embedder, k=k, budget_tokens=budget_tokens)
        self.llm = llm
        self.qa = LocomoQA(llm, factory, judge=AnswerJudge(judge_llm) if judge_llm is not None else None, full_context=mode == "full-context")  # type: ignore[arg-type]

    def tasks(self) -> list[Any]:
        from agentmem.evals.core import EvalTask

        return [EvalTask(id=item_id(conv, i), category=f"{conv.qa[i].category} {conv.qa[i].category_name}", payload=(conv, i), metadata={"split": self.qa.split}) for conv, i in self.items]

    def answer(self, conversation: Conversation, qa_index: int, llm: LLM | None = None) -> QARecord:
        model = llm or self.llm
        if model is None:
            raise ConfigError("eval locomo needs a model for answering: pass --model (the LLM-free path is --retrieval-only)")
        return self.qa.answer_item(conversation, qa_index, llm=model)

    def solve(self, task: Any, ctx: Any) -> Any:
        from agentmem.evals.core import TaskOutcome

        conv, idx = task.payload
        rec = self.answer(conv, idx, llm=getattr(ctx, "llm", None))
        metrics = {"f1": rec.f1, "bleu1": rec.bleu1, "declined": float(rec.refused), "memory_tokens": float(rec.memory_tokens)}
        if rec.judge is not None:
            metrics["judge"] = float(rec.judge)
        if rec.evidence_in_context is not None:
            metrics["evidence_in_context"] = rec.evidence_in_context
        return TaskOutcome(score=rec.f1, success=bool(rec.judge) if rec.judge is not None else rec.f1 >= 0.5, metrics=metrics, detail={"qa": rec.model_dump(mode="json")})


def records_from_report(report: Any) -> list[QARecord]:
    """The :class:`QARecord` of every answered item of a framework run."""
    return [QARecord.model_validate(t["detail"]["qa"]) for t in report.tasks if t.get("detail", {}).get("qa")]


def summary_from_report(report: Any) -> str:
    """LoCoMo's table (per category; categories 1-4 overall; category 5 apart) for a finished run."""
    opts = report.config.get("options", {})
    return summary_markdown(summarise(records_from_report(report)), title=f"LoCoMo QA (mode={opts.get('mode')}, ingest={opts.get('ingest')}, model={report.config.get('model')})")
