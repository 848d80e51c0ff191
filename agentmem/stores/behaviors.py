"""The behavior handbook (Metacognitive Reuse, PAPERS.md section 3).

A behavior is ``name -> one-line instruction`` (``behavior_inclusion_exclusion: count the
union by adding the parts and subtracting the overlaps``), with topic tags, provenance and
usage statistics. Each lives in ``<home>/stores/behaviors/items/<name>.yaml``.

* Write (:meth:`BehaviorHandbook.curate`): ``prompts/behavior_curation.j2`` shows the model a
  finished trajectory, its outcome and the names already in the handbook, and asks for
  general, reusable behaviors as JSON. Each proposal is validated; the bad ones are reported
  as skips. A proposal whose name exists, or whose embedding is closer than
  ``merge_threshold`` (cosine) to an existing behavior, *merges* into it (topics unioned,
  provenance appended, the first instruction kept, the new name kept as an alias) instead of
  adding a near-duplicate.
* Read (:meth:`BehaviorHandbook.select`): behaviors tagged with the task's topic first, then
  the rest by hybrid search; :meth:`BehaviorHandbook.render` puts them in the prompt through
  ``prompts/behavior_conditioned.j2`` within a token budget (behavior-conditioned inference).

The default ``merge_threshold`` 0.75 was chosen from a measurement with MiniLM on 20
paraphrase and 20 distinct pairs of behaviors (``benchmarks/behavior_dedup_threshold.py``;
figures in ``docs/behaviors.md``): it was the lowest threshold with no false merge, while
merging half of the paraphrases. A false merge loses a behavior (the first instruction is
kept), a missed one only leaves a near-duplicate, and the curation prompt already asks the
model to reuse existing names, so the threshold errs high. It is a cosine of *that* embedder:
measure again for another one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import StoreError, ValidationFailed
from ..fileio import home_lock
from ..types import Lifecycle, MemoryRecord, Outcome, Provenance, Recalled, Trust
from ._common import AddReport, LazyHybrid, UsageBook, approx_tokens
from .itemfiles import ItemFiles

if TYPE_CHECKING:
    from ..llm.base import LLM
    from ..prompts import PromptLibrary
    from ..retrieval.base import Embedder, VectorIndex
    from ..settings import Settings

STORE = "behaviors"
_NAME = re.compile(r"^[a-z][a-z0-9_]{2,79}$")


def normalise_name(name: str) -> str:
    """``"Inclusion-Exclusion"`` -> ``"behavior_inclusion_exclusion"`` (the paper's naming)."""
    n = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if n and not n.startswith("behavior_"):
        n = "behavior_" + n
    return n


class BehaviorConfig(BaseModel):
    """Tunables of the handbook."""

    model_config = ConfigDict(extra="forbid")

    merge_threshold: float = Field(default=0.75, ge=0.0, le=1.0, description="Cosine (of the store's embedder) above which a proposal merges into an existing behavior.")
    max_instruction_chars: int = Field(default=400, gt=0, description="Longer instructions are skipped (reported).")
    max_per_curation: int = Field(default=5, gt=0, description="At most this many proposals are kept from one curation reply.")


class Behavior(BaseModel):
    """One handbook entry."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., description="behavior_<snake_case>, 3-80 characters.")
    instruction: str = Field(..., min_length=1, description="One line: what to do, in general terms.")
    topics: list[str] = Field(default_factory=list, description="Topic tags (task type, subject) for topic-scoped recall.")
    aliases: list[str] = Field(default_factory=list, description="Names of near-duplicates merged into this one.")
    namespace: str = "default/default"
    state: Lifecycle = Lifecycle.active
    trust: Trust = Trust.learned
    provenance: list[Provenance] = Field(default_factory=list, description="One entry per curation that proposed or reinforced it.")

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"behavior name {v!r} must be lowercase letters, digits and underscores, 3-80 characters, starting with a letter")
        return v

    @field_validator("instruction")
    @classmethod
    def _one_line(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("instruction is empty")
        return v

    def text(self) -> str:
        return f"{self.name}: {self.instruction}"


class ProposedBehavior(BaseModel):
    name: str
    instruction: str
    topics: list[str] = Field(default_factory=list)


class CurationReply(BaseModel):
    behaviors: list[ProposedBehavior]


class BehaviorHandbook:
    """The ``behaviors`` store."""

    name = STORE

    def __init__(self, settings: "Settings", *, embedder: "Embedder | None" = None, index: "VectorIndex | None" = None, config: BehaviorConfig | None = None, root: Path | None = None, prompts: "PromptLibrary | None" = None) -> None:
        self.settings = settings
        self.config = config or BehaviorConfig()
        self.root = Path(root) if root is not None else settings.paths.stores / STORE
        self.root.mkdir(parents=True, exist_ok=True)
        self.files: ItemFiles[Behavior] = ItemFiles(self.root / "items", Behavior, lambda b: b.name, history_root=self.root)
        self.usage = UsageBook(self.root)
        self._prompts = prompts
        self.index = LazyHybrid(STORE, settings, embedder, index, self._index_rows)

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def prompts(self) -> "PromptLibrary":
        if self._prompts is None:
            from ..prompts import PromptLibrary

            self._prompts = PromptLibrary(self.settings.paths.prompts)
        return self._prompts

    def _lock(self):  # noqa: ANN202
        return home_lock(self.settings.paths.lock)

    def _index_rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(b.name, b.text(), {"namespace": b.namespace}) for b in self.all() if b.state == Lifecycle.active]

    # -- reading ------------------------------------------------------------------------------
    def all(self) -> list[Behavior]:
        return self.files.load_all()

    def get(self, name: str) -> Behavior | None:
        return self.files.load(name)

    def by_topic(self, topic: str, namespace: str | None = None) -> list[Behavior]:
        t = topic.strip().lower()
        return [b for b in self.all() if b.state == Lifecycle.active and t in (x.lower() for x in b.topics) and (namespace is None or b.namespace == namespace)]

    def select(self, query: str, *, topic: str | None = None, k: int = 5, namespace: str | None = None) -> list[tuple[Behavior, float, str]]:
        """Up to ``k`` behaviors for a task: topic-tagged ones first, then by hybrid search.

        Returns ``(behavior, score in [0, 1], reason)``.
        """
        out: list[tuple[Behavior, float, str]] = []
        seen: set[str] = set()
        if topic:
            for b in self.by_topic(topic, namespace)[:k]:
                out.append((b, 1.0, f"tagged with topic {topic!r}"))
                seen.add(b.name)
        if len(out) < k:
            for r in self.search(query, k=k + len(seen), namespace=namespace):
                if r.record.id in seen:
                    continue
                b = self.get(r.record.id)
                if b is not None:
                    out.append((b, r.score, "similar to the task"))
                    seen.add(b.name)
                if len(out) >= k:
                    break
        return out

    def render(self, behaviors: Sequence[Behavior], budget_tokens: int = 400) -> str:
        """The behavior-conditioned prompt block (``behavior_conditioned.j2``) within ``budget_tokens``.

        Behaviors are added in the given order while the rendered block fits; an empty string
        when none fits.
        """
        chosen: list[Behavior] = []
        text = ""
        for b in behaviors:
            trial = self.prompts.render("behavior_conditioned.j2", behaviors=[*chosen, b])
            if approx_tokens(trial) > budget_tokens:
                continue
            chosen.append(b)
            text = trial
        return text

    # -- writing ------------------------------------------------------------------------------
    def _duplicate_of(self, cand: Behavior) -> tuple[Behavior | None, str]:
        same = self.get(cand.name)
        if same is not None:
            return same, "same name"
        for b in self.all():
            if cand.name in b.aliases:
                return b, "alias"
        hits = self.index.hybrid().dense(cand.text(), 1, where={"namespace": cand.namespace})
        if hits and hits[0].score >= self.config.merge_threshold:
            existing = self.get(hits[0].id)
            if existing is not None:
                return existing, f"cosine {hits[0].score:.3f} >= merge_threshold {self.config.merge_threshold}"
        return None, ""

    def add(self, behavior: Behavior, note: str = "") -> tuple[str, str]:
        """Add ``behavior`` or merge it into a near-duplicate; return ``(name written, "added"|"merged: why")``."""
        if len(behavior.instruction) > self.config.max_instruction_chars:
            raise ValidationFailed(f"behavior {behavior.name!r}: instruction has {len(behavior.instruction)} characters (limit {self.config.max_instruction_chars})", [(behavior.name, "oversized")])
        with self._lock():
            existing, why = self._duplicate_of(behavior)
            if existing is None:
                self.files.write(behavior, note=note or "added")
                if behavior.state == Lifecycle.active:
                    self.index.upsert(behavior.name, behavior.text(), {"namespace": behavior.namespace})
                return behavior.name, "added"
            merged = merge_behaviors(existing, behavior)
            self.files.write(merged, note=f"merged {behavior.name} ({why})")
            self.index.upsert(merged.name, merged.text(), {"namespace": merged.namespace})
            return merged.name, f"merged: {why}"

    def curate(
        self,
        trajectory: str | Sequence[Any],
        outcome: Outcome | None,
        llm: "LLM",
        *,
        task: str = "",
        task_id: str | None = None,
        run_id: str | None = None,
        topic: str | None = None,
        namespace: str = "default/default",
        write: bool = True,
    ) -> tuple[list[Behavior], AddReport]:
        """Reflect on a finished trajectory with ``behavior_curation.j2`` and add the behaviors it proposes.

        An empty trajectory raises :class:`ValidationFailed`; a reply that is not valid JSON (or
        YAML) even after one repair raises :class:`~agentmem.errors.StructuredOutputError` and
        writes nothing; individual bad proposals (bad names, multi-line or oversized
        instructions) are skipped and reported.
        """
        from ..llm.base import Message
        from ._replies import ask_structured
        from .subroutines import trajectory_steps

        steps = trajectory_steps(trajectory)
        if not steps:
            raise ValidationFailed("curate(): the trajectory is empty; nothing to reflect on", [("trajectory", "no steps")])
        existing = [b for b in self.all() if b.state == Lifecycle.active]
        prompt = self.prompts.render("behavior_curation.j2", task=task, steps=steps, outcome=outcome, existing=existing, max_behaviors=self.config.max_per_curation)
        reply = ask_structured(llm, [Message(role="user", content=prompt)], CurationReply)
        report = AddReport()
        kept: list[Behavior] = []
        for prop in reply.behaviors[: self.config.max_per_curation]:
            label = prop.name or prop.instruction[:40]
            if "\n" in prop.instruction.strip():
                report.skip(label, "instruction spans several lines; a behavior is one line")
                continue
            if len(prop.instruction) > self.config.max_instruction_chars:
                report.skip(label, f"instruction has {len(prop.instruction)} characters (limit {self.config.max_instruction_chars})")
                continue
            try:
                b = Behavior(
                    name=normalise_name(prop.name),
                    instruction=prop.instruction,
                    topics=sorted({t.strip().lower() for t in [*prop.topics, *([topic] if topic else [])] if t.strip()}),
                    namespace=namespace,
                    provenance=[Provenance(source="learned", task_id=task_id, run_id=run_id, note=f"curated; outcome score {outcome.score:.2f}" if outcome else "curated")],
                )
            except ValueError as exc:
                report.skip(label, str(exc).splitlines()[-1] if str(exc) else "invalid")
                continue
            kept.append(b)
            if write:
                name, how = self.add(b)
                (report.added if how == "added" else report.merged).append(name)
        return kept, report

    def remove(self, name: str) -> None:
        """Delete a behavior file (its bytes stay in history; prefer retiring it)."""
        with self._lock():
            if self.get(name) is None:
                raise StoreError(f"{self.files.path(name)}: no behavior {name!r}")
            self.files.delete(name)
            self.index.delete(name)

    def versions(self, name: str) -> list[dict[str, Any]]:
        return self.files.versions(name)

    def describe(self, item_id: str) -> dict[str, Any] | None:
        """Everything known about one behavior (for ``agentmem memory show``)."""
        b = self.get(item_id)
        if b is None:
            return None
        return {**b.model_dump(mode="json"), "usage": self.usage.get(b.name).model_dump(mode="json"), "file": str(self.files.path(b.name)), "versions": len(self.versions(b.name))}

    def seed_from_shipped(self, path: Path | None = None) -> AddReport:
        """Add the shipped starter behaviors (``agentmem/stores/seed/behaviors.yaml``) that are not there yet."""
        import yaml

        src = path or Path(__file__).with_name("seed") / "behaviors.yaml"
        report = AddReport()
        for raw in yaml.safe_load(src.read_text(encoding="utf-8")) or []:
            b = Behavior.model_validate({**raw, "trust": "shipped", "provenance": [{"source": "shipped", "note": src.name}]})
            if self.get(b.name) is not None:
                report.skip(b.name, "already present")
                continue
            with self._lock():
                self.files.write(b, note="seeded")
                self.index.upsert(b.name, b.text(), {"namespace": b.namespace})
            report.added.append(b.name)
        return report

    def rollback(self, name: str, version: int) -> Behavior:
        """Restore version ``version`` of ``name`` byte for byte."""
        with self._lock():
            b = self.files.rollback(name, version)
            self.index.reset()
            return b

    # -- Store protocol -----------------------------------------------------------------------
    def _record(self, b: Behavior) -> MemoryRecord:
        u = self.usage.get(b.name)
        return MemoryRecord(
            id=b.name, store=STORE, title=b.name, text=b.text(), namespace=b.namespace, state=b.state, trust=b.trust,
            metadata={"topics": b.topics, "aliases": b.aliases, "uses": u.uses, "successes": u.successes, "utility": u.utility},
        )

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        return [self._record(b) for b in self.all() if (include_inactive or b.state == Lifecycle.active) and (namespace is None or b.namespace == namespace)]

    def get_record(self, item_id: str) -> MemoryRecord | None:
        b = self.get(item_id)
        return self._record(b) if b else None

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        return self.index.search_active(query, k, namespace, self.get, self._record)

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        if self.get(item_id) is None:
            raise StoreError(f"{self.files.path(item_id)}: no behavior {item_id!r}")
        with self._lock():
            self.usage.record(item_id, reward, success)

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        with self._lock():
            b = self.get(item_id)
            if b is None:
                raise StoreError(f"{self.files.path(item_id)}: no behavior {item_id!r}")
            self.files.write(b.model_copy(update={"state": Lifecycle(state)}), note=f"state -> {Lifecycle(state).value}")
            if state == Lifecycle.active:
                self.index.upsert(b.name, b.text(), {"namespace": b.namespace})
            else:
                self.index.delete(b.name)


def merge_behaviors(existing: Behavior, new: Behavior) -> Behavior:
    """``existing`` reinforced by a duplicate ``new``: the first instruction is kept, topics are
    unioned (order kept), ``new``'s name becomes an alias, provenance is appended."""
    topics = list(dict.fromkeys([*existing.topics, *new.topics]))
    aliases = list(dict.fromkeys([*existing.aliases, *([new.name] if new.name != existing.name else []), *new.aliases]))
    return existing.model_copy(update={"topics": topics, "aliases": aliases, "provenance": [*existing.provenance, *new.provenance]})
