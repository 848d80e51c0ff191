"""Typed records of the concept memory (ArcMemo formats) and the merge rule.

See :mod:`agentmem.stores.concepts` for the store that keeps them.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..types import Lifecycle, Provenance, Trust


class ConceptConfig(BaseModel):
    """Tunables of the concept memory."""

    model_config = ConfigDict(extra="forbid")

    min_uses_for_full: int = Field(default=2, ge=0, description="Concepts used in fewer tasks (used_in + recorded uses) are rendered by name only in the selection prompt; 0 renders all in full.")
    max_item_bytes: int = Field(default=8_000, gt=0, description="A concept or lesson whose YAML would exceed this is skipped (reported), including after a merge.")
    helper_depth: int = Field(default=2, ge=0, description="How many 'uses' hops selection follows to pull in helpers.")
    max_selected: int = Field(default=12, gt=0, description="At most this many names are taken from one selection reply.")


class Parameter(BaseModel):
    """A typed parameter of a concept."""

    name: str = Field(..., min_length=1)
    type: str = ""
    description: str = ""


def _clean_list(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


class Concept(BaseModel):
    """A program-synthesis concept (ArcMemo's PS format)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=80)
    kind: Literal["structure", "routine"]
    subtype: str = ""
    output_type: str = ""
    parameters: list[Parameter] = Field(default_factory=list)
    description: str = ""
    cues: list[str] = Field(default_factory=list, description="What to look for in a task that suggests this concept.")
    implementation: list[str] = Field(default_factory=list, description="Implementation notes: hints, pseudocode lines.")
    used_in: list[str] = Field(default_factory=list, description="Task ids the concept was abstracted from, in order.")
    namespace: str = "default/default"
    state: Lifecycle = Lifecycle.active
    trust: Trust = Trust.learned
    provenance: list[Provenance] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("concept name is empty")
        return v

    def text(self) -> str:
        return "\n".join(x for x in (f"{self.name} ({self.kind}{', ' + self.subtype if self.subtype else ''})", self.description, "cues: " + "; ".join(self.cues) if self.cues else "") if x)


class Lesson(BaseModel):
    """An open-ended lesson (ArcMemo's OE format)."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""
    situation: str = Field(..., min_length=1)
    suggestion: str = Field(..., min_length=1)
    source: str = Field(default="", description="Task id (or description) the lesson came from.")
    also_from: list[str] = Field(default_factory=list, description="Further sources of the same lesson.")
    namespace: str = "default/default"
    state: Lifecycle = Lifecycle.active
    trust: Trust = Trust.learned

    def text(self) -> str:
        return f"When {self.situation}: {self.suggestion}"


def lesson_id(situation: str, suggestion: str) -> str:
    key = " ".join(situation.lower().split()) + "\n" + " ".join(suggestion.lower().split())
    return "lesson-" + hashlib.sha1(key.encode()).hexdigest()[:10]


def merge_concepts(existing: Concept, new: Concept, task_id: str | None = None) -> Concept:
    """Extend ``existing`` with ``new`` by ArcMemo's rules (``existing`` is not modified).

    * cues and implementation notes: unioned without duplicates, existing order first;
    * parameters: merged by name, the first definition of a name kept (its empty type or
      description filled from the new one), new names appended;
    * description: the first one kept (the new one used only if the first was empty);
    * kind, subtype, output type: kept (empty subtype / output type filled);
    * used_in: ``new.used_in`` then ``task_id`` appended when not already present;
    * provenance appended.
    """
    params = [p.model_copy() for p in existing.parameters]
    by_name = {p.name: p for p in params}
    for p in new.parameters:
        if p.name in by_name:
            old = by_name[p.name]
            old.type = old.type or p.type
            old.description = old.description or p.description
        else:
            cp = p.model_copy()
            params.append(cp)
            by_name[p.name] = cp
    used = list(existing.used_in)
    for t in [*new.used_in, *([task_id] if task_id else [])]:
        if t not in used:
            used.append(t)
    return existing.model_copy(
        update={
            "subtype": existing.subtype or new.subtype,
            "output_type": existing.output_type or new.output_type,
            "parameters": params,
            "description": existing.description or new.description,
            "cues": _clean_list([*existing.cues, *new.cues]),
            "implementation": _clean_list([*existing.implementation, *new.implementation]),
            "used_in": used,
            "provenance": [*existing.provenance, *new.provenance],
        }
    )


class ProposedConcept(BaseModel):
    """A concept as the abstraction prompt returns it (plus its relations)."""

    name: str
    kind: Literal["structure", "routine"]
    subtype: str = ""
    output_type: str = ""
    parameters: list[Parameter] = Field(default_factory=list)
    description: str = ""
    cues: list[str] = Field(default_factory=list)
    implementation: list[str] = Field(default_factory=list)
    uses: list[str] = Field(default_factory=list)
    specialises: list[str] = Field(default_factory=list)


class AbstractionReply(BaseModel):
    concepts: list[dict[str, Any]]


class LessonsReply(BaseModel):
    lessons: list[dict[str, Any]]


class SelectionReply(BaseModel):
    names: list[str]


class Selection(BaseModel):
    """What :meth:`ConceptMemory.select` chose."""

    names: list[str] = Field(default_factory=list, description="Known names the model selected, in its order.")
    helpers: list[str] = Field(default_factory=list, description="Helpers pulled in through 'uses' relations.")
    unknown: list[str] = Field(default_factory=list, description="Names in the reply that are not in memory (dropped).")
    method: Literal["llm", "embedding", "embedding_fallback"] = "llm"
    note: str = ""

    @property
    def all_names(self) -> list[str]:
        return list(dict.fromkeys([*self.names, *self.helpers]))
