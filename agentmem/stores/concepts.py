"""Concept memory (ArcMemo, PAPERS.md section 4): lessons and program-synthesis concepts.

Two formats, one store (``<home>/stores/concepts/``):

* **lessons** (open-ended): ``{situation, suggestion, source}`` in ``lessons/<id>.yaml``;
* **concepts** (program synthesis): name, kind (``structure`` | ``routine``), subtype, output
  type, typed parameters, description, cues (what to look for), implementation notes and
  ``used_in`` task ids, in ``concepts/<name>.yaml``; relations between them in
  ``relations.json`` (:mod:`agentmem.stores.concept_relations`).

Write: :meth:`ConceptMemory.abstract` shows the model a solution (pseudocode + summary) with
the rendered memory in its prompt (``prompts/concept_abstraction.j2``) so that it reuses
exact names. A proposed concept whose name exists is *extended* by :func:`merge_concepts`,
never redefined: cues and implementation notes are unioned without duplicates in order,
parameters merged by name (first definition kept), the first description kept, the task id
appended to ``used_in``. Kind, subtype and output type are kept from the first definition
(filled in only when it left them empty: our reading of "never redefined").

Read: :meth:`ConceptMemory.select` shows the model the rendered memory (concepts used in
fewer than ``min_uses_for_full`` tasks listed by name only) and the task, and takes back the
exact names to load; unknown names are reported and dropped; on a retry the failed attempt
and its feedback are in the prompt so it can reselect. The helpers a selected routine
``uses`` are pulled in from the relation graph. :meth:`ConceptMemory.select_by_embedding`
is the LLM-free fallback (hybrid search).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError, StructuredOutputError, ValidationFailed
from ..fileio import home_lock
from ..types import Lifecycle, MemoryRecord, Provenance, Recalled
from ._common import AddReport, LazyHybrid, UsageBook, approx_tokens
from .concept_models import (
    AbstractionReply,
    Concept,
    ConceptConfig,
    Lesson,
    LessonsReply,
    Parameter,
    ProposedConcept,
    Selection,
    SelectionReply,
    _clean_list,
    lesson_id,
    merge_concepts,
)
from .concept_relations import ConceptRelations
from .itemfiles import ItemFiles

if TYPE_CHECKING:
    from ..llm.base import LLM
    from ..prompts import PromptLibrary
    from ..retrieval.base import Embedder, VectorIndex
    from ..settings import Settings

STORE = "concepts"

__all__ = ["Concept", "ConceptConfig", "ConceptMemory", "Lesson", "Parameter", "Selection", "lesson_id", "merge_concepts"]


class ConceptMemory:
    """The ``concepts`` store: concepts, lessons and their relation graph."""

    name = STORE

    def __init__(self, settings: "Settings", *, embedder: "Embedder | None" = None, index: "VectorIndex | None" = None, config: ConceptConfig | None = None, root: Path | None = None, prompts: "PromptLibrary | None" = None) -> None:
        self.settings = settings
        self.config = config or ConceptConfig()
        self.root = Path(root) if root is not None else settings.paths.stores / STORE
        self.root.mkdir(parents=True, exist_ok=True)
        self.concepts: ItemFiles[Concept] = ItemFiles(self.root / "concepts", Concept, lambda c: c.name, max_bytes=self.config.max_item_bytes, history_root=self.root)
        self.lessons: ItemFiles[Lesson] = ItemFiles(self.root / "lessons", Lesson, lambda l: l.id, max_bytes=self.config.max_item_bytes, history_root=self.root)
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

    def relations(self) -> ConceptRelations:
        return ConceptRelations(self.root / "relations.json")

    def _lock(self):  # noqa: ANN202
        return home_lock(self.settings.paths.lock)

    def _index_rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        rows = [(c.name, c.text(), {"namespace": c.namespace, "format": "concept"}) for c in self.all_concepts() if c.state == Lifecycle.active]
        rows += [(l.id, l.text(), {"namespace": l.namespace, "format": "lesson"}) for l in self.all_lessons() if l.state == Lifecycle.active]
        return rows

    # -- reading ------------------------------------------------------------------------------
    def all_concepts(self, namespace: str | None = None) -> list[Concept]:
        return [c for c in self.concepts.load_all() if namespace is None or c.namespace == namespace]

    def all_lessons(self, namespace: str | None = None) -> list[Lesson]:
        return [l for l in self.lessons.load_all() if namespace is None or l.namespace == namespace]

    def get(self, name: str) -> Concept | None:
        return self.concepts.load(name)

    def get_lesson(self, item_id: str) -> Lesson | None:
        return self.lessons.load(item_id) if item_id.startswith("lesson-") else None

    def uses_of(self, c: Concept, usage: dict[str, Any] | None = None) -> int:
        """How often a concept was used: tasks it was abstracted from plus recorded uses."""
        book = usage if usage is not None else self.usage.all()
        stats = book.get(c.name)
        return len(c.used_in) + (stats.uses if stats else 0)

    def render_memory(self, namespace: str | None = None, *, full: Sequence[str] | None = None, min_uses_for_full: int | None = None) -> str:
        """The memory as the model sees it (``concept_memory.j2``).

        ``full`` renders exactly those names in full (and nothing else); otherwise every active
        concept is rendered, those used fewer than ``min_uses_for_full`` times by name only.
        """
        threshold = self.config.min_uses_for_full if min_uses_for_full is None else min_uses_for_full
        book = self.usage.all()
        concepts = [c for c in self.all_concepts(namespace) if c.state == Lifecycle.active]
        if full is not None:
            order = {n: i for i, n in enumerate(full)}
            shown = sorted([c for c in concepts if c.name in order], key=lambda c: order[c.name])
            brief: list[Concept] = []
            lessons: list[Lesson] = []
        else:
            shown = [c for c in concepts if self.uses_of(c, book) >= threshold]
            brief = [c for c in concepts if self.uses_of(c, book) < threshold]
            lessons = [l for l in self.all_lessons(namespace) if l.state == Lifecycle.active]
        rel = self.relations()
        related = {c.name: rel.related(c.name) for c in shown}
        return self.prompts.render("concept_memory.j2", concepts=shown, brief=brief, lessons=lessons, related=related)

    def render_selected(self, names: Sequence[str], budget_tokens: int = 1200) -> str:
        """The selected concepts in full, in order, dropping the last ones past ``budget_tokens``."""
        kept: list[str] = []
        text = ""
        for n in names:
            trial = self.render_memory(full=[*kept, n])
            if approx_tokens(trial) > budget_tokens:
                continue
            kept.append(n)
            text = trial
        return text

    def select(
        self,
        task: str,
        llm: "LLM",
        *,
        namespace: str | None = None,
        attempt: str | None = None,
        feedback: str | None = None,
        previous: Selection | None = None,
        fallback_k: int | None = 5,
    ) -> Selection:
        """Let the model pick the concepts to load for ``task`` by exact name.

        On a retry pass the failed ``attempt`` (and ``feedback``, ``previous`` selection): the
        prompt shows them so the model can reselect. Unknown names are dropped and reported in
        :attr:`Selection.unknown`. If the reply cannot be parsed even after one repair, the
        selection falls back to :meth:`select_by_embedding` (``fallback_k`` items; ``None``
        re-raises the :class:`StructuredOutputError`).
        """
        from ..llm.base import Message
        from ._replies import ask_structured

        if not task.strip():
            raise ValidationFailed("select(): the task text is empty", [("task", "empty")])
        memory = self.render_memory(namespace)
        prompt = self.prompts.render(
            "concept_selection.j2", task=task, memory=memory, attempt=attempt or "", feedback=feedback or "", previous=previous.all_names if previous else [], max_selected=self.config.max_selected
        )
        try:
            reply = ask_structured(llm, [Message(role="user", content=prompt)], SelectionReply)
        except StructuredOutputError as exc:
            if fallback_k is None:
                raise
            sel = self.select_by_embedding(task, k=fallback_k, namespace=namespace)
            return sel.model_copy(update={"method": "embedding_fallback", "note": f"selection reply unusable ({'; '.join(exc.errors[:2])}); used embedding search"})
        known = {c.name for c in self.all_concepts(namespace) if c.state == Lifecycle.active}
        names, unknown = [], []
        for raw in reply.names[: self.config.max_selected]:
            n = " ".join(str(raw).split())
            if n in known:
                if n not in names:
                    names.append(n)
            elif n:
                unknown.append(n)
        helpers = [h for h in self.relations().helpers(names, self.config.helper_depth) if h in known]
        return Selection(names=names, helpers=helpers, unknown=unknown, method="llm")

    def select_by_embedding(self, task: str, k: int = 5, namespace: str | None = None) -> Selection:
        """LLM-free selection: the ``k`` concepts closest to ``task`` (hybrid search), plus helpers."""
        names = [r.record.id for r in self.search(task, k=k * 2, namespace=namespace) if r.record.metadata.get("format") == "concept"][:k]
        known = {c.name for c in self.all_concepts(namespace) if c.state == Lifecycle.active}
        helpers = [h for h in self.relations().helpers(names, self.config.helper_depth) if h in known]
        return Selection(names=names, helpers=helpers, method="embedding")

    # -- writing ------------------------------------------------------------------------------
    def upsert_concept(self, concept: Concept, task_id: str | None = None, note: str = "") -> tuple[Concept, str]:
        """Add ``concept`` or extend the existing one of the same name; return ``(stored, "added"|"extended")``.

        Raises :class:`ValidationFailed` (and writes nothing) if the result would be oversized.
        """
        with self._lock():
            existing = self.get(concept.name)
            if existing is None:
                stored = concept.model_copy(update={"used_in": _clean_list([*concept.used_in, *([task_id] if task_id else [])])})
                how = "added"
            else:
                stored = merge_concepts(existing, concept, task_id)
                how = "extended"
            self.concepts.write(stored, note=note or f"{how} from {task_id or 'input'}")
            if stored.state == Lifecycle.active:
                self.index.upsert(stored.name, stored.text(), {"namespace": stored.namespace, "format": "concept"})
            return stored, how

    def add_lesson(self, lesson: Lesson) -> tuple[Lesson, str]:
        """Add a lesson; an identical one (same situation and suggestion) records the extra source instead."""
        with self._lock():
            lid = lesson.id or lesson_id(lesson.situation, lesson.suggestion)
            existing = self.lessons.load(lid)
            if existing is None:
                stored = lesson.model_copy(update={"id": lid})
                how = "added"
            else:
                extra = [s for s in [lesson.source, *lesson.also_from] if s and s != existing.source and s not in existing.also_from]
                stored = existing.model_copy(update={"also_from": [*existing.also_from, *extra]})
                how = "merged"
            self.lessons.write(stored, note=how)
            if stored.state == Lifecycle.active:
                self.index.upsert(stored.id, stored.text(), {"namespace": stored.namespace, "format": "lesson"})
            return stored, how

    def add_relation(self, a: str, b: str, kind: str, weight: float = 1.0) -> None:
        """Record ``a -kind-> b`` between two existing concepts."""
        from .concept_relations import KINDS

        if kind not in KINDS:
            raise ValidationFailed(f"relation kind must be one of {KINDS}, got {kind!r}", [("kind", kind)])
        with self._lock():
            for n in (a, b):
                if self.get(n) is None:
                    raise StoreError(f"{self.concepts.path(n)}: no concept {n!r} (relations join existing concepts)")
            rel = self.relations()
            rel.add(a, b, kind, weight)  # type: ignore[arg-type]
            rel.save(note=f"{a} {kind} {b}")

    def abstract(
        self,
        llm: "LLM",
        *,
        pseudocode: str,
        summary: str,
        task_id: str,
        task: str = "",
        namespace: str = "default/default",
        run_id: str | None = None,
    ) -> tuple[list[Concept], AddReport]:
        """Abstract concepts from a solution with ``concept_abstraction.j2`` and write them.

        Existing names are extended (never redefined); new relations (``uses``,
        ``specialises``) are recorded, and the concepts of one solution become
        ``often_used_with`` each other. Invalid or oversized proposals are skipped and reported;
        a reply that is not JSON/YAML even after one repair raises
        :class:`StructuredOutputError` and nothing is written.
        """
        proposed, relations, report = self.propose_abstraction(llm, pseudocode=pseudocode, summary=summary, task_id=task_id, task=task, namespace=namespace, run_id=run_id)
        stored: list[Concept] = []
        for concept in proposed:
            try:
                c, how = self.upsert_concept(concept, task_id)
            except ValidationFailed as exc:
                report.skip(concept.name, str(exc))
                continue
            stored.append(c)
            (report.added if how == "added" else report.merged).append(c.name)
        self._write_relations(stored, [r for r in relations if r[0] in {c.name for c in stored}], report)
        return stored, report

    def propose_abstraction(
        self, llm: "LLM", *, pseudocode: str, summary: str, task_id: str, task: str = "", namespace: str = "default/default", run_id: str | None = None,
    ) -> tuple[list[Concept], list[tuple[str, str, str]], AddReport]:
        """The concepts and relations :meth:`abstract` would write, without writing (learners turn
        them into an ``add_concepts`` edit for the reflective controller)."""
        from ..llm.base import Message
        from ._replies import ask_structured

        if not (pseudocode.strip() or summary.strip()):
            raise ValidationFailed("abstract(): the solution is empty (no pseudocode, no summary)", [("solution", "empty")])
        prompt = self.prompts.render("concept_abstraction.j2", task=task, pseudocode=pseudocode, summary=summary, memory=self.render_memory(namespace, min_uses_for_full=0))
        reply = ask_structured(llm, [Message(role="user", content=prompt)], AbstractionReply)
        report = AddReport()
        proposed: list[Concept] = []
        relations: list[tuple[str, str, str]] = []
        for i, raw in enumerate(reply.concepts):
            label = str(raw.get("name") or f"concept {i}") if isinstance(raw, dict) else f"concept {i}"
            try:
                prop = ProposedConcept.model_validate(raw)
                concept = Concept(
                    **prop.model_dump(exclude={"uses", "specialises"}),
                    namespace=namespace,
                    provenance=[Provenance(source="learned", task_id=task_id, run_id=run_id, note="concept_abstraction")],
                )
            except ValueError as exc:
                report.skip(label, f"invalid concept: {str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}")
                continue
            proposed.append(concept)
            relations += [(concept.name, u, "uses") for u in prop.uses] + [(concept.name, sp, "specialises") for sp in prop.specialises]
        return proposed, relations, report

    def add_relations(self, stored: list[Concept], relations: list[tuple[str, str, str]]) -> AddReport:
        """Record ``relations`` among stored concepts (and ``often_used_with`` between them)."""
        report = AddReport()
        self._write_relations(stored, relations, report)
        return report

    def _write_relations(self, stored: list[Concept], relations: list[tuple[str, str, str]], report: AddReport) -> None:
        with self._lock():
            rel = self.relations()
            changed = False
            for a, b, kind in relations:
                b = " ".join(b.split())
                if self.get(b) is None:
                    report.skip(f"{a} {kind} {b}", f"relation to unknown concept {b!r} not recorded")
                    continue
                rel.add(a, b, kind)  # type: ignore[arg-type]
                changed = True
            names = [c.name for c in stored]
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    rel.add(a, b, "often_used_with")
                    changed = True
            if changed:
                rel.save(note="abstraction")

    def abstract_lessons(self, llm: "LLM", *, trajectory: str, outcome_note: str = "", task_id: str, task: str = "", namespace: str = "default/default") -> tuple[list[Lesson], AddReport]:
        """The open-ended format: lessons ``{situation, suggestion}`` from a solution (``lesson_abstraction.j2``)."""
        from ..llm.base import Message
        from ._replies import ask_structured

        if not trajectory.strip():
            raise ValidationFailed("abstract_lessons(): the trajectory is empty", [("trajectory", "empty")])
        existing = [l for l in self.all_lessons(namespace) if l.state == Lifecycle.active]
        prompt = self.prompts.render("lesson_abstraction.j2", task=task, trajectory=trajectory, outcome_note=outcome_note, lessons=existing)
        reply = ask_structured(llm, [Message(role="user", content=prompt)], LessonsReply)
        report = AddReport()
        out: list[Lesson] = []
        for i, raw in enumerate(reply.lessons):
            try:
                lesson = Lesson.model_validate({**(raw if isinstance(raw, dict) else {}), "source": task_id, "namespace": namespace})
            except ValueError as exc:
                report.skip(f"lesson {i}", f"invalid lesson: {str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}")
                continue
            try:
                stored, how = self.add_lesson(lesson)
            except ValidationFailed as exc:
                report.skip(f"lesson {i}", str(exc))
                continue
            out.append(stored)
            (report.added if how == "added" else report.merged).append(stored.id)
        return out, report

    def describe(self, item_id: str) -> dict[str, Any] | None:
        """Everything known about one concept or lesson (for ``agentmem memory show``)."""
        item = self._item(item_id)
        if item is None:
            return None
        files: ItemFiles[Any] = self.lessons if isinstance(item, Lesson) else self.concepts
        out = {**item.model_dump(mode="json"), "usage": self.usage.get(item_id).model_dump(mode="json"), "file": str(files.path(item_id)), "versions": len(files.versions(item_id))}
        if isinstance(item, Concept):
            out["relations"] = [{"target": o, "kind": k, "weight": w} for o, k, w in self.relations().related(item.name)]
        return out

    def seed_from_shipped(self, path: Path | None = None) -> AddReport:
        """Add the shipped starter concepts (``agentmem/stores/seed/concepts.yaml``) not there yet, with their relations."""
        import yaml

        src = path or Path(__file__).with_name("seed") / "concepts.yaml"
        data = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
        report = AddReport()
        for raw in data.get("concepts", []):
            c = Concept.model_validate({**raw, "trust": "shipped", "provenance": [{"source": "shipped", "note": src.name}]})
            if self.get(c.name) is not None:
                report.skip(c.name, "already present")
                continue
            self.upsert_concept(c, note="seeded")
            report.added.append(c.name)
        for rel in data.get("relations", []):
            self.add_relation(rel["source"], rel["target"], rel["kind"])
        return report

    def versions(self, item_id: str) -> list[dict[str, Any]]:
        files = self.lessons if item_id.startswith("lesson-") else self.concepts
        return files.versions(item_id)

    def relation_versions(self) -> list[dict[str, Any]]:
        """Previous versions of ``relations.json``, oldest first."""
        return self.relations().history.versions("relations.json")

    def rollback_relations(self, version: int) -> None:
        """Restore ``relations.json`` to ``version`` byte for byte (the current bytes become a new version)."""
        from ..fileio import atomic_write_bytes

        with self._lock():
            rel = self.relations()
            data = rel.history.load("relations.json", version)
            if rel.path.exists():
                rel.history.save("relations.json", rel.path.read_bytes(), note=f"before rollback to v{version}")
            atomic_write_bytes(rel.path, data)

    def rollback(self, item_id: str, version: int) -> Concept | Lesson:
        """Restore one concept or lesson file to ``version`` byte for byte."""
        files: ItemFiles[Any] = self.lessons if item_id.startswith("lesson-") else self.concepts
        with self._lock():
            item = files.rollback(item_id, version)
            self.index.reset()
            return item

    # -- Store protocol -----------------------------------------------------------------------
    def _record(self, item: Concept | Lesson) -> MemoryRecord:
        if isinstance(item, Lesson):
            return MemoryRecord(id=item.id, store=STORE, title=item.situation[:120], text=item.text(), namespace=item.namespace, state=item.state, trust=item.trust, metadata={"format": "lesson", "source": item.source})
        return MemoryRecord(
            id=item.name, store=STORE, title=item.name, text=self.prompts.render("concept_memory.j2", concepts=[item], brief=[], lessons=[], related={}).strip(),
            namespace=item.namespace, state=item.state, trust=item.trust,
            metadata={"format": "concept", "kind": item.kind, "used_in": item.used_in},
        )

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        items: list[Concept | Lesson] = [*self.all_concepts(namespace), *self.all_lessons(namespace)]
        return [self._record(i) for i in items if include_inactive or i.state == Lifecycle.active]

    def _item(self, item_id: str) -> Concept | Lesson | None:
        return self.get_lesson(item_id) if item_id.startswith("lesson-") else self.get(item_id)

    def get_record(self, item_id: str) -> MemoryRecord | None:
        item = self._item(item_id)
        return self._record(item) if item else None

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        return self.index.search_active(query, k, namespace, self._item, self._record)

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        if self._item(item_id) is None:
            raise StoreError(f"{self.root}: no concept or lesson {item_id!r}")
        with self._lock():
            self.usage.record(item_id, reward, success)

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        with self._lock():
            item = self._item(item_id)
            if item is None:
                raise StoreError(f"{self.root}: no concept or lesson {item_id!r}")
            files: ItemFiles[Any] = self.lessons if isinstance(item, Lesson) else self.concepts
            files.write(item.model_copy(update={"state": Lifecycle(state)}), note=f"state -> {Lifecycle(state).value}")
            self.index.reset()
