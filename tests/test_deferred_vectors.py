"""Deferred item vectors (issue 18): a fact write returns before the model embeds the item; the
row is durable in the write buffer (a pending record), found lexically at once and densely by the
next search (which waits for the background vector or embeds it itself); a process that reads a
pending record (another process, or the home after a kill) embeds it; a flush never sends an id
to the inner index without its vector."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentmem.retrieval.hash_embedder import HashEmbedder
from agentmem.retrieval.hybrid import HybridIndex
from agentmem.retrieval.incremental_bm25 import IncrementalBM25
from agentmem.retrieval.memory_index import InMemoryIndex
from agentmem.retrieval.write_buffer import BufferedIndex

REPO = Path(__file__).resolve().parents[1]


class GatedEmbedder(HashEmbedder):
    """A hash embedder that records which thread embedded what, and blocks texts containing
    ``gate_word`` until :attr:`gate` is set (a model call still running)."""

    def __init__(self, gate_word: str = "") -> None:
        super().__init__(dim=32)
        self.gate_word = gate_word
        self.gate = threading.Event()
        self.seen: list[tuple[str, list[str]]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.append((threading.current_thread().name, list(texts)))
        if self.gate_word and any(self.gate_word in t for t in texts):
            assert self.gate.wait(30), "gate never opened"
        return super().embed(texts)


def _store(tmp_path: Path, emb, max_items: int = 50):  # noqa: ANN001, ANN202
    from agentmem.stores.facts import FactStore

    idx = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=max_items)
    return FactStore(tmp_path / "facts", emb, idx, lexical=IncrementalBM25(tmp_path / "lex.sqlite"), defer_vectors=True)


def test_a_write_returns_before_its_vector_and_the_next_dense_search_finds_it(tmp_path) -> None:  # noqa: ANN001
    emb = GatedEmbedder(gate_word="okapi")
    store = _store(tmp_path, emb)
    item = store.insert("the okapi is a giraffid of the Congo rainforest")  # returns while its vector is blocked
    idx: Any = store.hybrid.index
    main = threading.current_thread().name
    assert not any(name == main and "okapi" in " ".join(texts) for name, texts in emb.seen)
    assert idx.unvectored("facts") == [(item.id, item.content)]
    assert idx.count("facts") == len(store.hybrid.lexical) == 1  # durable and counted already
    assert [h.id for h in store.hybrid.search("okapi giraffid", k=3, mode="bm25")] == [item.id]  # found lexically at once
    threading.Timer(0.2, emb.gate.set).start()  # the model call finishes while the search waits for it
    assert [h.id for h in store.hybrid.search("the okapi is a giraffid of the Congo rainforest", k=1, mode="dense")] == [item.id]
    assert idx.unvectored("facts") == []
    assert [r.record.id for r in store.search("okapi", k=1)] == [item.id]


def test_a_pending_row_read_by_another_process_is_embedded_there_and_flushed_with_its_vector(tmp_path) -> None:  # noqa: ANN001
    """A pending record whose writer never computed the vector (killed, or another process):
    a new index over the same files embeds it before its first dense search, counts it once,
    and a flush gives the inner index the vector (and only then empties the buffer)."""
    emb = HashEmbedder(dim=32)
    writer = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=50)
    writer.upsert_pending("facts", ["p1"], ["pangolins eat ants"], [{"namespace": "a/b"}])
    inner = InMemoryIndex()
    reader = BufferedIndex(inner, tmp_path / "buf", max_items=50)
    lex = IncrementalBM25()
    lex.upsert(["p1"], ["pangolins eat ants"], [{"namespace": "a/b"}])
    hx = HybridIndex("facts", emb, reader, lexical=lex)
    assert reader.count("facts") == 1 and reader.unvectored("facts") == [("p1", "pangolins eat ants")]
    assert [h.id for h in hx.search("pangolins eat ants", k=1, mode="dense", where={"namespace": "a/b"})] == ["p1"]
    assert reader.flush("facts") == 1
    assert inner.count("facts") == 1 and reader.count("facts") == 1
    got = inner.query("facts", emb.embed(["pangolins eat ants"])[0], k=1)
    assert got[0].id == "p1" and got[0].score > 0.99


def test_a_flush_without_an_embedder_keeps_pending_rows_in_the_buffer(tmp_path) -> None:  # noqa: ANN001
    inner = InMemoryIndex()
    idx = BufferedIndex(inner, tmp_path / "buf", max_items=2)
    idx.upsert_pending("facts", ["p1"], ["one"], [{}])
    idx.upsert_pending("facts", ["p2"], ["two"], [{}])  # reaches max_items: the flush cannot embed, so it waits
    assert idx.flush("facts") == 0 and inner.count("facts") == 0
    again = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=2)
    assert again.count("facts") == 2 and [i for i, _ in again.unvectored("facts")] == ["p1", "p2"]


def test_a_pending_revision_hides_the_old_vector_until_its_own_is_computed(tmp_path) -> None:  # noqa: ANN001
    emb = GatedEmbedder(gate_word="narwhal")
    store = _store(tmp_path, emb)
    item = store.insert("the walrus has long tusks")
    store.hybrid.search("walrus", k=1)  # its vector is in the index now
    store.update(item.id, "the narwhal has one long tusk")  # the new vector is blocked
    assert store.hybrid.index.query("facts", emb.embed(["the walrus has long tusks"])[0], k=1) == []  # the old vector is shadowed
    emb.gate.set()
    hits = store.hybrid.search("the narwhal has one long tusk", k=1, mode="dense")
    assert [h.id for h in hits] == [item.id] and hits[0].score > 0.99


_WRITER = r"""
import sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import agentmem.retrieval.hybrid as hybrid
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
if sys.argv[3] == "hang":  # the vector thread is busy forever: every remember is acknowledged before its vector exists
    hybrid._POOL = ThreadPoolExecutor(max_workers=1)
    hybrid._POOL.submit(time.sleep, 10 ** 6)
