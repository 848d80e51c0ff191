"""Edit appliers for the real stores, and the plugin functions that open them for the controller.

* :class:`SkillApplier`: ``add_skill`` / ``revise_skill`` on the
  :class:`~agentmem.stores.skill_library.SkillLibrary` (validation and the library's own write
  gates run as a dry run in ``check``; learned provenance and trust go into the skill's
  ``metadata``; a quarantined playbook is written, then set ``quarantined`` in the sidecar).
* :func:`skill_test_verifier`: a verifier for ``ReflectiveController.verify_quarantined`` that
  runs a playbook's test scripts in the sandbox.
* ``open_*`` functions: ``(store, applier, opener)`` for :data:`agentmem.learning.wiring.STORE_PLUGINS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import AgentmemError
from ..types import Lifecycle, Namespace

_SKILL_FOLDERS = ("scripts", "references", "assets")


def _skill_meta(edit: Any) -> dict[str, str]:
    prov = edit.provenance
    meta = {"trust": str(getattr(edit.trust, "value", edit.trust)), "edit_id": edit.edit_id, "reason": edit.reason[:300]}
    if prov.run_id:
        meta["run_id"] = prov.run_id
    if prov.task_id:
        meta["task_id"] = prov.task_id
    if edit.proposer:
        meta["proposer"] = edit.proposer
    return meta


def _split_files(files: dict[str, str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    out: dict[str, dict[str, str]] = {k: {} for k in _SKILL_FOLDERS}
    bad = []
    for rel, text in files.items():
        head, _, rest = rel.replace("\\", "/").partition("/")
        if head not in _SKILL_FOLDERS or not rest:
            bad.append(rel)
        else:
            out[head][rest] = text
    return out, bad


class SkillApplier:
    """``add_skill`` and ``revise_skill`` for a :class:`~agentmem.stores.skill_library.SkillLibrary`."""

    kinds = frozenset({"add_skill", "revise_skill"})

    def check(self, edit: Any, lib: Any) -> list[str]:
        try:
            if edit.kind == "add_skill":
                if lib.find(edit.name) is not None:
                    return [f"skills/{edit.name}: duplicate (a skill with this name exists; propose revise_skill)"]
                groups, bad = _split_files(edit.files)
                if bad:
                    return [f"skills/{edit.name}: files {bad} must be under scripts/, references/ or assets/"]
                lib.create(edit.name, edit.description, edit.body, source="learned", metadata=_skill_meta(edit), note=edit.reason, dry_run=True, **groups)
            else:
                if lib.find(edit.item_id) is None:
                    return [f"skills/{edit.item_id}: no such skill to revise"]
                if edit.body is None and edit.description is None:
                    return [f"skills/{edit.item_id}: revise_skill changes nothing (no body or description)"]
                lib.revise(edit.item_id, description=edit.description, body=edit.body, metadata=_skill_meta(edit), note=edit.reason, dry_run=True)
        except AgentmemError as exc:
            return [f"skills/{getattr(edit, 'item_id', '?')}: {exc}"]
        return []

    def apply(self, edit: Any, lib: Any, *, state: Lifecycle) -> list[str]:
        if edit.kind == "add_skill":
            groups, _ = _split_files(edit.files)
            skill = lib.create(edit.name, edit.description, edit.body, source="learned", metadata=_skill_meta(edit), note=edit.reason or "learned", **groups)
        else:
            skill = lib.revise(edit.item_id, description=edit.description, body=edit.body, metadata=_skill_meta(edit), note=edit.reason or "revised")
        if state != Lifecycle.active:
            lib.set_state(skill.name, state)
        return [skill.name]


def skill_test_verifier(lib: Any, sandbox: Any = None) -> Any:
    """``verifier(record) -> bool``: True when the skill is a playbook whose test scripts all pass."""
    from ..stores.skill_format import SkillKind
    from ..stores.skill_lint import run_skill_tests

    def verify(record: Any) -> bool:
        if record.store != lib.name:
            return False
        skill = lib.find(record.id)
        if skill is None or skill.kind is not SkillKind.playbook or not skill.tests:
            return False
        return not run_skill_tests(skill, sandbox)

    return verify


def open_skills(settings: Any) -> tuple[Any, Any, Any] | None:
    """The home's skill library, its applier, and an opener that re-opens it on a copied root (dry runs)."""
    try:
        from ..stores.skill_library import SkillLibrary
    except ImportError:  # pragma: no cover - the skills slice is part of agentmem
        return None

    def opener(root: Path) -> Any:
        # a dry-run copy lives at <tmp>/skills: a library whose home is <tmp> reads and writes there
        return SkillLibrary(settings_for(settings, Path(root), settings.paths.skills).model_copy(update={"home": Path(root).parent}))

    return SkillLibrary(settings), SkillApplier(), opener


