"""MemSkill's designer: learn new or refined memory skills from the cases that went badly.

* :class:`HardCasePool` keeps the spans whose reward fell below a threshold (the lowest ones
  when full), with their embeddings.
* Every cycle :class:`Designer` clusters the pool (k-means over the embeddings, k-means++
  initialisation, fixed seed), shows the LLM a few cases of the largest clusters together with
  the current bank and each skill's stats (prompt ``prompts/memskill_designer.j2``), and asks
  for at most ``max_proposals`` (default 2) refined or new skills as JSON. Each proposal is
  validated: a valid Agent Skills name, every section present, ``refine`` only for an existing
  skill and ``new`` only for an unused name, never touching the four seed skills' action types.
  Invalid ones are reported and dropped; valid ones are written to the bank.
* :func:`evolve` runs the loop: evaluate, snapshot the bank with its mean reward, propose,
  apply, evaluate again...; it stops early after ``patience`` cycles without improvement and
  (by default) rolls the bank back to the best snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ...errors import SkillFormatError, StructuredOutputError
from ...llm.base import LLM, Message
from ...prompts import PromptLibrary
from .bank import SEED_SKILLS, ActionType, MemorySkill, MemorySkillBank, SkillSections, SnapshotInfo
from .jsonreply import complete_json


class HardCase(BaseModel):
    """A span the memory handled badly."""

    span_id: str
    span_text: str
    reward: float
    selected_skills: list[str] = Field(default_factory=list)
    memories: list[str] = Field(default_factory=list)
    note: str = Field(default="", description="What went wrong, if known (e.g. the question that failed).")


class HardCasePool:
    """Low-reward cases with their embeddings; keeps the ``max_size`` lowest-reward ones."""

    def __init__(self, embedder, threshold: float = 0.5, max_size: int = 200) -> None:  # noqa: ANN001
        self.embedder = embedder
        self.threshold = threshold
        self.max_size = max_size
        self.cases: list[HardCase] = []
        self._vecs: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.cases)

    def add(self, case: HardCase) -> bool:
        """Keep ``case`` if its reward is below the threshold; return whether it was kept."""
        if case.reward >= self.threshold:
            return False
        self.cases.append(case)
        self._vecs.append(self.embedder.embed([case.span_text])[0])
        if len(self.cases) > self.max_size:
            order = sorted(range(len(self.cases)), key=lambda i: (self.cases[i].reward, -i))[: self.max_size]
            keep = sorted(order)
            self.cases = [self.cases[i] for i in keep]
            self._vecs = [self._vecs[i] for i in keep]
        return True

    def clear(self) -> None:
        self.cases, self._vecs = [], []

    def clusters(self, k: int, seed: int = 0) -> list[list[HardCase]]:
        """Up to ``k`` clusters of the cases (largest first; within a cluster, lowest reward first)."""
        if not self.cases:
            return []
        labels = kmeans(np.stack(self._vecs), min(k, len(self.cases)), seed=seed)
        groups: dict[int, list[HardCase]] = {}
        for lab, case in zip(labels, self.cases):
            groups.setdefault(int(lab), []).append(case)
        out = [sorted(g, key=lambda c: c.reward) for g in groups.values()]
        return sorted(out, key=lambda g: (-len(g), g[0].span_id))


def kmeans(x: np.ndarray, k: int, *, seed: int = 0, iters: int = 50) -> np.ndarray:
    """Cluster labels of the rows of ``x`` by Lloyd's k-means with k-means++ initialisation."""
    rng = np.random.default_rng(seed)
    n = len(x)
    k = max(1, min(k, n))
    centres = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d2 = np.min(((x[:, None, :] - np.stack(centres)[None]) ** 2).sum(-1), axis=1)
        total = d2.sum()
        centres.append(x[int(rng.choice(n, p=d2 / total))] if total > 0 else x[int(rng.integers(n))])
    c = np.stack(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iters):
        new = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            if np.any(labels == j):
                c[j] = x[labels == j].mean(axis=0)
    return labels


class SkillProposal(BaseModel):
    """One refinement or new skill proposed by the designer LLM."""

    kind: Literal["refine", "new"]
    name: str
    description: str = Field(..., min_length=1, max_length=1024)
    action_type: ActionType
    sections: SkillSections
    rationale: str = ""

    def to_skill(self) -> MemorySkill:
        return MemorySkill(name=self.name, description=self.description, action_type=self.action_type, sections=self.sections,
                           origin="designer" if self.kind == "new" else "refined")


class DesignerReply(BaseModel):
    proposals: list[dict] = Field(default_factory=list)


class ProposalOutcome(BaseModel):
    accepted: list[SkillProposal] = Field(default_factory=list)
    rejected: list[tuple[str, str]] = Field(default_factory=list, description="(name or index, reason) of each dropped proposal.")


