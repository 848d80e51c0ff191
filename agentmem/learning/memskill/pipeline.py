"""MemSkill wired together: chunk a conversation, pick skills per span, execute, learn from the episode reward.

Example::

    mem = MemSkillMemory(bank, FactStore(root, embedder), llm, embedder)
    trace = mem.process(conversation_text, episode_id="conv-26", date="8 May 2023", sample=True)
    reward = answer_questions_and_score(mem.store)          # your downstream metric in [0, 1]
    mem.learn([(trace, reward)])                            # PPO update + per-skill usage stats
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...llm.base import LLM
from ...prompts import PromptLibrary
from ...stores.facts import FactStore
from .bank import SEED_SKILLS, MemorySkillBank
from .chunker import Span, chunk_text
from .controller import SkillControllerConfig, SkillController, Transition, UpdateStats, encode_state, skill_matrix
from .designer import HardCase
from .executor import ExecutionReport, Executor


class EpisodeTrace(BaseModel):
    """Everything one memorisation episode did, kept for learning."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    episode_id: str
    skill_names: list[str] = Field(..., description="The bank's skills in the order the controller scored them.")
    spans: list[Span]
    selected: list[list[str]]
    memories: list[list[str]]
    reports: list[ExecutionReport]
    transitions: list[Transition]


class MemSkillMemory:
    """Chunker + retrieval + controller + executor over one bank and one fact store."""

    def __init__(self, bank: MemorySkillBank, store: FactStore, llm: LLM, embedder: Any, *, controller: SkillController | None = None,
                 top_k: int = 7, retrieve_k: int = 5, chunk_size: int = 512, overlap: int = 64, prompts: PromptLibrary | None = None) -> None:
        self.bank = bank
        self.store = store
        self.embedder = embedder
        self.controller = controller or SkillController(embedder.dim, SkillControllerConfig(top_k=top_k))
        self.top_k = top_k
        self.retrieve_k = retrieve_k
        self.chunk_size, self.overlap = chunk_size, overlap
        self.executor = Executor(llm, store, prompts)

    @classmethod
    def from_settings(cls, settings: Any, llm: LLM, *, embedder: Any = None, controller: SkillController | None = None) -> "MemSkillMemory":
        """Wire bank, fact store and controller from settings (``settings.memskill`` for K, span size, retrieval)."""
        from ...retrieval.factory import make_embedder

        embedder = embedder or make_embedder(settings)
        ms = settings.memskill
        if controller is None:
            controller = SkillController.load(settings.paths.checkpoints / "memskill", embedder.name, embedder.dim)
        return cls(MemorySkillBank.from_settings(settings), FactStore.from_settings(settings, embedder=embedder), llm, embedder,
                   controller=controller, top_k=ms.top_k, retrieve_k=ms.retrieve_k, chunk_size=ms.span_tokens, overlap=ms.span_overlap,
                   prompts=PromptLibrary(settings.paths.prompts))

    def process(self, text: str, *, episode_id: str, date: str = "", namespace: str | None = None, sample: bool = False) -> EpisodeTrace:
        """Memorise ``text``: for each span retrieve memories, select top-K skills, run the executor."""
        skills = self.bank.skills()
        names = [s.name for s in skills]
        K = skill_matrix(self.embedder, skills)
        trace = EpisodeTrace(episode_id=episode_id, skill_names=names, spans=[], selected=[], memories=[], reports=[], transitions=[])
        for span in chunk_text(text, episode_id=episode_id, size=self.chunk_size, overlap=self.overlap, date=date):
            hits = self.store.search(span.text, k=self.retrieve_k, namespace=namespace)
            memories = [{"id": h.record.id, "content": h.record.text} for h in hits]
            sv, mv = encode_state(self.embedder, span.text, [m["content"] for m in memories])
            acts, logp = self.controller.select(sv, mv, K, k=self.top_k, sample=sample)
            chosen = [skills[i] for i in acts]
            report = self.executor.run(span, chosen, memories, namespace=namespace)
            trace.spans.append(span)
            trace.selected.append([s.name for s in chosen])
            trace.memories.append([m["content"] for m in memories])
            trace.reports.append(report)
            trace.transitions.append(Transition(span_vec=sv, mem_vec=mv, actions=acts, logp=logp))
        return trace

    def learn(self, episodes: list[tuple[EpisodeTrace, float]]) -> UpdateStats | None:
        """Credit each used skill with its episode's reward and run one PPO update (same bank only)."""
        rewards: dict[str, list[float]] = {}
        for trace, reward in episodes:
            for chosen in trace.selected:
                for name in chosen:
                    rewards.setdefault(name, []).append(reward)
        self.bank.record_rewards(rewards)
        names = [s.name for s in self.bank.skills()]
        usable = [(t.transitions, r) for t, r in episodes if t.skill_names == names and t.transitions]
        if not usable:
            return None
        return self.controller.update(usable, skill_matrix(self.embedder, self.bank.skills()))

    @staticmethod
    def hard_cases(trace: EpisodeTrace, reward: float) -> list[HardCase]:
        """The episode's spans as designer cases, each carrying the episode's reward."""
        return [HardCase(span_id=s.id, span_text=s.text, reward=reward, selected_skills=sel, memories=mem)
                for s, sel, mem in zip(trace.spans, trace.selected, trace.memories)]


__all__ = ["EpisodeTrace", "MemSkillMemory", "SEED_SKILLS"]