def _provenance(edit: Any) -> Any:
    return edit.provenance.model_copy(update={"edit_id": edit.edit_id, "note": (edit.reason or edit.provenance.note)[:300]})


class BehaviorApplier:
    """``add_behavior`` for the :class:`~agentmem.stores.behaviors.BehaviorHandbook` (near-duplicates merge, the store's rule)."""

    kinds = frozenset({"add_behavior"})

    def check(self, edit: Any, hb: Any) -> list[str]:
        from ..stores.behaviors import normalise_name

        name = normalise_name(edit.name)
        if hb.get(name) is not None:
            return [f"behaviors/{name}: duplicate (a behavior with this name exists)"]
        instruction = " ".join((edit.instruction + (f" (when: {edit.when})" if edit.when else "")).split())
        if len(instruction) > hb.config.max_instruction_chars:
            return [f"behaviors/{name}: instruction has {len(instruction)} characters (limit {hb.config.max_instruction_chars})"]
        return []

    def apply(self, edit: Any, hb: Any, *, state: Lifecycle) -> list[str]:
        from ..stores.behaviors import Behavior, normalise_name

        instruction = " ".join((edit.instruction + (f" (when: {edit.when})" if edit.when else "")).split())
        extra: dict[str, Any] = {"topics": list(edit.topics)} if edit.topics else {}
        if edit.namespace:
            extra["namespace"] = edit.namespace
        b = Behavior(name=normalise_name(edit.name), instruction=instruction, state=state, trust=edit.trust, provenance=[_provenance(edit)], **extra)
        name, _how = hb.add(b, note=edit.reason or "learned")
        return [name]


class ConceptApplier:
    """``extend_concept`` for :class:`~agentmem.stores.concepts.ConceptMemory`: the text becomes an
    implementation note of the named concept (created as a ``routine`` when missing and ``create``)."""

    kinds = frozenset({"extend_concept", "add_concepts"})

    def _concepts(self, edit: Any, state: Lifecycle) -> list[Any]:
        from ..stores.concept_models import Concept

        out = []
        for raw in edit.concepts:
            data = {k: v for k, v in raw.items() if k not in {"provenance", "namespace", "state", "trust"}}
            out.append(Concept(**data, namespace=edit.namespace or "default/default", state=state, trust=edit.trust, provenance=[_provenance(edit)]))
        return out

    def check(self, edit: Any, cm: Any) -> list[str]:
        if edit.kind == "add_concepts":
            try:
                self._concepts(edit, Lifecycle.active)
            except ValueError as exc:
                return [f"concepts/{edit.item_id}: invalid concept ({str(exc).splitlines()[0]})"]
            return []
        if cm.get(edit.concept) is None and not edit.create:
            return [f"concepts/{edit.concept}: no such concept and create is false"]
        existing = cm.get(edit.concept)
        if existing is not None and edit.text.strip() in existing.implementation:
            return [f"concepts/{edit.concept}: duplicate (the concept already has this note)"]
        return []

    def apply(self, edit: Any, cm: Any, *, state: Lifecycle) -> list[str]:
        from ..stores.concept_models import Concept

        if edit.kind == "add_concepts":
            stored = [cm.upsert_concept(c, edit.provenance.task_id, note=edit.reason or "abstracted")[0] for c in self._concepts(edit, state)]
            cm.add_relations(stored, [tuple(r) for r in edit.relations])
            return [c.name for c in stored]
        existing = cm.get(edit.concept)
        new = Concept(name=edit.concept, kind=existing.kind if existing else "routine", description="" if existing else edit.text.strip().splitlines()[0][:300],
                      implementation=[edit.text.strip()], state=existing.state if existing else state, trust=edit.trust, provenance=[_provenance(edit)])
        stored, _how = cm.upsert_concept(new, task_id=edit.provenance.task_id, note=edit.reason or "extended")
        return [stored.name]


