"""A small file-backed store of plain records, and its edit applier.

:class:`RecordStore` implements the :class:`~agentmem.stores.base.Store` protocol with one
Markdown file per item (``items/<id>.md``: a JSON header between ``---`` lines, then the text)
and one usage file per item (``usage/<id>.json``). Every call checks the files on disk (a parse
is reused only while the file's inode, mtime and size are unchanged), so several processes can
share it under the home write lock. The controller's tests and the
LLM-free learning demonstration use it; it is also a reference for store authors writing an
:class:`~agentmem.learning.appliers.EditApplier`.

Example::

    store = RecordStore("behaviors", home / "stores" / "behaviors")
    store.add(MemoryRecord(id="check-units", store="behaviors", title="Check units", text="..."))
    store.search("units", k=3)
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..fileio import atomic_write_json, atomic_write_text, read_json, safe_name
from ..tokens import approx_tokens
from ..types import Lifecycle, MemoryRecord, Provenance, Recalled, Trust, UsageStats
from .edits import slugify

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the and or of to in on for with is are be it this that when then by at as from".split())


def tokens(text: str) -> set[str]:
    return {t for t in _TOKEN.findall(text.lower()) if t not in _STOP}


class RecordStore:
    """Plain records as readable files (the files are the truth; parsed records are cached by file stat)."""

    def __init__(self, name: str, root: str | Path) -> None:
        self.name = name
        self.root = Path(root)
        self._parsed: dict[str, tuple[tuple[int, int, int], MemoryRecord]] = {}  # parse cache keyed by file stat

    # ---- files -----------------------------------------------------------------------
    def _item_path(self, item_id: str) -> Path:
        return self.root / "items" / f"{safe_name(item_id)}.md"

    def _usage_path(self, item_id: str) -> Path:
        return self.root / "usage" / f"{safe_name(item_id)}.json"

    def _read(self, path: Path) -> MemoryRecord:
        try:
            st = path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            hit = self._parsed.get(str(path))
            if hit is not None and hit[0] == stamp:
                return hit[1].model_copy()
        except OSError:
            stamp = None
        try:
            raw = path.read_text(encoding="utf-8")
            _, header, text = raw.split("---\n", 2)
            meta = json.loads(header)
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable record ({exc})") from exc
        rec = MemoryRecord(text=text.rstrip("\n"), **meta)
        if stamp is not None:
            self._parsed[str(path)] = (stamp, rec.model_copy())
        return rec

    def _write(self, rec: MemoryRecord) -> None:
        header = rec.model_dump(mode="json", exclude={"text"})
        atomic_write_text(self._item_path(rec.id), "---\n" + json.dumps(header, sort_keys=True) + "\n---\n" + rec.text + "\n")

    def reload(self) -> None:
        """Drop the parse cache (files changed behind our back, e.g. a rollback)."""
        self._parsed.clear()

    # ---- Store protocol --------------------------------------------------------------
    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        d = self.root / "items"
        out = []
        for p in sorted(d.glob("*.md")) if d.is_dir() else []:
            rec = self._read(p)
            if namespace is not None and rec.namespace != namespace:
                continue
            if include_inactive or rec.state == Lifecycle.active:
                out.append(rec)
        return out

    def get_record(self, item_id: str) -> MemoryRecord | None:
        p = self._item_path(item_id)
        return self._read(p) if p.exists() else None

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        """Cosine of token sets (title + text); scores in [0, 1]; ties broken by id."""
        q = tokens(query)
        scored = []
        for rec in self.records(namespace):
            d = tokens(rec.title + " " + rec.text)
            s = len(q & d) / math.sqrt(len(q) * len(d)) if q and d else 0.0
            scored.append((s, rec))
        scored.sort(key=lambda t: (-t[0], t[1].id))
        return [Recalled(record=r, score=round(s, 6), tokens=approx_tokens(r.text), reasons=["lexical"]) for s, r in scored[:k]]

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        if self.get_record(item_id) is None:
            raise StoreError(f"{self.name}: no item {item_id!r} to record a use for")
        stats = self.usage(item_id)
        stats.record(reward, success)
        stats.utility = stats.mean_reward
        atomic_write_json(self._usage_path(item_id), stats.model_dump(mode="json"))

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        rec = self.get_record(item_id)
        if rec is None:
            raise StoreError(f"{self.name}: no item {item_id!r} to move to {state.value}")
        rec.state = Lifecycle(state)
        self._write(rec)

    # ---- extras ----------------------------------------------------------------------
    def usage(self, item_id: str) -> UsageStats:
        return UsageStats(**read_json(self._usage_path(item_id), {}))

    def add(self, rec: MemoryRecord) -> str:
        if self.get_record(rec.id) is not None:
            raise StoreError(f"{self.name}: item {rec.id!r} already exists")
        rec = rec.model_copy(update={"store": self.name})
        self._write(rec)
        return rec.id

    def update(self, rec: MemoryRecord) -> None:
        if self.get_record(rec.id) is None:
            raise StoreError(f"{self.name}: no item {rec.id!r} to update")
        self._write(rec)


def _normalise(text: str) -> str:
    return " ".join(sorted(tokens(text)))


class RecordApplier:
    """Applies ``add_item``, ``add_behavior``, ``extend_concept``, ``add_subroutines``, ``add_skill`` and
    ``revise_skill`` to a :class:`RecordStore` (a skill becomes one record; its files go in metadata)."""

    kinds = frozenset({"add_item", "add_behavior", "extend_concept", "add_subroutines", "add_skill", "revise_skill"})

    def _new_records(self, edit: Any, store: RecordStore) -> list[MemoryRecord]:
        prov = edit.provenance.model_copy(update={"edit_id": edit.edit_id})
        meta = {"provenance": prov.model_dump(mode="json"), "reason": edit.reason}
        if edit.kind == "add_item":
            return [MemoryRecord(id=edit.item_id, store=store.name, title=edit.title, text=edit.text, trust=edit.trust, metadata={**edit.metadata, **meta})]
        if edit.kind == "add_behavior":
            text = edit.instruction + (f"\nWhen: {edit.when}" if edit.when else "")
            return [MemoryRecord(id=edit.item_id, store=store.name, title=edit.name, text=text, trust=edit.trust, metadata=meta)]
        if edit.kind == "add_subroutines":
            return [
                MemoryRecord(id=slugify(s.name), store=store.name, title=s.name, text=s.description + "\n" + "\n".join(f"{i + 1}. {st}" for i, st in enumerate(s.steps)), trust=edit.trust, metadata=meta)
                for s in edit.subroutines
            ]
        if edit.kind == "extend_concept":
            return [MemoryRecord(id=edit.item_id, store=store.name, title=edit.concept, text=edit.text, trust=edit.trust, metadata=meta)]
        if edit.kind == "add_skill":
            return [MemoryRecord(id=edit.item_id, store=store.name, title=edit.description, text=edit.body, trust=edit.trust, metadata={**meta, "playbook": edit.playbook, "files": edit.files})]
        raise StoreError(f"RecordApplier cannot apply {edit.kind!r}")

    def check(self, edit: Any, store: RecordStore) -> list[str]:
        problems = []
        if edit.kind == "revise_skill":
            if store.get_record(edit.item_id) is None:
                return [f"{store.name}/{edit.item_id}: no such skill to revise"]
            if edit.body is None and edit.description is None:
                return [f"{store.name}/{edit.item_id}: revise_skill changes nothing (no body or description)"]
            return []
        if edit.kind == "extend_concept":
            if store.get_record(edit.item_id) is None and not edit.create:
                problems.append(f"{store.name}/{edit.item_id}: concept does not exist and create is false")
            return problems
        existing = {_normalise(r.text) for r in store.records(include_inactive=True)}
        for rec in self._new_records(edit, store):
            if store.get_record(rec.id) is not None:
                problems.append(f"{store.name}/{rec.id}: duplicate id (an item with this id exists)")
            elif _normalise(rec.text) in existing:
                problems.append(f"{store.name}/{rec.id}: duplicate text (same content as an existing item)")
        return problems

    def apply(self, edit: Any, store: RecordStore, *, state: Lifecycle) -> list[str]:
        written = []
        if edit.kind == "revise_skill":
            cur = store.get_record(edit.item_id)
            assert cur is not None
            if edit.body is not None:
                cur.text = edit.body
            if edit.description is not None:
                cur.title = edit.description
            cur.trust = Trust(edit.trust) if _lower(edit.trust, cur.trust) else cur.trust
            cur.metadata = {**cur.metadata, "revised_by": edit.edit_id, "revise_reason": edit.reason}
            store.update(cur)
            return [cur.id]
        if edit.kind == "extend_concept":
            cur = store.get_record(edit.item_id)
            if cur is not None:
                cur.text = cur.text + "\n" + edit.text
                cur.trust = Trust(edit.trust) if _lower(edit.trust, cur.trust) else cur.trust
                store.update(cur)
                return [cur.id]
        for rec in self._new_records(edit, store):
            rec.state = state
            store.add(rec)
            written.append(rec.id)
        return written


def _lower(a: Trust | str, b: Trust | str) -> bool:
    from .edits import trust_rank

    return trust_rank(a) < trust_rank(b)


def seed_record(store: RecordStore, item_id: str, title: str, text: str, trust: Trust = Trust.shipped, **metadata: Any) -> None:
    """Write a hand-made (shipped) record; for tests and benchmarks."""
    store.add(MemoryRecord(id=item_id, store=store.name, title=title, text=text, trust=trust, metadata={"provenance": Provenance(source="shipped").model_dump(mode="json"), **metadata}))


def record_stores(home: str | Path, names: list[str]) -> tuple[Any, Any]:
    """A :class:`~agentmem.learning.state.MemoryState` of :class:`RecordStore`\\ s under ``<home>/stores``
    (with openers, so dry runs work on copies) and an applier registry for them."""
    from .appliers import ApplierRegistry
    from .state import MemoryState

    state = MemoryState()
    registry = ApplierRegistry()
    applier = RecordApplier()
    for name in names:
        state.add(RecordStore(name, Path(home) / "stores" / name), opener=lambda root, _n=name: RecordStore(_n, root))
        registry.register(name, applier)
    return state, registry