s = Settings.load(home=Path(sys.argv[1]), embedder={"backend": "hash"}, index={"defer_item_vectors": True}).ensure_home()
svc = MemoryService(s)
mem = svc.memory()
start = int(sys.argv[4]) if len(sys.argv) > 4 else 0
for j in range(start, start + int(sys.argv[2])):
    print(mem.remember(f"ibex{j} horns remembered fact number {j}"), flush=True)
if sys.argv[3] == "hang":
    print(len(svc.facts.hybrid.index.unvectored("facts")), flush=True)
    time.sleep(600)
svc.close()
"""

_READER = r"""
import json, sys
from pathlib import Path
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
s = Settings.load(home=Path(sys.argv[1]), embedder={"backend": "hash"}).ensure_home()
svc = MemoryService(s)
hx = svc.facts.hybrid
idx = hx.index
pending = len(idx.unvectored("facts"))
dense = {q: [h.id for h in hx.search(q, k=1, mode="dense")] for q in sys.argv[2:]}
ctx = svc.memory().recall(sys.argv[2])
print(json.dumps({"dense": dense, "pending_before": pending, "pending_after": len(idx.unvectored("facts")), "recalled": [r.record.id for r in ctx.items],
                  "chroma_count": idx.inner.count("facts"), "count": idx.count("facts"), "full_syncs": svc.facts.full_syncs + hx.full_syncs}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.mark.slow
def test_a_kill_between_acknowledgement_and_embedding_loses_nothing(tmp_path) -> None:  # noqa: ANN001
    """Default back ends (embedded Chroma behind the buffer), real processes: the writer's vector
    thread never runs, so both remembers are acknowledged with no vector computed; it is
    SIGKILLed. A new process finds both items densely (it embeds the pending rows itself), and
    recall returns them, without re-syncing the index; the next writer's close flushes them into
    Chroma with their vectors."""
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(home), "2", "hang"], stdout=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None
    ids = [proc.stdout.readline().strip() for _ in range(2)]
    assert all(ids) and proc.stdout.readline().strip() == "2"  # both acknowledged, neither embedded
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    queries = [f"ibex{j} horns remembered fact number {j}" for j in range(2)]
    out = subprocess.run([sys.executable, "-c", _READER, str(home), *queries], capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["pending_before"] == 2 and got["pending_after"] == 0
    assert [got["dense"][q][0] for q in queries] == ids
    assert ids[0] in got["recalled"]
    assert got["chroma_count"] == 0 and got["count"] == 2 and got["full_syncs"] == 0
    out = subprocess.run([sys.executable, "-c", _WRITER, str(home), "1", "exit", "10"], capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    out = subprocess.run([sys.executable, "-c", _READER, str(home), *queries], capture_output=True, text=True, env=_env(), timeout=300)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["chroma_count"] == 3 and got["count"] == 3 and got["pending_before"] == 0 and [got["dense"][q][0] for q in queries] == ids


@pytest.mark.parametrize("defer", [False, True])
def test_remember_then_recall_finds_the_item_at_once_in_a_home(tmp_path, defer: bool) -> None:  # noqa: ANN001
    """Through the product path: Memory.remember on a home's default back ends (hash embedder),
    with the item's vector embedded during the write's fsyncs (default) or deferred, then recall
    at once: the item is in context, and the fact index holds its vector."""
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings

    s = Settings.load(home=tmp_path / "home", embedder={"backend": "hash"}, index={"defer_item_vectors": defer}).ensure_home()
    svc = MemoryService(s)
    try:
        mem = svc.memory()
        item = mem.remember("Alice's dog is called Biscuit and loves tennis balls")
        ctx = mem.recall("Alice's dog is called Biscuit and loves tennis balls")
        assert item in [r.record.id for r in ctx.items]
        assert svc.facts.hybrid.index.unvectored("facts") == []
        assert svc.facts.hybrid.search("Alice's dog is called Biscuit and loves tennis balls", k=1, mode="dense")[0].id == item
    finally:
        svc.close()