class Designer:
    """Proposes at most ``max_proposals`` skill changes per cycle from clustered hard cases."""

    TEMPLATE = "memskill_designer.j2"

    def __init__(self, bank: MemorySkillBank, llm: LLM, *, prompts: PromptLibrary | None = None, max_proposals: int = 2, clusters: int = 3,
                 cases_per_cluster: int = 3, seed: int = 0) -> None:
        self.bank = bank
        self.llm = llm
        self.prompts = prompts or PromptLibrary()
        self.max_proposals = max_proposals
        self.n_clusters = clusters
        self.cases_per_cluster = cases_per_cluster
        self.seed = seed

    @classmethod
    def from_settings(cls, settings: object, bank: MemorySkillBank, llm: LLM) -> "Designer":
        """A designer with ``settings.memskill.max_proposals`` and the home's prompt overrides."""
        ms = settings.memskill  # type: ignore[attr-defined]
        return cls(bank, llm, prompts=PromptLibrary(settings.paths.prompts), max_proposals=ms.max_proposals, seed=settings.seed)  # type: ignore[attr-defined]

    def render(self, clusters: Sequence[Sequence[HardCase]]) -> str:
        stats = self.bank.stats()
        return self.prompts.render(
            self.TEMPLATE,
            skills=[{"name": s.name, "action_type": s.action_type, "description": s.description, "when_to_use": s.sections.when_to_use,
                     "usage_count": stats[s.name].usage_count, "average_reward": round(stats[s.name].average_reward, 3)} for s in self.bank.skills()],
            clusters=[[{"span": c.span_text, "reward": round(c.reward, 3), "selected": c.selected_skills, "memories": c.memories, "note": c.note}
                       for c in group[: self.cases_per_cluster]] for group in clusters],
            max_proposals=self.max_proposals,
            seed_skills=list(SEED_SKILLS),
        )

    def validate(self, raw: Sequence[object]) -> ProposalOutcome:
        """Check each raw proposal; keep at most ``max_proposals`` valid ones (in order)."""
        out = ProposalOutcome()
        seen: set[str] = set()
        for i, item in enumerate(raw):
            label = item.get("name", f"#{i}") if isinstance(item, dict) else f"#{i}"
            try:
                p = SkillProposal.model_validate(item)
                p.to_skill().validate_format()
            except (ValueError, SkillFormatError) as exc:
                out.rejected.append((str(label), f"invalid proposal: {str(exc).splitlines()[0]}"))
                continue
            if p.name in seen:
                out.rejected.append((p.name, "proposed twice in one cycle"))
            elif p.kind == "refine" and p.name not in self.bank:
                out.rejected.append((p.name, "refine names a skill that is not in the bank"))
            elif p.kind == "new" and p.name in self.bank:
                out.rejected.append((p.name, "new skill name already exists (use refine)"))
            elif p.name in SEED_SKILLS and p.action_type != self.bank.get(p.name).action_type:
                out.rejected.append((p.name, "a seed skill's action type cannot change"))
            elif len(out.accepted) >= self.max_proposals:
                out.rejected.append((p.name, f"over the limit of {self.max_proposals} proposals per cycle"))
            else:
                out.accepted.append(p)
                seen.add(p.name)
        return out

    def propose(self, pool: HardCasePool) -> ProposalOutcome:
        """Cluster the pool and ask the LLM for proposals (nothing is written)."""
        clusters = pool.clusters(self.n_clusters, seed=self.seed)
        if not clusters:
            return ProposalOutcome()
        try:
            reply, _ = complete_json(self.llm, [Message(role="user", content=self.render(clusters))], DesignerReply)
        except StructuredOutputError as exc:
            return ProposalOutcome(rejected=[("reply", str(exc))])
        return self.validate(reply.proposals)

    def apply(self, outcome: ProposalOutcome) -> list[str]:
        """Write the accepted proposals to the bank; return the names written."""
        return [self.bank.write(p.to_skill()).parent.name for p in outcome.accepted]


class EvolutionStep(BaseModel):
    cycle: int
    mean_reward: float
    snapshot: int
    written: list[str] = Field(default_factory=list)
    rejected: list[tuple[str, str]] = Field(default_factory=list)


class EvolutionReport(BaseModel):
    steps: list[EvolutionStep]
    best: SnapshotInfo
    stopped_early: bool
    rolled_back: bool


Evaluate = Callable[[MemorySkillBank], tuple[float, list[HardCase]]]


def evolve(bank: MemorySkillBank, designer: Designer, pool: HardCasePool, evaluate: Evaluate, *, cycles: int = 5, patience: int = 2,
           min_delta: float = 0.0, rollback: bool = True) -> EvolutionReport:
    """Run designer cycles: every step is evaluated and snapshotted; stop after ``patience`` cycles without gain.

    ``evaluate(bank)`` runs the memory with the current bank and returns ``(mean reward, cases)``;
    cases below the pool's threshold become hard cases.
    """
    reward, cases = evaluate(bank)
    snap = bank.snapshot(reward, "initial")
    steps = [EvolutionStep(cycle=0, mean_reward=reward, snapshot=snap.id)]
    best, stale, stopped = reward, 0, False
    for cycle in range(1, cycles + 1):
        for c in cases:
            pool.add(c)
        outcome = designer.propose(pool)
        written = designer.apply(outcome)
        reward, cases = evaluate(bank)
        snap = bank.snapshot(reward, f"cycle {cycle}: {', '.join(written) or 'no change'}")
        steps.append(EvolutionStep(cycle=cycle, mean_reward=reward, snapshot=snap.id, written=written, rejected=outcome.rejected))
        if reward > best + min_delta:
            best, stale = reward, 0
        else:
            stale += 1
        if stale >= patience:
            stopped = True
            break
    best_snap = bank.best_snapshot()
    assert best_snap is not None
    rolled = False
    if rollback and best_snap.id != steps[-1].snapshot:
        bank.rollback(best_snap.id)
        rolled = True
    return EvolutionReport(steps=steps, best=best_snap, stopped_early=stopped, rolled_back=rolled)
