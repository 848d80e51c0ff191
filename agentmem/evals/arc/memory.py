"""Memory in the ARC loop: concept memory and the skill library, behind one MemoryHook.

:class:`ArcMemory` implements :class:`~agentmem.hooks.MemoryHook` by composing parts:

* ``hooks``: any other memory hooks (e.g. the experience stores' hook, which selects concepts
  from concept memory); their recalled text is concatenated, and their ``after_task`` is called;
* ``skill_hints``: :class:`SkillHints` runs the LLM-free composition search over the transform
  library (shipped plus learned compositions) on the task's train pairs with a small budget;
  a verified composition is shown with its program, otherwise a menu of transforms;
* ``concepts`` + ``llm``: after a task that passed the write gate, concept memory's abstraction
  step runs as a learner (:class:`~agentmem.learning.store_learners.ConceptAbstractionLearner`,
  ArcMemo's write step) and its ``add_concepts`` edit goes through the reflective controller
  (validation, gate ``write_gate``, audit with the run and task ids, provenance).

The ARC harness calls ``after_task`` only when its write gate passed (see
:mod:`.llm_solver`), so every part may assume the outcome was verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmem.hooks import MemoryHook, RecallContext
from agentmem.tokens import approx_tokens
from agentmem.types import MemoryRecord, Outcome, Recalled, Trust

if TYPE_CHECKING:
    from agentmem.environment import TaskSpec
    from agentmem.llm.base import LLM
    from agentmem.prompts import PromptLibrary
    from agentmem.settings import Settings
    from agentmem.evals.core import EvalConfig


_tokens = approx_tokens


class SkillHints:
    """Recall from the ARC transform library: a composition verified on the task's train pairs."""

    def __init__(self, learned_dir: Path | None = None, *, max_candidates: int = 6000, max_seconds: float = 10.0, menu_size: int = 0,
                 prompts: "PromptLibrary | None" = None) -> None:
        from agentmem.evals.arc.library import TransformLibrary

        self.library = TransformLibrary(learned=learned_dir)
        self.max_candidates, self.max_seconds, self.menu_size = max_candidates, max_seconds, menu_size
        if prompts is None:
            from agentmem.prompts import PromptLibrary

            prompts = PromptLibrary()
        self.prompts = prompts

    def recall(self, task: "TaskSpec") -> RecallContext:
        from agentmem.evals.arc.compose import render_program
        from agentmem.evals.arc.search import CompositionSearch, describe_steps

        pairs = task.metadata.get("train_pairs") or []
        if not pairs:
            return RecallContext()
        found = CompositionSearch(self.library, max_candidates=self.max_candidates, max_seconds=self.max_seconds).solve([tuple(p) for p in pairs])
        verified = None
        items: list[Recalled] = []
        if found.steps:
            verified = {"program": describe_steps(found.steps), "code": render_program(self.library, found.steps)}
            names = sorted({s["skill"] for s in found.steps} | ({found.used_learned} if found.used_learned else set()))
            for n in names:
                rec = MemoryRecord(id=n, store="skills", title=n, text=verified["program"], trust=Trust.verified if self.library.by_name[n].learned else Trust.shipped)
                items.append(Recalled(record=rec, score=1.0, reasons=["composition verified on the train pairs"]))
        menu = []
        if self.menu_size:
            from agentmem.evals.arc.library import read_skill_md

            for t in self.library.all[: self.menu_size]:
                meta, _ = read_skill_md(t.path / "SKILL.md")
                menu.append({"name": t.name, "description": str(meta.get("description", ""))})
        if verified is None and not menu:
            return RecallContext()
        text = self.prompts.render("arc_skill_hints.j2", verified=verified, menu=menu)
        return RecallContext(text=text, items=items, tokens=_tokens(text))


class ArcMemory:
    """A :class:`MemoryHook` for ARC: other hooks + skill hints before, concept abstraction after."""

    def __init__(self, *, hooks: list[MemoryHook] | None = None, skill_hints: SkillHints | None = None, concepts: Any = None,
                 llm: "LLM | None" = None, namespace: str = "default/default", write_gate: str = "self_verification") -> None:
        from agentmem.learning.gate import parse_write_gate

        self.write_gate = parse_write_gate(write_gate)
        self._controller: Any = None
        self.hooks = list(hooks or [])
        self.skill_hints = skill_hints
        self.concepts = concepts
        self.llm = llm
        self.namespace = namespace
        self._contexts: dict[str, list[RecallContext]] = {}

    def before_task(self, task: "TaskSpec") -> RecallContext:
        parts = [h.before_task(task) for h in self.hooks]
        if self.skill_hints is not None:
            parts.append(self.skill_hints.recall(task))
        self._contexts[task.id] = parts
        text = "\n\n".join(p.text.strip() for p in parts if p.text.strip())
        return RecallContext(text=text, items=[i for p in parts for i in p.items], tokens=sum(p.tokens for p in parts))

    def after_task(self, task: "TaskSpec", context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        parts = self._contexts.pop(task.id, [])
        for hook, ctx in zip(self.hooks, parts):
            hook.after_task(task, ctx, trajectory, outcome, run_id)
        if self.concepts is not None and self.llm is not None and self.write_gate is not None:
            from agentmem.memory import live_task

            self.controller().after_task(live_task(task, self.namespace), RecallContext(), list(trajectory), outcome, run_id)

    def controller(self) -> Any:
        """The reflective controller that writes concept memory (the abstraction learner's edits)."""
        if self._controller is None:
            from agentmem.learning.store_learners import ConceptAbstractionLearner
            from agentmem.learning.wiring import controller_over

            assert self.write_gate is not None
            self._controller = controller_over([self.concepts], self.concepts.settings.paths.home, mode="updating", write_gate=self.write_gate.value,
                                               learners=[ConceptAbstractionLearner(self.concepts, self.llm, namespace=self.namespace)])
        return self._controller


def default_arc_memory(settings: "Settings", config: "EvalConfig", *, library: Path | None = None, llm: "LLM | None" = None) -> ArcMemory:
    """Skill hints over the shipped + learned library, plus concept memory when that store is installed."""
    hooks: list[MemoryHook] = []
    concepts = None
    try:
        from agentmem.stores.concepts import ConceptMemory  # type: ignore[import-not-found]
        from agentmem.experience import ExperienceMemory
    except ImportError:
        ConceptMemory = None  # noqa: N806
    if ConceptMemory is not None:
        from agentmem.experience import ExperienceRecallConfig
        from agentmem.learning.gate import parse_write_gate

        gate = parse_write_gate(config.write_gate)
        concepts = ConceptMemory(settings)
        hooks.append(ExperienceMemory(concepts=concepts, llm=llm, config=ExperienceRecallConfig(write_gate=gate.value if gate else "train_labels")))
    hints = SkillHints(library if library is not None and library.is_dir() else None)
    return ArcMemory(hooks=hooks, skill_hints=hints, concepts=concepts if config.memory == "updating" else None, llm=llm, write_gate=config.write_gate)
