"""LoCoMo ingestion by MemSkill: the executor writes facts, QA recalls them (``--ingest memskill``).

For each conversation, every session (its turns rendered the shared way, one per line) is
memorised by :class:`agentmem.learning.memskill.pipeline.MemSkillMemory`: spans of about 512
tokens with 64 overlap, top-K memory skills picked by the controller for each span (the trained
checkpoint under ``<home>/checkpoints/memskill`` when there is one, else an untrained policy),
and one executor call per span that INSERTs, UPDATEs or DELETEs facts. The facts of one
conversation live in their own :class:`~agentmem.stores.facts.FactStore` under
``<root>/<sample_id>`` (never in the home's own fact store), with a marker written when all
sessions are in, so a rerun reuses a finished ingestion and redoes an interrupted one.

:func:`fact_memory` is the memory QA reads: the one memory hook (``Memory``) configured by the
``locomo_facts`` profile, recalling the top-k facts for the question in score order while they
fit the token budget (it replaces the ``FactMemory`` hook class, which had its own reader).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from agentmem.hooks import MemoryHook
from agentmem.errors import ConfigError
from agentmem.fileio import atomic_write_json, read_json
from agentmem.llm.base import LLM, Usage
from agentmem.evals.locomo.data import Conversation
from agentmem.evals.locomo.qa import MemoryFactory


def session_texts(conversation: Conversation) -> list[tuple[int, str, str]]:
    """``(session, date, text)`` per session, turns rendered one per line."""
    out: list[tuple[int, str, str]] = []
    for s in sorted({t.session for t in conversation.turns}):
        turns = [t for t in conversation.turns if t.session == s]
        out.append((s, conversation.session_dates.get(s, ""), "\n".join(t.render() for t in turns)))
    return out


def fact_memory(settings: Any, store: Any, namespace: str, *, k: int = 10, budget_tokens: int = 2000) -> Any:
    """The facts of one conversation as the one memory hook: :class:`~agentmem.memory.Memory` configured
    by the ``locomo_facts`` profile over ``store``. ``Memory.recall`` takes the top ``k`` facts for the
    question and keeps them in score order while they fit ``budget_tokens``, one ``- <fact>`` line each.
    QA outcomes write nothing (the questions are test data; MemSkill learns in its own training loop)."""
    from agentmem.profiles import memory_for

    return memory_for(settings, "locomo_facts", stores=[store], namespace=namespace, overrides={"store_limits": {"facts": k}, "budget_tokens": budget_tokens})


class MemSkillIngestor:
    """Builds (or reuses) the MemSkill fact memory of each conversation under ``root``."""

    MARKER = "ingested.json"

    def __init__(self, settings: Any, llm: LLM, embedder: Any, root: str | Path, *, k: int = 10, budget_tokens: int = 2000) -> None:
        try:
            from agentmem.learning.memskill.pipeline import MemSkillMemory  # noqa: F401
        except ImportError as exc:
            raise ConfigError("--ingest memskill needs the MemSkill executor (agentmem.learning.memskill), which is not in this build; use --ingest turns") from exc
        self.settings = settings
        self.llm = llm
        self.embedder = embedder
        self.root = Path(root)
        self.k = k
        self.budget_tokens = budget_tokens
        self.usage = Usage()

    def _pipeline(self, store: Any) -> Any:
        from agentmem.learning.memskill.bank import MemorySkillBank
        from agentmem.learning.memskill.controller import SkillController
        from agentmem.learning.memskill.pipeline import MemSkillMemory

        ms = self.settings.memskill
        controller = SkillController.load(self.settings.paths.checkpoints / "memskill", self.embedder.name, self.embedder.dim)
        return MemSkillMemory(MemorySkillBank.from_settings(self.settings), store, self.llm, self.embedder, controller=controller,
                              top_k=ms.top_k, retrieve_k=ms.retrieve_k, chunk_size=ms.span_tokens, overlap=ms.span_overlap)

    def __call__(self, conversation: Conversation) -> MemoryHook:
        from agentmem.stores.facts import FactStore

        folder = self.root / conversation.sample_id
        namespace = f"locomo/{conversation.sample_id}"
        marker = read_json(folder / self.MARKER)
        if marker is None:
            if folder.exists():
                shutil.rmtree(folder)  # an interrupted ingestion is redone from scratch
            store = FactStore(folder / "facts", self.embedder, namespace=namespace)
            pipeline = self._pipeline(store)
            before = self.llm.usage.total
            ops: dict[str, int] = {}
            spans = 0
            for session, date, text in session_texts(conversation):
                trace = pipeline.process(text, episode_id=f"{conversation.sample_id}-s{session}", date=date, namespace=namespace)
                spans += len(trace.spans)
                for rep in trace.reports:
                    for op, n in rep.counts.items():
                        ops[op] = ops.get(op, 0) + n
            after = self.llm.usage.total
            spent = Usage(prompt_tokens=after.prompt_tokens - before.prompt_tokens, completion_tokens=after.completion_tokens - before.completion_tokens,
                          cost_usd=after.cost_usd - before.cost_usd, calls=after.calls - before.calls)
            self.usage = self.usage + spent
            atomic_write_json(folder / self.MARKER, {"sample_id": conversation.sample_id, "spans": spans, "operations": ops, "facts": len(store.items(namespace=namespace)), "usage": spent.model_dump()})
        else:
            store = FactStore(folder / "facts", self.embedder, namespace=namespace)
        return fact_memory(self.settings, store, namespace, k=self.k, budget_tokens=self.budget_tokens)


def memskill_memory_factory(settings: Any, llm: LLM, embedder: Any, root: str | Path, *, k: int = 10, budget_tokens: int = 2000) -> MemoryFactory:
    """A memory factory that ingests each conversation with MemSkill (see :class:`MemSkillIngestor`)."""
    return MemSkillIngestor(settings, llm, embedder, root, k=k, budget_tokens=budget_tokens)
