"""Typed edits: the only way learning changes a store.

Learners (LLM-prompted or not) *propose* edits; the :class:`~agentmem.learning.controller.ReflectiveController`
validates them, passes them through the admission gate and applies them through each store's
:class:`~agentmem.learning.appliers.EditApplier`. An edit is a pydantic model in a discriminated
union on ``kind``, so a batch serialises to JSON for the audit log, the write-ahead journal and
``--dry-run`` for free.

Example::

    from agentmem.learning.edits import AddBehavior, parse_edits
    edit = AddBehavior(name="check-units", instruction="Convert units before comparing.", reason="run r1 failed on units")
    edits, refusals = parse_edits('{"edits": [{"kind": "retire_item", "store": "behaviors", "item_id": "x"}]}')
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from ..types import Provenance, Trust, new_id

#: Ordering of trust levels, lowest first (an edit never gains trust by claiming it).
TRUST_ORDER = [Trust.untrusted, Trust.learned, Trust.verified, Trust.shipped]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def trust_rank(t: Trust | str) -> int:
    return TRUST_ORDER.index(Trust(t))


def min_trust(a: Trust | str, b: Trust | str) -> Trust:
    """The lower of two trust levels."""
    return Trust(a) if trust_rank(a) <= trust_rank(b) else Trust(b)


def slugify(text: str) -> str:
    """``"Check the Units!"`` -> ``"check-the-units"`` (the id form of a name)."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:64] or "item"


class EditLimits(BaseModel):
    """Size limits every edit must respect (guards against runaway or poisoned proposals)."""

    max_text_chars: int = Field(default=8000, gt=0, description="Longest body/instruction/text field.")
    max_title_chars: int = Field(default=200, gt=0)
    max_files: int = Field(default=8, ge=0, description="Extra files an AddSkill may carry.")
    max_subroutines: int = Field(default=10, gt=0)
    max_edits_per_run: int = Field(default=20, gt=0)


class _EditBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edit_id: str = Field(default_factory=lambda: new_id("e-"), description="Unique id; the audit log and journal key.")
    store: str = Field(..., min_length=1, description="Name of the store the edit targets.")
    reason: str = Field(default="", max_length=2000, description="Why the proposer wants this change.")
    trust: Trust = Field(default=Trust.learned, description="Trust of the written item; the controller caps it by the source.")
    provenance: Provenance = Field(default_factory=lambda: Provenance(source="learned"))
    proposer: str = Field(default="", description="Name of the learner that proposed the edit.")

    def summary(self) -> str:
        """One line for tables and logs."""
        return f"{getattr(self, 'kind', '?')} {self.store}/{getattr(self, 'item_id', '?')}"


class _TargetsItem(_EditBase):
    item_id: str = Field(..., min_length=1, max_length=200, description="Id of an existing item.")


class AddSkill(_EditBase):
    """Write a new skill (SKILL.md body plus optional files). Playbooks are quarantined until verified."""

    kind: Literal["add_skill"] = "add_skill"
    store: str = "skills"
    name: str = Field(..., description="Skill name: lowercase letters, digits and hyphens, at most 64 chars.")
    description: str = Field(..., min_length=1, max_length=1024)
    body: str = Field(..., min_length=1)
    playbook: bool = Field(default=False, description="True for executable procedures (scripts, tests): quarantined until tests or a replay pass.")
    files: dict[str, str] = Field(default_factory=dict, description="Extra files, relative path -> text (scripts/, references/).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"skill name {v!r} must be lowercase letters, digits and hyphens (at most 64)")
        return v

    @field_validator("files")
    @classmethod
    def _files(cls, v: dict[str, str]) -> dict[str, str]:
        for rel in v:
            if rel.startswith(("/", "\\")) or ".." in rel.replace("\\", "/").split("/") or rel.upper() == "SKILL.MD":
                raise ValueError(f"file path {rel!r} must be relative, inside the skill folder, and not SKILL.md")
        return v

    @property
    def item_id(self) -> str:
        return self.name


class ReviseSkill(_TargetsItem):
    """Replace a skill's body and/or description (the old version stays in history)."""

    kind: Literal["revise_skill"] = "revise_skill"
    store: str = "skills"
    body: str | None = None
    description: str | None = Field(default=None, max_length=1024)


class AddBehavior(_EditBase):
    """Add a behavior to the handbook: a short named instruction and when to apply it."""

    kind: Literal["add_behavior"] = "add_behavior"
    store: str = "behaviors"
    name: str = Field(..., min_length=1, max_length=200)
    instruction: str = Field(..., min_length=1)
    when: str = Field(default="", max_length=1000, description="When the behavior applies (helps recall).")
    topics: list[str] = Field(default_factory=list, description="Topic tags for topic-scoped recall (e.g. the task type).")
    namespace: str | None = Field(default=None, description="Namespace of the new behavior (default: the store's).")

    @property
    def item_id(self) -> str:
        return slugify(self.name)


class ExtendConcept(_EditBase):
    """Append knowledge to a concept (created if missing and ``create`` is true)."""

    kind: Literal["extend_concept"] = "extend_concept"
    store: str = "concepts"
    concept: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1)
    create: bool = True

    @property
    def item_id(self) -> str:
        return slugify(self.concept)


class SubroutineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=1000)
    steps: list[str] = Field(..., min_length=1)
    subroutine: str | None = Field(default=None, max_length=4000, description="The procedure verbatim (a decomposer's pair); default: name and numbered steps.")


class AddSubroutines(_EditBase):
    """Add one or more reasoning subroutines (named, described, step by step)."""

    kind: Literal["add_subroutines"] = "add_subroutines"
    store: str = "subroutines"
    subroutines: list[SubroutineSpec] = Field(..., min_length=1)
    namespace: str | None = Field(default=None, description="Namespace of the new pairs (default: the store's).")

    @property
    def item_id(self) -> str:
        return ",".join(slugify(s.name) for s in self.subroutines)


class AddConcepts(_EditBase):
    """Add or extend structured concepts (ArcMemo's program-synthesis format) with their relations.

    Each entry of ``concepts`` is a concept as :class:`~agentmem.stores.concept_models.Concept`
    reads it (name, kind, parameters, cues, implementation notes, ...); a name that exists is
    extended, never redefined. ``relations`` are ``[a, b, kind]`` triples (``uses``,
    ``specialises``); the concepts of one edit also become ``often_used_with`` each other.
    """

    kind: Literal["add_concepts"] = "add_concepts"
    store: str = "concepts"
    concepts: list[dict[str, Any]] = Field(..., min_length=1)
    relations: list[tuple[str, str, str]] = Field(default_factory=list)
    namespace: str | None = None

    @property
    def item_id(self) -> str:
        return ",".join(str(c.get("name", "?")) for c in self.concepts)


class AddItem(_EditBase):
    """Add a generic record (title + text) to any store that accepts plain records (facts, test stores)."""

    kind: Literal["add_item"] = "add_item"
    title: str = Field(..., min_length=1)
    text: str = Field(..., min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)
    id_hint: str | None = Field(default=None, description="Wanted id; default is the slug of the title.")

    @property
    def item_id(self) -> str:
        return self.id_hint or slugify(self.title)


