"""The provenance graph: where every learned item came from and how it has paid off.

Nodes are ``task:<id>``, ``run:<id>``, ``edit:<id>``, ``item:<store>/<id>`` and
``outcome:<run id>``. Edges:

* ``task -> run`` (``ran``), ``run -> outcome`` (``scored``; score, success, source),
* ``run -> edit`` (``proposed``) and ``edit -> item`` (``wrote``; status applied/quarantined),
* ``item -> run`` (``in_context``; rank, credit).

The graph is a networkx ``MultiDiGraph``. It persists as a base (node-link JSON written
atomically, ``<home>/provenance.json``) plus an append-only log of the idempotent write calls made
since (``<home>/provenance.log``, one fsynced JSON line per call), so a batch's provenance costs
what it adds, not the size of the graph. The log is folded into the base once it holds more calls
than the graph has nodes (amortised O(1) per call); a torn last line (a kill mid-append) is
skipped, and replaying a call the base already holds changes nothing.
:meth:`ProvenanceGraph.why` answers ``agentmem memory why ITEM``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..fileio import atomic_write_bytes, atomic_write_json, defer_fsync, read_json


def item_node(store: str, item_id: str) -> str:
    return f"item:{store}/{item_id}"


class ItemHistory(BaseModel):
    """The answer to "why is this item here, and has it helped?"."""

    item: str
    found: bool = False
    attributes: dict[str, Any] = Field(default_factory=dict)
    written_by: list[dict[str, Any]] = Field(default_factory=list, description="Edits that wrote the item, with run, task and reason.")
    used_in: list[dict[str, Any]] = Field(default_factory=list, description="Runs that had the item in context, with outcome and credit.")

    @property
    def uses(self) -> int:
        return len(self.used_in)

    @property
    def mean_score(self) -> float | None:
        scores = [u["score"] for u in self.used_in if u.get("score") is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def mean_credit(self) -> float | None:
        cr = [u["credit"] for u in self.used_in if u.get("credit") is not None]
        return sum(cr) / len(cr) if cr else None

    def render(self) -> str:
        if not self.found:
            return f"{self.item}: no provenance recorded (shipped or hand-written item, or never used)\n"
        lines = [f"{self.item}"]
        for k in ("state", "trust", "utility", "credited_uses"):
            if k in self.attributes:
                lines.append(f"  {k}: {self.attributes[k]}")
        if self.written_by:
            lines.append("  written by:")
            for w in self.written_by:
                lines.append(f"    {w.get('kind')} ({w.get('status')}) edit {w.get('edit_id')} in run {w.get('run_id')} on task {w.get('task_id')}: {w.get('reason') or '-'}")
                if w.get("task_text"):
                    lines.append(f"      task: {' '.join(str(w['task_text']).split())[:200]}")
                if w.get("success") is not None:
                    lines.append(f"      outcome: {'success' if w['success'] else 'failure'} (score {w.get('score')}, judged by the {w.get('source')})")
        else:
            lines.append("  written by: no recorded edit (shipped, hand-written or imported)")
        ms, mc = self.mean_score, self.mean_credit
        lines.append(f"  in context for {self.uses} run(s)" + (f"; mean score {ms:.3f}" if ms is not None else "") + (f"; mean credit {mc:+.3f}" if mc is not None else ""))
        for u in self.used_in[-10:]:
            lines.append(f"    run {u['run_id']} task {u.get('task_id')}: score {u.get('score')} success {u.get('success')} credit {u.get('credit')}")
        return "\n".join(lines) + "\n"


class ProvenanceGraph:
    """Load-modify-save access to the persisted graph (callers hold the home write lock)."""

    #: the log is folded into the base once it holds more calls than this and than the graph has nodes
    MIN_COMPACT = 2000

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import networkx as nx

        self.path = Path(path)
        self.log_path = self.path.with_suffix(".log")
        data = read_json(self.path)
        self.g = nx.node_link_graph(data, directed=True, multigraph=True, edges="links") if data else nx.MultiDiGraph()
        self._pending: list[str] = []
        self._log_calls = 0
        self._log_offset = 0
        self._replay()

    @staticmethod
    def _stat(p: Path) -> tuple[int, int, int] | None:
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def stamp(self) -> tuple[Any, Any]:
        """What changes when any process saves: (base stat, log stat)."""
        return (self._stat(self.path), self._stat(self.log_path))

    def _replay(self) -> None:
        """Apply the log's complete lines from the last offset read (a torn last line waits)."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n") + 1
        for line in chunk[:end].splitlines():
            try:
                call = json.loads(line)
                getattr(self, "_" + call["op"])(**call["args"])
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a line this version cannot read costs only itself
            self._log_calls += 1
        self._log_offset += end

    def catch_up(self, base_stamp: Any) -> bool:
        """Replay what another process appended, when the base is the one this graph was built
        from (``base_stamp``); False when the base changed (the caller reloads)."""
        if self._stat(self.path) != base_stamp:
            return False
        self._replay()
        return True

    def _call(self, op: str, **args: Any) -> None:
        line = json.dumps({"op": op, "args": args}, separators=(",", ":"), default=str)
        getattr(self, "_" + op)(**json.loads(line)["args"])  # what a replay will see, so both agree
        self._pending.append(line)

    def save(self) -> None:
        """Append this process's new calls to the log (one fsync), or fold everything into the base."""
        import networkx as nx

        if not self._pending and self.path.exists():
            return
        if self._log_calls + len(self._pending) > max(self.MIN_COMPACT, self.g.number_of_nodes()):
            atomic_write_json(self.path, nx.node_link_data(self.g, edges="links"), indent=None)
            atomic_write_bytes(self.log_path, b"")  # after the base: a crash between replays calls the base holds (idempotent)
            self._log_calls = self._log_offset = 0
        else:
            if not self.path.exists():
                atomic_write_json(self.path, nx.node_link_data(self.g, edges="links"), indent=None)
            data = "".join(line + "\n" for line in self._pending).encode("utf-8")
            if data:
                with open(self.log_path, "a+b") as fh:
                    end = fh.seek(0, os.SEEK_END)
                    caught_up = end == self._log_offset
                    if end:
                        fh.seek(end - 1)
                        if fh.read(1) != b"\n":
                            data = b"\n" + data  # end a torn line (a writer killed mid-append) so it costs only itself
                    fh.write(data)
                    fh.flush()
                    if not defer_fsync(fh.fileno()):  # in the engine's fsync group: on disk before the journal goes
                        os.fsync(fh.fileno())
                    if caught_up:  # otherwise the next replay reads the unseen lines, ours again among them (idempotent)
                        self._log_offset = fh.tell()
                self._log_calls += len(self._pending)
        self._pending = []

    # ---- writes ----------------------------------------------------------------------
    def _node(self, node: str, **attrs: Any) -> str:
        if node in self.g:
            self.g.nodes[node].update({k: v for k, v in attrs.items() if v is not None})
        else:
            self.g.add_node(node, **{k: v for k, v in attrs.items() if v is not None})
        return node

    def _add_run(self, run_id: str, task_id: str, task_text: str = "", *, mode: str | None = None, write_gate: str | None = None) -> None:
        t = self._node(f"task:{task_id}", type="task", text=task_text[:300])
        r = self._node(f"run:{run_id}", type="run", mode=mode, write_gate=write_gate, task_id=task_id)
        if not self.g.has_edge(t, r):
            self.g.add_edge(t, r, rel="ran")

    def _add_outcome(self, run_id: str, score: float, success: bool, source: str) -> None:
        o = self._node(f"outcome:{run_id}", type="outcome", score=score, success=success, source=source)
        r = f"run:{run_id}"
        if not self.g.has_edge(r, o):
            self.g.add_edge(r, o, rel="scored")

    def _add_context(self, run_id: str, items: list[tuple[str, str, int, float | None]]) -> None:
        """``items`` = ``(store, item_id, rank, credit)`` for each item that was in context."""
        r = f"run:{run_id}"
        for store, item_id, rank, credit in items:
            n = self._node(item_node(store, item_id), type="item", store=store, item_id=item_id)
            if any(d.get("rel") == "in_context" for d in (self.g.get_edge_data(n, r) or {}).values()):
                continue  # already recorded (idempotent)
            self.g.add_edge(n, r, rel="in_context", rank=rank, credit=credit)

    def _add_edit(self, run_id: str | None, edit_id: str, kind: str, store: str, item_ids: list[str], status: str, reason: str = "", trust: str | None = None, state: str | None = None) -> None:
        e = self._node(f"edit:{edit_id}", type="edit", kind=kind, status=status, reason=reason[:500], store=store)
        if run_id:
            r = self._node(f"run:{run_id}", type="run")
            if not self.g.has_edge(r, e):
                self.g.add_edge(r, e, rel="proposed")
        for iid in item_ids:
            n = self._node(item_node(store, iid), type="item", store=store, item_id=iid, trust=trust, state=state)
            if not self.g.has_edge(e, n):
                self.g.add_edge(e, n, rel="wrote")

    def _set_item(self, store: str, item_id: str, **attrs: Any) -> None:
        self._node(item_node(store, item_id), type="item", store=store, item_id=item_id, **attrs)

    # public writes: recorded for the log, then applied (each is idempotent)
    def add_run(self, run_id: str, task_id: str, task_text: str = "", *, mode: str | None = None, write_gate: str | None = None) -> None:
        self._call("add_run", run_id=run_id, task_id=task_id, task_text=task_text, mode=mode, write_gate=write_gate)

    def add_outcome(self, run_id: str, score: float, success: bool, source: str) -> None:
        self._call("add_outcome", run_id=run_id, score=score, success=success, source=source)

    def add_context(self, run_id: str, items: list[tuple[str, str, int, float | None]]) -> None:
        """``items`` = ``(store, item_id, rank, credit)`` for each item that was in context."""
        self._call("add_context", run_id=run_id, items=[list(t) for t in items])

    def add_edit(self, run_id: str | None, edit_id: str, kind: str, store: str, item_ids: list[str], status: str, reason: str = "", trust: str | None = None, state: str | None = None) -> None:
        self._call("add_edit", run_id=run_id, edit_id=edit_id, kind=kind, store=store, item_ids=list(item_ids), status=status, reason=reason, trust=trust, state=state)

    def set_item(self, store: str, item_id: str, **attrs: Any) -> None:
        self._call("set_item", store=store, item_id=item_id, **attrs)

    # ---- reads -----------------------------------------------------------------------
    def find(self, ref: str) -> list[str]:
        """Item nodes matching ``store/id``, ``item:store/id`` or a bare ``id``."""
        if ref.startswith("item:") and ref in self.g:
            return [ref]
        if f"item:{ref}" in self.g:
            return [f"item:{ref}"]
        return sorted(n for n, d in self.g.nodes(data=True) if d.get("type") == "item" and d.get("item_id") == ref)

    def why(self, ref: str) -> ItemHistory:
        nodes = self.find(ref)
        if not nodes:
            return ItemHistory(item=ref)
        node = nodes[0]
        hist = ItemHistory(item=node.removeprefix("item:"), found=True, attributes=dict(self.g.nodes[node]))
        for e, _, d in self.g.in_edges(node, data=True):
            if d.get("rel") != "wrote":
                continue
            ed = self.g.nodes[e]
            runs = [r for r, _, dd in self.g.in_edges(e, data=True) if dd.get("rel") == "proposed"]
            run = runs[0] if runs else None
            task = self.g.nodes[run].get("task_id") if run else None
            task_text = self.g.nodes.get(f"task:{task}", {}).get("text") if task else None
            out = self.g.nodes.get(f"outcome:{run.removeprefix('run:')}", {}) if run else {}
            hist.written_by.append({"edit_id": e.removeprefix("edit:"), "kind": ed.get("kind"), "status": ed.get("status"), "reason": ed.get("reason", ""), "run_id": run.removeprefix("run:") if run else None, "task_id": task,
                                    "task_text": task_text, "score": out.get("score"), "success": out.get("success"), "source": out.get("source")})
        for _, r, d in self.g.out_edges(node, data=True):
            if d.get("rel") != "in_context":
                continue
            out = self.g.nodes.get(f"outcome:{r.removeprefix('run:')}", {})
            hist.used_in.append({"run_id": r.removeprefix("run:"), "task_id": self.g.nodes[r].get("task_id"), "rank": d.get("rank"), "credit": d.get("credit"), "score": out.get("score"), "success": out.get("success"), "source": out.get("source")})
        return hist

    def stats(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, d in self.g.nodes(data=True):
            out[d.get("type", "?")] = out.get(d.get("type", "?"), 0) + 1
        return out
