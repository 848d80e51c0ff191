"""The conversation store: raw dialogue turns (speaker, date, session), searchable like any store.

Each turn becomes a :class:`~agentmem.types.MemoryRecord` whose text is
``[<date>] <speaker>: <text>`` (plus `` [image: <caption>]``), the same rendering as the LoCoMo
benchmark, and whose metadata carries ``speaker``, ``date``, ``session``, ``index`` and
``has_image`` (the trained proxy uses them). Files are the truth: one JSON-lines file per
namespace under ``root`` (``<root>/<user>__<agent>[__<run>].jsonl``), rewritten atomically;
the hybrid index is rebuilt from them on open.

Example::

    store = ConversationStore(settings.paths.stores / "conversation", embedder, index)
    store.add_turns([ConversationTurn(speaker="Caroline", text="I went to a support group yesterday.",
                                      date="8 May 2023", session=1, index=0)], namespace="alice")
    store.search("When did Caroline go to the support group?", namespace="alice")
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import StoreError
from ..fileio import atomic_write_text
from ..retrieval.base import Embedder, VectorIndex
from ..types import Lifecycle, MemoryRecord, Trust, new_id
from .memory_store import IndexedStore, namespace_key


class ConversationTurn(BaseModel):
    """One utterance of a conversation."""

    id: str = Field(default_factory=lambda: new_id("turn-"))
    speaker: str
    text: str
    date: str = ""
    session: int = 0
    index: int = 0
    image_caption: str | None = None
    state: Lifecycle = Lifecycle.active
    metadata: dict[str, Any] = Field(default_factory=dict)

    def render(self) -> str:
        out = f"[{self.date}] {self.speaker}: {self.text}"
        if self.image_caption:
            out += f" [image: {self.image_caption}]"
        return out


class ConversationStore(IndexedStore):
    """Raw turns per namespace, persisted as JSON lines, searchable with hybrid search."""

    def __init__(self, root: str | Path, embedder: Embedder, index: VectorIndex, name: str = "conversation", rrf_k: int = 60) -> None:
        super().__init__(name, embedder, index, root=root, rrf_k=rrf_k)
        self.root.mkdir(parents=True, exist_ok=True)
        self._turns: dict[str, dict[str, ConversationTurn]] = {}
        self._load()

    def _file(self, ns: str) -> Path:
        return self.root / (ns.replace("/", "__") + ".jsonl")

    def _load(self) -> None:
        for path in sorted(self.root.glob("*.jsonl")):
            ns = path.stem.replace("__", "/")
            turns: dict[str, ConversationTurn] = {}
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    turns_obj = ConversationTurn(**json.loads(line))
                except (json.JSONDecodeError, TypeError, ValidationError) as exc:
                    raise StoreError(f"{path}:{n}: malformed turn ({exc})") from exc
                turns[turns_obj.id] = turns_obj
            self._turns[ns] = turns
            super().add(self._record(t, ns) for t in turns.values())

    def _record(self, t: ConversationTurn, ns: str) -> MemoryRecord:
        meta = {"speaker": t.speaker, "date": t.date, "session": t.session, "index": t.index, "has_image": bool(t.image_caption), **t.metadata}
        return MemoryRecord(id=t.id, store=self.name, title=f"{t.speaker}, session {t.session}", text=t.render(), namespace=ns, state=t.state, trust=Trust.untrusted, metadata=meta)

    def add_turns(self, turns: Iterable[ConversationTurn], namespace: str | None = None) -> list[str]:
        """Append (or replace by id) turns in a namespace and persist that namespace's file."""
        ns = namespace_key(namespace)
        batch = list(turns)
        for t in batch:
            if t.id in self._records and self._records[t.id].namespace != ns:
                raise StoreError(f"store {self.name!r}: turn id {t.id!r} already exists in namespace {self._records[t.id].namespace!r}")
        bucket = self._turns.setdefault(ns, {})
        for t in batch:
            bucket[t.id] = t
        atomic_write_text(self._file(ns), "".join(t.model_dump_json() + "\n" for t in bucket.values()))
        return self.add(self._record(t, ns) for t in batch)

    def turns(self, namespace: str | None = None) -> list[ConversationTurn]:
        return list(self._turns.get(namespace_key(namespace), {}).values())

    def ingest_locomo(self, conversation: Any, namespace: str | None = None) -> list[str]:
        """Add a LoCoMo conversation's turns (ids ``<sample_id>:<dia_id>``), rendered exactly as the benchmark renders them."""
        return self.add_turns(
            (ConversationTurn(id=f"{conversation.sample_id}:{t.dia_id}", speaker=t.speaker, text=t.text, date=t.date, session=t.session, index=t.index, image_caption=t.blip_caption, metadata={"dia_id": t.dia_id}) for t in conversation.turns),
            namespace=namespace,
        )

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        """Move a turn through its lifecycle and persist it (retired turns leave recall, stay on disk)."""
        super().set_state(item_id, state)
        ns = self._records[item_id].namespace
        bucket = self._turns[ns]
        bucket[item_id] = bucket[item_id].model_copy(update={"state": Lifecycle(state)})
        atomic_write_text(self._file(ns), "".join(t.model_dump_json() + "\n" for t in bucket.values()))