class SubroutineApplier:
    """``add_subroutines`` for the :class:`~agentmem.stores.subroutines.SubroutineStore`: each spec
    becomes a (subquestion = description, subroutine = name + numbered steps) pair."""

    kinds = frozenset({"add_subroutines"})

    def _pairs(self, edit: Any, state: Lifecycle = Lifecycle.active) -> list[Any]:
        from ..stores.subroutines import Subroutine

        extra: dict[str, Any] = {"namespace": edit.namespace} if edit.namespace else {}
        return [
            Subroutine(subquestion=s.description, subroutine=s.subroutine or (f"{s.name}: " + " ".join(f"({i + 1}) {st}" for i, st in enumerate(s.steps))),
                       source_task=edit.provenance.task_id, source_run=edit.provenance.run_id, trust=edit.trust, provenance=_provenance(edit), **extra)
            for s in edit.subroutines
        ]

    def check(self, edit: Any, store: Any) -> list[str]:
        problems = []
        for p in self._pairs(edit):
            why = store._check(p)
            if why:
                problems.append(f"subroutines/{p.subquestion[:40]}: {why}")
        return problems

    def apply(self, edit: Any, store: Any, *, state: Lifecycle) -> list[str]:
        report = store.add(self._pairs(edit), note=edit.reason or "learned")
        if state != Lifecycle.active:
            for iid in report.added:
                store.set_state(iid, state)
        return list(report.added)


def settings_for(settings: Any, root: Path, live_root: Path) -> Any:
    """``settings`` for a store opened on ``root``: unchanged for the live root; for a dry-run copy,
    a home next to the copy with an in-memory index, so the copy never touches the live index or lock."""
    if Path(root).resolve() == Path(live_root).resolve():
        return settings
    return settings.model_copy(update={"home": Path(root).parent, "index": settings.index.model_copy(update={"backend": "memory", "chroma_url": None})})


def _opener(cls: Any, settings: Any, live_root: Path) -> Any:
    return lambda root: cls(settings_for(settings, Path(root), live_root), root=Path(root))


def open_behaviors(settings: Any) -> tuple[Any, Any, Any] | None:
    from ..stores.behaviors import BehaviorHandbook

    store = BehaviorHandbook(settings)
    return store, BehaviorApplier(), _opener(BehaviorHandbook, settings, store.root)


def open_concepts(settings: Any) -> tuple[Any, Any, Any] | None:
    from ..stores.concepts import ConceptMemory

    store = ConceptMemory(settings)
    return store, ConceptApplier(), _opener(ConceptMemory, settings, store.root)


def open_subroutines(settings: Any) -> tuple[Any, Any, Any] | None:
    from ..stores.subroutines import SubroutineStore

    store = SubroutineStore(settings)
    return store, SubroutineApplier(), _opener(SubroutineStore, settings, store.root)


