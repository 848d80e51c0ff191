"""Reasoning memory: ``(subquestion, subroutine)`` pairs at scale (PAPERS.md section 5).

A step-by-step trajectory is decomposed by an LLM (``prompts/subroutine_decomposition.j2``)
into self-contained pairs: the question one step answered and the procedure that answered
it. The pairs are searched by their *subquestion* during reasoning (see
:mod:`agentmem.stores.subroutine_reasoning` for in-thought retrieval).

Storage is built for millions of pairs (the paper's datastore has 32 million):

* the truth is append-only JSONL shards with a 16-byte-per-row offset index
  (:class:`~agentmem.stores.shards.ShardedJsonl`); a pair's id is ``sr-<row>``;
* the search index is a flat memory-mapped float32 file searched exactly
  (:class:`~agentmem.stores.vector_file.ExactVectorFile`), with a parallel ``namespaces.u16``
  row -> namespace-code file; both are caches, rebuilt from the shards by :meth:`reindex`;
* lifecycle states and usage statistics live in small JSON sidecars (sparse: only items
  that were used or retired have an entry);
* history is the append log: every batch is one entry of ``batches.jsonl`` and
  :meth:`SubroutineStore.rollback` truncates all files back to a batch boundary, which gives
  exactly the bytes the store had then.

Search is dense-only (cosine over subquestion embeddings): a BM25 index over a million
procedures would cost minutes to build and gigabytes to hold, for little gain on short
subquestions. See ``docs/subroutines.md`` for the measured figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..errors import StoreError, ValidationFailed
from ..fileio import FileHistory, atomic_write_json, home_lock, read_json
from ..types import Lifecycle, MemoryRecord, Provenance, Recalled, Trust
from ._common import AddReport, UsageBook, approx_tokens, clip01, now
from .shards import ShardedJsonl
from .vector_ann import AnnIndex, ann_cache_dir
from .vector_file import ExactVectorFile

if TYPE_CHECKING:
    from ..llm.base import LLM
    from ..prompts import PromptLibrary
    from ..retrieval.base import Embedder
    from ..settings import Settings

STORE = "subroutines"


class SubroutineConfig(BaseModel):
    """Tunables of the subroutine store."""

    model_config = ConfigDict(extra="forbid")

    max_subquestion_chars: int = Field(default=1_000, gt=0, description="Longer subquestions are skipped (reported), not truncated.")
    max_subroutine_chars: int = Field(default=6_000, gt=0, description="Longer subroutines are skipped (reported).")
    rows_per_shard: int = Field(default=100_000, gt=0)
    embed_batch: int = Field(default=256, gt=0)


class Subroutine(BaseModel):
    """One stored pair with its provenance."""

    id: str = Field(default="", description="'sr-<row>', assigned by the store.")
    subquestion: str = Field(..., min_length=1, description="The self-contained question one reasoning step answered.")
    subroutine: str = Field(..., min_length=1, description="The procedure that answered it, reusable on other problems.")
    namespace: str = "default/default"
    source_task: str | None = None
    source_run: str | None = None
    steps: list[int] = Field(default_factory=list, description="Indices of the trajectory steps the pair was taken from.")
    trust: Trust = Trust.learned
    provenance: Provenance = Field(default_factory=lambda: Provenance(source="learned"))

    def text(self) -> str:
        return f"Subquestion: {self.subquestion}\nSubroutine: {self.subroutine}"


class ProposedPair(BaseModel):
    """A pair as the decomposition prompt returns it."""

    subquestion: str
    subroutine: str
    steps: list[int] = Field(default_factory=list)


class DecompositionReply(BaseModel):
    pairs: list[ProposedPair]


_PAIRS = TypeAdapter(list[Subroutine])


def _row_of(item_id: str) -> int:
    if not item_id.startswith("sr-"):
        raise KeyError(item_id)
    try:
        return int(item_id[3:])
    except ValueError as exc:
        raise KeyError(item_id) from exc


def _id_of(row: int) -> str:
    return f"sr-{row}"


class SubroutineStore:
    """The ``subroutines`` store: append-only shards + exact memory-mapped vector index."""

    name = STORE

    def __init__(self, settings: "Settings", *, embedder: "Embedder | None" = None, config: SubroutineConfig | None = None, root: Path | None = None) -> None:
        self.settings = settings
        self.config = config or SubroutineConfig()
        self.root = Path(root) if root is not None else settings.paths.stores / STORE
        self.root.mkdir(parents=True, exist_ok=True)
        if embedder is None:
            from ..retrieval.factory import make_embedder

            embedder = make_embedder(settings)
        self.embedder = embedder
        self.shards = ShardedJsonl(self.root, self.config.rows_per_shard)
        self.usage = UsageBook(self.root)
        self._history = FileHistory(self.root)
        self._meta_path = self.root / "meta.json"
        self._state_path = self.root / "state.json"
        self._log_path = self.root / "batches.jsonl"
        meta = read_json(self._meta_path, None)
        if meta is None:
            meta = {"format": 1, "dim": int(embedder.dim), "embedder": embedder.name, "namespaces": []}
            atomic_write_json(self._meta_path, meta)
        self._meta = meta
        if int(meta["dim"]) != int(embedder.dim) or meta.get("embedder") != embedder.name:
            if len(self.shards):
                raise StoreError(
                    f"{self._meta_path}: vectors were built with {meta.get('embedder')} ({meta['dim']}-d) but the embedder is {embedder.name} "
                    f"({embedder.dim}-d); run SubroutineStore.reindex() (or `agentmem memory reindex subroutines`) to rebuild them"
                )
            self._meta = {**meta, "dim": int(embedder.dim), "embedder": embedder.name}
            atomic_write_json(self._meta_path, self._meta)
        self.vectors = ExactVectorFile(self.root / "vectors.f32", int(self._meta["dim"]))
        self.ann = AnnIndex(self.vectors, ann_cache_dir(settings, self.root))  # approximate candidates + exact re-scoring (a cache; see vector_ann.py)
        self._ns_path = self.root / "namespaces.u16"
        self._states: dict[str, str] | None = None

    # -- size and lock ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.shards)

    def _lock(self):  # noqa: ANN202
        return home_lock(self.settings.paths.lock)

    # -- namespaces ---------------------------------------------------------------------------
    def _reload_meta(self) -> None:
        """Re-read ``meta.json`` (another process may have added namespaces): call under the lock
        before any write, and on a namespace miss when reading."""
        meta = read_json(self._meta_path, None)
        if isinstance(meta, dict):
            self._meta = meta

    def _ns_code(self, namespace: str, create: bool) -> int | None:
        names: list[str] = self._meta.setdefault("namespaces", [])
        if namespace in names:
            return names.index(namespace)
        self._reload_meta()
        names = self._meta.setdefault("namespaces", [])
        if namespace in names:
            return names.index(namespace)
        if not create:
            return None
        if len(names) >= 65_535:
            raise StoreError(f"{self._meta_path}: too many namespaces (max 65535)")
        names.append(namespace)
        atomic_write_json(self._meta_path, self._meta)
        return len(names) - 1

    def _ns_codes(self) -> np.ndarray:
        if not self._ns_path.exists():
            return np.zeros(0, dtype="<u2")
        return np.memmap(self._ns_path, dtype="<u2", mode="r") if self._ns_path.stat().st_size else np.zeros(0, dtype="<u2")

    # -- writing ------------------------------------------------------------------------------
    def _check(self, pair: Subroutine) -> str | None:
        if not pair.subquestion.strip() or not pair.subroutine.strip():
            return "empty subquestion or subroutine"
        if len(pair.subquestion) > self.config.max_subquestion_chars:
            return f"subquestion has {len(pair.subquestion)} characters (limit max_subquestion_chars={self.config.max_subquestion_chars})"
        if len(pair.subroutine) > self.config.max_subroutine_chars:
            return f"subroutine has {len(pair.subroutine)} characters (limit max_subroutine_chars={self.config.max_subroutine_chars})"
        return None

    def add(self, pairs: Sequence[Subroutine], *, embeddings: np.ndarray | None = None, note: str = "") -> AddReport:
        """Append ``pairs`` (invalid or oversized ones are skipped and reported).

        ``embeddings`` (one unit row per pair) may be given to skip embedding, e.g. by a
        bulk import that already has them; they must come from the store's embedder.
        """
        report = AddReport()
        keep: list[int] = []
        for i, pair in enumerate(pairs):
            problem = self._check(pair)
            if problem:
                report.skip(pair.subquestion[:80] or f"pair {i}", problem)
            else:
                keep.append(i)
        if not keep:
            return report
        if embeddings is not None:
            emb = np.asarray(embeddings, dtype=np.float32)
            if emb.shape != (len(pairs), self.vectors.dim):
                raise StoreError(f"add(): embeddings have shape {emb.shape}, expected ({len(pairs)}, {self.vectors.dim})")
            emb = emb[keep]
        else:
            texts = [pairs[i].subquestion for i in keep]
            emb = np.concatenate([self.embedder.embed(texts[j : j + self.config.embed_batch]) for j in range(0, len(texts), self.config.embed_batch)])
        with self._lock():
            self._reload_meta()  # the namespace table and row count as they are now, not as cached
            self._reconcile()
            start = len(self.shards)
            # One serialiser call for the batch (not a model copy + dump per pair: at 5,000 pairs a
            # batch that was a third of the insert time), then the ids the rows receive.
            records = _PAIRS.dump_python([pairs[i] for i in keep], mode="json")
            codes = np.zeros(len(keep), dtype="<u2")
            seen: dict[str, int] = {}
            for j, rec in enumerate(records):
                rec["id"] = _id_of(start + j)
                ns = rec["namespace"]
                code = seen.get(ns)
                if code is None:
                    code = seen[ns] = int(self._ns_code(ns, create=True))  # type: ignore[arg-type]  # create=True: never None
                codes[j] = code
            # Caches first, truth last: if we crash before the offsets are committed, the extra
            # vector rows are cut off by the next append (vectors are written at row `start`).
            self.vectors.append(emb, at_row=start)
            self._append_codes(codes, start)
            rows = self.shards.append(records)
            with open(self._log_path, "ab") as handle:
                handle.write((json.dumps({"rows_before": start, "rows_after": rows.stop, "at": now(), "note": note}) + "\n").encode())
            self.ann.sync()
        report.added = [_id_of(r) for r in rows]
        return report

    def _append_codes(self, codes: np.ndarray, start: int) -> None:
        with open(self._ns_path, "r+b" if self._ns_path.exists() else "wb") as handle:
            handle.truncate(start * 2)
            handle.seek(start * 2)
            handle.write(codes.astype("<u2").tobytes())

    def _reconcile(self) -> None:
        """Make the caches agree with the committed rows (after a crash, or files edited by hand)."""
        n = len(self.shards)
        if len(self.vectors) > n:
            self.vectors.truncate(n)
        if self._ns_path.exists() and self._ns_path.stat().st_size > 2 * n:
            with open(self._ns_path, "r+b") as handle:
                handle.truncate(2 * n)
        if len(self.vectors) < n or len(self._ns_codes()) < n:
            self._rebuild_from(min(len(self.vectors), len(self._ns_codes())))

    def _rebuild_from(self, start: int) -> None:
        batch: list[dict[str, Any]] = []
        pos = start

        def flush() -> None:
            nonlocal pos, batch
            if not batch:
                return
            texts = [b["subquestion"] for b in batch]
            self.vectors.append(self.embedder.embed(texts), at_row=pos)
            self._append_codes(np.array([self._ns_code(b.get("namespace", "default/default"), create=True) for b in batch], dtype="<u2"), pos)
            pos += len(batch)
            batch = []

        for _, rec in self.shards.iter_rows(start):
            batch.append(rec)
            if len(batch) >= self.config.embed_batch:
                flush()
        flush()

    def reindex(self) -> int:
        """Re-embed every pair from the shards (after changing the embedder); return the row count."""
        with self._lock():
            self.vectors.truncate(0)
            if self._ns_path.exists():
                self._ns_path.unlink()
            self._meta = {**self._meta, "dim": int(self.embedder.dim), "embedder": self.embedder.name, "namespaces": []}
            atomic_write_json(self._meta_path, self._meta)
            self.vectors = ExactVectorFile(self.root / "vectors.f32", int(self.embedder.dim))
            self.ann = AnnIndex(self.vectors, ann_cache_dir(self.settings, self.root))
            self._rebuild_from(0)
        return len(self)

    # -- history ------------------------------------------------------------------------------
    def batches(self) -> list[dict[str, Any]]:
        """The append log, oldest first: ``{rows_before, rows_after, at, note}`` per batch."""
        if not self._log_path.exists():
            return []
        return [json.loads(line) for line in self._log_path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def rollback(self, rows: int) -> None:
        """Cut the store back to its first ``rows`` pairs (a batch boundary): the shards, offset
        index, vectors and append log become byte-for-byte what they were then."""
        log = self.batches()
        bounds = {0} | {b["rows_after"] for b in log}
        if rows not in bounds:
            raise StoreError(f"{self.root}: {rows} is not a batch boundary; known: {sorted(bounds)}")
        with self._lock():
            self.shards.truncate(rows)
            self.vectors.truncate(rows)
            if self._ns_path.exists():
                with open(self._ns_path, "r+b") as handle:
                    handle.truncate(2 * rows)
            kept = [b for b in log if b["rows_after"] <= rows]
            data = "".join(json.dumps(b) + "\n" for b in kept).encode()
            if kept:
                with open(self._log_path, "wb") as handle:
                    handle.write(data)
            elif self._log_path.exists():
                self._log_path.unlink()

    # -- reading ------------------------------------------------------------------------------
    def get(self, item_id: str) -> Subroutine | None:
        try:
            row = _row_of(item_id)
            return Subroutine.model_validate(self.shards.read(row))
        except KeyError:
            return None

    def iter_pairs(self, start: int = 0, limit: int | None = None) -> Iterator[Subroutine]:
        stop = None if limit is None else start + limit
        for _, rec in self.shards.iter_rows(start, stop):
            yield Subroutine.model_validate(rec)

    def _states_map(self) -> dict[str, str]:
        try:
            st = self._state_path.stat()
            stamp: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if self._states is None or stamp != getattr(self, "_states_stamp", None):
            raw = read_json(self._state_path, {}) or {}
            self._states = raw if isinstance(raw, dict) else {}
            self._states_stamp = stamp
        return self._states

    def state_of(self, item_id: str) -> Lifecycle:
        return Lifecycle(self._states_map().get(item_id, Lifecycle.active.value))

    def _mask(self, namespace: str | None) -> np.ndarray | None:
        """Rows a search may return: committed rows only (another process may be appending:
        vectors and namespace codes are written before the offsets commit a row), of
        ``namespace``, active."""
        inactive = [k for k, v in self._states_map().items() if v != Lifecycle.active.value]
        n = len(self)  # committed rows: the offset index is written last
        if namespace is None and not inactive and len(self.vectors) == n:
            return None
        if namespace is not None:
            code = self._ns_code(namespace, create=False)
            if code is None:
                return np.zeros(n, dtype=bool)
            codes = np.asarray(self._ns_codes()[:n])
            mask = np.zeros(n, dtype=bool)
            mask[: len(codes)] = codes == code
        else:
            mask = np.ones(n, dtype=bool)
        for item_id in inactive:
            row = _row_of(item_id)
            if row < n:
                mask[row] = False
        return mask

    def search_pairs(self, query: str, k: int = 5, namespace: str | None = None) -> list[tuple[Subroutine, float]]:
        """Top ``k`` active pairs by cosine between ``query`` and their subquestions."""
        if not query.strip() or k <= 0 or len(self) == 0:
            return []
        if len(self.vectors) != len(self):
            with self._lock():
                self._reconcile()
        q = self.embedder.embed([query])[0]
        rows, scores = self.ann.search(q, k, self._mask(namespace))
        return [(Subroutine.model_validate(self.shards.read(int(r))), float(s)) for r, s in zip(rows, scores)]

    # -- Store protocol -----------------------------------------------------------------------
    def _record(self, pair: Subroutine) -> MemoryRecord:
        return MemoryRecord(
            id=pair.id,
            store=STORE,
            title=pair.subquestion[:120],
            text=pair.text(),
            namespace=pair.namespace,
            state=self.state_of(pair.id),
            trust=pair.trust,
            metadata={"source_task": pair.source_task, "steps": pair.steps},
        )

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        """Every pair as a record (a full scan: O(rows); prefer :meth:`iter_pairs` at scale)."""
        out = []
        for pair in self.iter_pairs():
            if namespace is not None and pair.namespace != namespace:
                continue
            rec = self._record(pair)
            if include_inactive or rec.state == Lifecycle.active:
                out.append(rec)
        return out

    def get_record(self, item_id: str) -> MemoryRecord | None:
        pair = self.get(item_id)
        return self._record(pair) if pair else None

    def page(self, offset: int = 0, limit: int = 50, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        """Records ``offset .. offset+limit`` (after filtering) without a full scan of the store."""
        out: list[MemoryRecord] = []
        skipped = 0
        for pair in self.iter_pairs(0):
            if namespace is not None and pair.namespace != namespace:
                continue
            rec = self._record(pair)
            if not include_inactive and rec.state != Lifecycle.active:
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(rec)
            if len(out) >= limit:
                break
        return out

    def describe(self, item_id: str) -> dict[str, Any] | None:
        """Everything known about one pair (for ``agentmem memory show``)."""
        pair = self.get(item_id)
        if pair is None:
            return None
        return {**pair.model_dump(mode="json"), "state": self.state_of(item_id).value, "usage": self.usage.get(item_id).model_dump(mode="json")}

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        out = []
        for pair, score in self.search_pairs(query, k, namespace):
            rec = self._record(pair)
            out.append(Recalled(record=rec, score=clip01(score), tokens=approx_tokens(rec.text), reasons=[f"cosine {score:.3f} to the subquestion"]))
        return out

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        if self.get(item_id) is None:
            raise StoreError(f"{self.root}: no subroutine {item_id!r}")
        with self._lock():
            self.usage.record(item_id, reward, success)

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        if self.get(item_id) is None:
            raise StoreError(f"{self.root}: no subroutine {item_id!r}")
        with self._lock():
            states = dict(read_json(self._state_path, {}) or {})
            if self._state_path.exists():
                self._history.save("state.json", self._state_path.read_bytes(), note=f"before {item_id} -> {state.value}")
            if state == Lifecycle.active:
                states.pop(item_id, None)
            else:
                states[item_id] = Lifecycle(state).value
            atomic_write_json(self._state_path, states)
            self._states = states

    # -- learning -----------------------------------------------------------------------------
    def decompose(
        self,
        trajectory: str | Sequence[Any],
        llm: "LLM",
        *,
        task: str = "",
        task_id: str | None = None,
        run_id: str | None = None,
        namespace: str = "default/default",
        prompts: "PromptLibrary | None" = None,
        write: bool = True,
    ) -> tuple[list[Subroutine], AddReport]:
        """Turn a step-by-step trajectory into pairs with ``prompts/subroutine_decomposition.j2``.

        Returns the proposed pairs and the write report (nothing is written when ``write`` is
        false). An empty trajectory raises :class:`ValidationFailed`; a reply that is not valid
        JSON/YAML even after one repair raises :class:`StructuredOutputError` and writes nothing.
        """
        from ..llm.base import Message
        from ..prompts import PromptLibrary
        from ._replies import ask_structured

        steps = trajectory_steps(trajectory)
        if not steps:
            raise ValidationFailed("decompose(): the trajectory is empty; nothing to decompose", [("trajectory", "no steps")])
        lib = prompts or PromptLibrary(self.settings.paths.prompts)
        text = lib.render("subroutine_decomposition.j2", task=task, steps=steps)
        reply = ask_structured(llm, [Message(role="user", content=text)], DecompositionReply)
        pairs = [
            Subroutine(
                subquestion=p.subquestion.strip() or " ",
                subroutine=p.subroutine.strip() or " ",
                namespace=namespace,
                source_task=task_id,
                source_run=run_id,
                steps=[s for s in p.steps if 0 <= s < len(steps)],
                provenance=Provenance(source="learned", task_id=task_id, run_id=run_id, note="subroutine_decomposition"),
            )
            for p in reply.pairs
        ]
        report = self.add(pairs, note=f"decompose {task_id or ''}".strip()) if write else AddReport()
        return pairs, report


def trajectory_steps(trajectory: str | Sequence[Any]) -> list[str]:
    """A trajectory as a list of non-empty step texts.

    Accepts reasoning text (steps separated by blank lines, or one per line when there are no
    blank lines), a list of strings, or agent steps (:mod:`agentmem.agent.steps`), whose
    thoughts, actions and observations become steps.
    """
    if isinstance(trajectory, str):
        blocks = [b.strip() for b in trajectory.split("\n\n")]
        if len([b for b in blocks if b]) <= 1:
            blocks = [b.strip() for b in trajectory.splitlines()]
        return [b for b in blocks if b]
    out: list[str] = []
    for step in trajectory:
        if isinstance(step, str):
            text = step
        else:
            kind = getattr(step, "kind", "")
            if kind == "action":
                calls = "; ".join(f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)})" for c in step.tool_calls)
                text = "\n".join(x for x in (step.thought, f"Action: {calls}" if calls else "") if x)
            elif kind == "observation":
                text = f"Observation: {step.observation}"
            elif kind == "final":
                text = f"Answer: {step.answer}"
            elif kind == "error":
                text = f"Error: {step.error}"
            else:
                text = ""
        if text and text.strip():
            out.append(text.strip())
    return out
