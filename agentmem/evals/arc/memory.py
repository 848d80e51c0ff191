"""Memory in the ARC loop: the ``arc`` profile of the one memory hook, plus the skill-hints source.

The ARC LLM solver's memory is :class:`~agentmem.memory.Memory` configured by the ``arc``
profile (:mod:`agentmem.profiles`), built by :func:`arc_memory`. Unified recall
(``Memory.recall``) reads, under one token budget:

* **concept memory**, the concepts the model selects for the task by exact name (ArcMemo's read
  step; by embedding without a model), with their helpers, rendered with ``concept_memory.j2``;
* **skill hints**, :class:`SkillHints`, a read-only recall source: the LLM-free composition
  search over the transform library (shipped plus learned compositions) on the task's train
  pairs with a small budget; a verified composition is shown with its program
  (``arc_skill_hints.j2``), optionally with a menu of transforms.

After a task that passed the harness's write gate, the reflective controller credits the
concepts that were in context and runs concept abstraction as a learner
(:class:`~agentmem.learning.store_learners.ConceptAbstractionLearner`, ArcMemo's write step),
whose ``add_concepts`` edit it validates, gates (``write_gate``, default
``self_verification``), applies and audits with the run and task ids. The skill hints are
computed, not stored: the controller never writes them.

(This replaces the ``ArcMemory`` hook class, which composed its own readers.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmem.tokens import approx_tokens
from agentmem.types import MemoryRecord, Recalled, Trust

if TYPE_CHECKING:
    from agentmem.environment import TaskSpec
    from agentmem.evals.core import EvalConfig
    from agentmem.llm.base import LLM
    from agentmem.prompts import PromptLibrary
    from agentmem.settings import Settings


class SkillHints:
    """A read-only recall source over the ARC transform library: a composition verified on the task's
    train pairs (see the module docstring). ``Memory.recall`` asks it through :meth:`recall_candidates`
    and lets it render its section (:meth:`render_recalled`); it has no ``root``, so nothing writes it."""

    name = "skill_hints"
    root = None

    def __init__(self, learned_dir: Path | None = None, *, max_candidates: int = 6000, max_seconds: float = 10.0, menu_size: int = 0,
                 prompts: "PromptLibrary | None" = None) -> None:
        from agentmem.evals.arc.library import TransformLibrary

        self.library = TransformLibrary(learned=learned_dir)
        self.max_candidates, self.max_seconds, self.menu_size = max_candidates, max_seconds, menu_size
        if prompts is None:
            from agentmem.prompts import PromptLibrary

            prompts = PromptLibrary()
        self.prompts = prompts

    # the Store protocol's read side (nothing is stored)
    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        return []

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        return []

    def get_record(self, item_id: str) -> MemoryRecord | None:
        return None

    def recall_candidates(self, task: "TaskSpec", k: int, namespace: str) -> list[Recalled]:
        from agentmem.evals.arc.compose import render_program
        from agentmem.evals.arc.search import CompositionSearch, describe_steps

        pairs = task.metadata.get("train_pairs") or []
        if not pairs:
            return []
        found = CompositionSearch(self.library, max_candidates=self.max_candidates, max_seconds=self.max_seconds).solve([tuple(p) for p in pairs])
        items: list[Recalled] = []
        if found.steps:
            verified = {"program": describe_steps(found.steps), "code": render_program(self.library, found.steps)}
            cost = approx_tokens(self.prompts.render("arc_skill_hints.j2", verified=verified, menu=[]))
            names = sorted({s["skill"] for s in found.steps} | ({found.used_learned} if found.used_learned else set()))
            for j, n in enumerate(names):
                rec = MemoryRecord(id=n, store=self.name, title=n, text=verified["program"], namespace=namespace, metadata={"verified": verified},
                                   trust=Trust.verified if self.library.by_name[n].learned else Trust.shipped)
                items.append(Recalled(record=rec, score=1.0, tokens=cost if j == 0 else 1, reasons=["composition verified on the train pairs"]))
        if self.menu_size:
            from agentmem.evals.arc.library import read_skill_md

            for t in self.library.all[: self.menu_size]:
                meta, _ = read_skill_md(t.path / "SKILL.md")
                desc = str(meta.get("description", ""))
                rec = MemoryRecord(id=t.name, store=self.name, title=t.name, text=desc, namespace=namespace, metadata={"menu": True}, trust=Trust.shipped)
                items.append(Recalled(record=rec, score=0.5, tokens=approx_tokens(f"- {t.name}: {desc}"), reasons=["transform menu"]))
        return items

    def render_recalled(self, items: list[Recalled]) -> str | None:
        verified = next((r.record.metadata["verified"] for r in items if "verified" in r.record.metadata), None)
        menu = [{"name": r.record.id, "description": r.record.text} for r in items if r.record.metadata.get("menu")]
        if verified is None and not menu:
            return ""
        return self.prompts.render("arc_skill_hints.j2", verified=verified, menu=menu)


def arc_memory(settings: "Settings", *, concepts: Any = None, skill_hints: SkillHints | None = None, llm: "LLM | None" = None, mode: str = "updating",
               write_gate: str | None = "self_verification", namespace: str | None = None, concept_selection: str = "llm") -> Any:
    """The one memory hook (:class:`~agentmem.memory.Memory`) configured by the ``arc`` profile: ``concepts``
    (a :class:`~agentmem.stores.concepts.ConceptMemory`, read and written) and ``skill_hints`` (read only).

    ``write_gate=None`` (``--write-gate none``) or ``mode="frozen"`` writes nothing; without ``llm``
    there is no concept abstraction (credit only)."""
    from agentmem.learning.gate import parse_write_gate
    from agentmem.profiles import memory_for

    gate = parse_write_gate(write_gate)
    stores = [concepts] if concepts is not None else []
    return memory_for(settings, "arc", llm=llm, namespace=namespace, stores=stores, extra_sources=[skill_hints] if skill_hints is not None else [],
                      mode=mode if gate is not None else "frozen", write_gate=gate.value if gate is not None else None,
                      overrides={"concept_selection": concept_selection})


def default_arc_memory(settings: "Settings", config: "EvalConfig", *, library: Path | None = None, llm: "LLM | None" = None) -> Any:
    """``agentmem eval arc --solver llm``'s memory: skill hints over the shipped + learned library, plus
    concept memory when that store is installed, through the ``arc`` profile."""
    try:
        from agentmem.stores.concepts import ConceptMemory
    except ImportError:  # a build without concept memory: skill hints only
        concepts = None
    else:
        concepts = ConceptMemory(settings)
    hints = SkillHints(library if library is not None and library.is_dir() else None)
    mode = "updating" if config.memory == "updating" else "frozen"
    return arc_memory(settings, concepts=concepts, skill_hints=hints, llm=llm, mode=mode, write_gate=config.write_gate)