class ReviseItem(_TargetsItem):
    """Replace a plain record's text (a fact's UPDATE; the store keeps the old text in the item's history)."""

    kind: Literal["revise_item"] = "revise_item"
    text: str = Field(..., min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Store-specific details (e.g. the span and memory skill behind a fact update).")


class UpdateUtility(_TargetsItem):
    """Credit an item that was in context for a run (recorded through ``Store.record_use``).

    Applied through :meth:`ReflectiveController.apply <agentmem.learning.controller.ReflectiveController.apply>`,
    an edit with a ``credit`` is also recorded where learning and ``memory why`` read credit: one
    outcome-log row, the utility table and the run's provenance. ``credit=None`` records only the use."""

    kind: Literal["update_utility"] = "update_utility"
    reward: float = Field(..., ge=-1.0, le=1.0, description="Reward recorded as the item's use.")
    success: bool
    credit: float | None = Field(default=None, description="Credit assigned to the item (marginal or outcome-weighted); None: a use without credit.")
    credit_method: Literal["marginal", "usage"] = "usage"


class RetireItem(_TargetsItem):
    """Move an item out of recall (kept in history; :class:`ActivateItem` brings it back)."""

    kind: Literal["retire_item"] = "retire_item"
    metadata: dict[str, Any] = Field(default_factory=dict, description="Store-specific details (e.g. the span and memory skill behind a fact deletion).")


class ActivateItem(_TargetsItem):
    """Admit a quarantined item to recall (after its tests/replay passed) or restore a retired one."""

    kind: Literal["activate_item"] = "activate_item"


class QuarantineItem(_TargetsItem):
    """Take an item out of recall until it is verified again (``agentmem skills state NAME quarantined``);
    :class:`ActivateItem` admits it back."""

    kind: Literal["quarantine_item"] = "quarantine_item"


Edit = Annotated[
    Union[AddSkill, ReviseSkill, AddBehavior, ExtendConcept, AddConcepts, AddSubroutines, AddItem, ReviseItem, UpdateUtility, RetireItem, ActivateItem, QuarantineItem],
    Field(discriminator="kind"),
]
EditAdapter: TypeAdapter[Any] = TypeAdapter(Edit)
EditListAdapter: TypeAdapter[Any] = TypeAdapter(list[Edit])

#: Every edit kind, by name.
EDIT_KINDS: tuple[str, ...] = (
    "add_skill", "revise_skill", "add_behavior", "extend_concept", "add_concepts", "add_subroutines", "add_item",
    "revise_item", "update_utility", "retire_item", "activate_item", "quarantine_item",
)
#: Kinds that create new items.
ADD_KINDS = frozenset({"add_skill", "add_behavior", "extend_concept", "add_concepts", "add_subroutines", "add_item"})
#: Kinds that change or remove what already exists (protected for shipped/verified items).
DESTRUCTIVE_KINDS = frozenset({"revise_skill", "revise_item", "retire_item", "quarantine_item"})


class Refusal(BaseModel):
    """A proposed edit that was not applied, and why (logged in the audit log)."""

    edit_id: str = Field(default_factory=lambda: new_id("e-"))
    kind: str = "unknown"
    store: str = ""
    item_id: str = ""
    stage: Literal["schema", "validation", "gate", "apply", "mode"] = "validation"
    reason: str
    raw: dict[str, Any] | str | None = None
    proposer: str = ""


def edit_text_fields(edit: Any) -> dict[str, str]:
    """The free-text fields of an edit (for size limits and duplicate checks)."""
    out: dict[str, str] = {}
    for name in ("name", "description", "body", "instruction", "when", "concept", "text", "title"):
        v = getattr(edit, name, None)
        if isinstance(v, str):
            out[name] = v
    for i, sub in enumerate(getattr(edit, "subroutines", []) or []):
        out[f"subroutines[{i}]"] = f"{sub.name}\n{sub.description}\n" + "\n".join(sub.steps) + (f"\n{sub.subroutine}" if sub.subroutine else "")
    for i, c in enumerate(getattr(edit, "concepts", []) or []):
        out[f"concepts[{i}]"] = json.dumps(c, sort_keys=True, default=str)
    for rel, text in (getattr(edit, "files", {}) or {}).items():
        out[f"files[{rel}]"] = text
    return out


def check_limits(edit: Any, limits: EditLimits) -> list[str]:
    """Problems with an edit's sizes (empty list = fine)."""
    problems: list[str] = []
    for field, text in edit_text_fields(edit).items():
        cap = limits.max_title_chars if field in {"name", "title", "concept"} else limits.max_text_chars
        if len(text) > cap:
            problems.append(f"{field}: {len(text)} characters exceeds the limit of {cap}")
    if len(getattr(edit, "files", {}) or {}) > limits.max_files:
        problems.append(f"files: {len(edit.files)} files exceeds the limit of {limits.max_files}")
    if len(getattr(edit, "subroutines", []) or []) > limits.max_subroutines:
        problems.append(f"subroutines: {len(edit.subroutines)} exceeds the limit of {limits.max_subroutines}")
    return problems


def _extract_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (model replies often wrap JSON in prose or fences)."""
    text = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "[{":
            try:
                obj, _ = decoder.raw_decode(text[i:])
                return obj
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON object or array found in the reply")


def parse_edits(reply: str | dict[str, Any] | list[Any], *, proposer: str = "") -> tuple[list[Any], list[Refusal]]:
    """Parse a model's proposal into typed edits, one at a time.

    Accepts ``{"edits": [...]}``, a bare list, or a single edit object. Each element that fails
    schema validation becomes a :class:`Refusal` (stage ``schema``) naming the field and reason;
    the valid ones are returned. Never raises on bad model output.
    """
    try:
        data = _extract_json(reply) if isinstance(reply, str) else reply
    except ValueError as exc:
        return [], [Refusal(stage="schema", reason=f"reply is not JSON: {exc}", raw=str(reply)[:500], proposer=proposer)]
    if isinstance(data, dict) and "edits" in data:
        data = data["edits"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [], [Refusal(stage="schema", reason=f"expected a list of edits, got {type(data).__name__}", raw=str(data)[:500], proposer=proposer)]
    edits: list[Any] = []
    refusals: list[Refusal] = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            refusals.append(Refusal(stage="schema", reason=f"edits[{i}]: expected an object, got {type(raw).__name__}", raw=str(raw)[:500], proposer=proposer))
            continue
        try:
            edit = EditAdapter.validate_python(raw)
        except ValidationError as exc:
            where = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5])
            refusals.append(Refusal(
                stage="schema", kind=str(raw.get("kind", "unknown")), store=str(raw.get("store", "")),
                item_id=str(raw.get("item_id", raw.get("name", ""))), reason=f"edits[{i}] invalid: {where}", raw=raw, proposer=proposer,
            ))
            continue
        if proposer and not edit.proposer:
            edit.proposer = proposer
        edits.append(edit)
    return edits, refusals