class FactApplier:
    """Edits of the :class:`~agentmem.stores.facts.FactStore` (``Memory.remember``, MCP ``remember``, the
    run-lesson learner, MemSkill's executor), each recorded in the fact's own history:

    * ``add_item``: a new fact (INSERT) in ``metadata["namespace"]`` (default: the store's);
    * ``revise_item``: UPDATE of an active fact's text;
    * ``retire_item``: DELETE (the fact leaves recall; its history stays).

    ``metadata["span_id"]`` and ``metadata["skill"]`` (MemSkill) go into the history entry.
    """

    kinds = frozenset({"add_item", "revise_item", "retire_item"})
    #: Every file it writes under the store's root goes through :func:`agentmem.fileio.atomic_write_bytes`
    #: (item files; the indexes live outside the root), which the edit journal observes: the engine
    #: need not hash the store after each edit to find its writes.
    observed_writes = True

    def check(self, edit: Any, store: Any) -> list[str]:
        if edit.kind == "add_item":
            problems = [] if edit.text.strip() else [f"{store.name}: empty text"]
            if getattr(edit, "id_hint", None) and store.get(edit.item_id) is not None:
                problems.append(f"{store.name}/{edit.item_id}: duplicate id (an item with this id exists)")
            ns = (getattr(edit, "metadata", {}) or {}).get("namespace")
            if ns is not None:
                try:
                    Namespace.parse(str(ns))
                except ValueError as exc:
                    problems.append(f"{store.name}/{edit.item_id}: metadata.namespace: {exc}")
            return problems
        item = store.get(edit.item_id)
        if item is None:
            return [f"{store.name}/{edit.item_id}: unknown memory id"]
        if item.state != Lifecycle.active:
            return [f"{store.name}/{edit.item_id}: cannot {'update' if edit.kind == 'revise_item' else 'delete'} it, it is {item.state.value}"]
        return []

    def apply(self, edit: Any, store: Any, *, state: Lifecycle) -> list[str]:
        meta = getattr(edit, "metadata", {}) or {}
        where = {"span_id": meta.get("span_id"), "skill": meta.get("skill")}
        if edit.kind == "revise_item":
            return [store.update(edit.item_id, edit.text, reason=edit.reason, **where).id]
        if edit.kind == "retire_item":
            return [store.delete(edit.item_id, reason=edit.reason, **where).id]
        ns = Namespace.parse(str(meta["namespace"])).key() if meta.get("namespace") else store.namespace
        # with an id hint the caller knows the id before the edit is applied (the memory service acknowledges by it)
        item_id = edit.item_id if getattr(edit, "id_hint", None) else None
        item = store.insert(edit.text, namespace=ns, provenance=_provenance(edit), reason=edit.reason, item_id=item_id, **where)
        if state != Lifecycle.active:
            store.set_state(item.id, state)
        return [item.id]


def open_facts(settings: Any) -> tuple[Any, Any, Any] | None:
    """The home's fact store (``<home>/stores/facts``: ``remember``, run lessons, MemSkill facts)."""
    from ..stores.facts import FactStore

    store = FactStore.from_settings(settings)
    return store, FactApplier(), lambda root: FactStore(Path(root), store.embedder, namespace=store.namespace)


def applier_for(store: Any) -> Any:
    """The applier for a live store object, by its type (``None``: lifecycle edits only)."""
    from ..stores.behaviors import BehaviorHandbook
    from ..stores.concepts import ConceptMemory
    from ..stores.facts import FactStore
    from ..stores.skill_library import SkillLibrary
    from ..stores.subroutines import SubroutineStore
    from .recordstore import RecordApplier, RecordStore

    table = [(SkillLibrary, SkillApplier), (BehaviorHandbook, BehaviorApplier), (ConceptMemory, ConceptApplier),
             (SubroutineStore, SubroutineApplier), (FactStore, FactApplier), (RecordStore, RecordApplier)]
    from ..stores.shared import SharedStore

    inner = store.store if isinstance(store, SharedStore) else store
    for cls, applier in table:
        if isinstance(inner, cls):
            return applier()
    return None
