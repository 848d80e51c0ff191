"""The write-behind vector buffer (issue 18): writes are durable before they return, searched
exactly with every query, visible to other processes, deletes and revisions shadow the inner
index (tombstones), flushes are batched and idempotent, and a SIGKILL loses no acknowledged item."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agentmem.retrieval.base import Hit
from agentmem.retrieval.hash_embedder import HashEmbedder
from agentmem.retrieval.memory_index import InMemoryIndex
from agentmem.retrieval.write_buffer import BufferedIndex

REPO = Path(__file__).resolve().parents[1]
NS = "facts"
EMB = HashEmbedder(dim=32)


class CountingIndex(InMemoryIndex):
    """The in-memory index, counting the calls that reach it (a stand-in for Chroma)."""

    def __init__(self) -> None:
        super().__init__()
        self.upserts: list[list[str]] = []
        self.deletes: list[list[str]] = []

    def upsert(self, namespace, ids, embeddings, documents=None, metadatas=None) -> None:  # noqa: ANN001
        self.upserts.append(list(ids))
        super().upsert(namespace, ids, embeddings, documents, metadatas)

    def delete(self, namespace, ids) -> None:  # noqa: ANN001
        self.deletes.append(list(ids))
        super().delete(namespace, ids)


def _put(idx, ids: list[str], texts: list[str], ns: str = "a/b") -> None:  # noqa: ANN001
    idx.upsert(NS, ids, EMB.embed(texts), texts, [{"namespace": ns} for _ in ids])


def _top(idx, text: str, k: int = 3, where=None) -> list[Hit]:  # noqa: ANN001
    return idx.query(NS, EMB.embed([text])[0], k=k, where=where)


def test_buffered_writes_are_searched_exactly_and_reach_the_inner_index_in_one_batch(tmp_path) -> None:  # noqa: ANN001
    inner = CountingIndex()
    idx = BufferedIndex(inner, tmp_path / "buf", max_items=5)
    texts = [f"item {j} about topic{j}" for j in range(4)]
    for j, t in enumerate(texts):
        _put(idx, [f"x{j}"], [t])
    assert inner.upserts == [] and inner.count(NS) == 0  # nothing reached the inner index yet
    assert _top(idx, texts[2], k=1)[0].id == "x2" and idx.count(NS) == 4
    assert [h.id for h in _top(idx, texts[1], k=2, where={"namespace": "other"})] == []
    _put(idx, ["x4"], ["item 4 about topic4"])  # the fifth id: one flush of all five
    assert inner.upserts == [["x0", "x1", "x2", "x3", "x4"]] and idx.flushes == 1
    assert inner.count(NS) == 5 and idx.count(NS) == 5 and _top(idx, texts[3], k=1)[0].id == "x3"
    assert idx.flush() == 0  # nothing buffered: an empty flush does nothing


def test_tombstones_and_revisions_shadow_the_inner_index_until_flushed(tmp_path) -> None:  # noqa: ANN001
    inner = CountingIndex()
    idx = BufferedIndex(inner, tmp_path / "buf", max_items=50)
    _put(idx, ["a", "b", "c"], ["alpha apples", "beta bananas", "gamma grapes"])
    idx.flush()
    assert inner.count(NS) == 3
    idx.delete(NS, ["b"])  # a retired item
    _put(idx, ["c"], ["delta dates"])  # a revised item: its old vector is still in the inner index
    assert "b" not in [h.id for h in _top(idx, "beta bananas", k=3)]
    hit = _top(idx, "gamma grapes", k=3)
    assert [h.document for h in hit if h.id == "c"] == ["delta dates"]  # only the new text, once
    assert idx.count(NS) == 2 and idx.ids(NS) == ["a", "c"] and idx.existing(NS, ["a", "b", "c", "z"]) == {"a", "c"}
    _put(idx, ["b"], ["beta again"])  # re-adding a deleted id lifts its tombstone
    assert idx.count(NS) == 3 and "b" in [h.id for h in _top(idx, "beta again", k=1)]
    idx.delete(NS, ["b"])
    idx.flush()
    assert inner.deletes == [["b"]] and inner.count(NS) == 2 and idx.count(NS) == 2
    assert inner.query(NS, EMB.embed(["delta dates"])[0], k=1)[0].document == "delta dates"


def test_a_shadowed_hit_in_the_inner_top_k_is_replaced_by_the_next_one(tmp_path) -> None:  # noqa: ANN001
    idx = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=50)
    _put(idx, [f"d{j}" for j in range(6)], [f"common words {j}" for j in range(6)])
    idx.flush()
    before = [h.id for h in _top(idx, "common words 0", k=3)]
    idx.delete(NS, [before[0]])
    after = [h.id for h in _top(idx, "common words 0", k=3)]
    assert len(after) == 3 and before[0] not in after and after[:2] == before[1:]


def test_a_flush_interrupted_before_the_buffer_is_emptied_is_applied_again_idempotently(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    inner = CountingIndex()
    idx = BufferedIndex(inner, tmp_path / "buf", max_items=50)
    _put(idx, ["a", "b"], ["alpha", "beta"])
    idx.delete(NS, ["a"])

    def boom(namespace: str) -> None:
        raise OSError("killed before the new generation")

    monkeypatch.setattr(idx, "_new_generation", boom)
    with pytest.raises(OSError):
        idx.flush()
    assert inner.count(NS) == 1  # the inner index got the batch, the buffer still holds it
    again = BufferedIndex(inner, tmp_path / "buf", max_items=50)  # the next process
    assert again.count(NS) == 1 and again.flush() == 2 and inner.count(NS) == 1 and again.ids(NS) == ["b"]


def test_a_torn_last_line_is_skipped_and_never_swallows_the_next_record(tmp_path) -> None:  # noqa: ANN001
    idx = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=50)
    _put(idx, ["a"], ["alpha"])
    path = idx._path(NS)
    with open(path, "ab") as fh:
        fh.write(b'{"op":"u","ids":["torn"],"dim":32,"v":"AAAA')  # a writer killed mid-append
    other = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=50)
    _put(other, ["b"], ["beta"])
    third = BufferedIndex(InMemoryIndex(), tmp_path / "buf", max_items=50)
    assert third.ids(NS) == ["a", "b"]


_WRITER = r"""
import sys, time
from pathlib import Path
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
s = Settings.load(home=Path(sys.argv[1]), embedder={"backend": "hash"}).ensure_home()
svc = MemoryService(s)
mem = svc.memory()
for j in range(int(sys.argv[2])):
    item = mem.remember(f"zebra{j} stripes remembered item number {j}")
    print(item, flush=True)
if sys.argv[3] == "hang":
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
found = {}
for q in sys.argv[2:]:
    hits = svc.facts.search(q, k=5)
    found[q] = [h.record.id for h in hits]
idx = svc.facts.hybrid.index
print(json.dumps({"found": found, "chroma_count": idx.inner.count("facts"), "count": idx.count("facts"), "full_syncs": svc.facts.full_syncs + svc.facts.hybrid.full_syncs}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _read(home: Path, *queries: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _READER, str(home), *queries], capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_sigkill_after_remember_returns_loses_nothing_and_another_process_sees_the_buffer(tmp_path) -> None:  # noqa: ANN001
    """Default back ends (embedded Chroma behind the buffer), real processes: a writer remembers
    three items through the controller and is SIGKILLed while idle (no flush at exit); a second
    process finds all three (from the buffer file: Chroma holds none of them) without re-syncing
    the index; the next writer's ``close`` flushes the buffer into Chroma."""
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(home), "3", "hang"], stdout=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None
    ids = [proc.stdout.readline().strip() for _ in range(3)]
    assert all(ids)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    got = _read(home, "zebra0 stripes", "zebra1 stripes", "zebra2 stripes")
    assert [got["found"][f"zebra{j} stripes"][0] for j in range(3)] == ids
    assert got["chroma_count"] == 0 and got["count"] == 3 and got["full_syncs"] == 0
    out = subprocess.run([sys.executable, "-c", _WRITER, str(home), "1", "exit"], capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = _read(home, "zebra1 stripes", "zebra0 stripes")
    assert got["chroma_count"] == 4 and got["count"] == 4 and got["found"]["zebra1 stripes"][0] == ids[1] and got["full_syncs"] == 0


@pytest.mark.slow
def test_two_live_processes_see_each_others_buffered_writes_and_flushes(tmp_path) -> None:  # noqa: ANN001
    """Two processes over one buffer folder and one embedded Chroma: each sees what the other
    buffered, and after one of them flushes (emptying the file) the other finds the items in
    Chroma instead, with no duplicate and no loss."""
    from agentmem.retrieval.chroma import ChromaIndex

    script = r"""
import json, sys
import numpy as np
from agentmem.retrieval.chroma import ChromaIndex
from agentmem.retrieval.hash_embedder import HashEmbedder
from agentmem.retrieval.write_buffer import BufferedIndex
emb = HashEmbedder(dim=32)
idx = BufferedIndex(ChromaIndex.persistent(sys.argv[1]), sys.argv[2], max_items=100)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "put":
        idx.upsert("facts", [arg], emb.embed([arg + " text"]), [arg + " text"], [{}])
        out = "ok"
    elif cmd == "del":
        idx.delete("facts", [arg]); out = "ok"
    elif cmd == "top":
        out = [h.id for h in idx.query("facts", emb.embed([arg + " text"])[0], k=10)]
    elif cmd == "flush":
        out = idx.flush()
    elif cmd == "count":
        out = [idx.count("facts"), idx.inner.count("facts")]
    print(json.dumps(out), flush=True)
"""
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "chroma"), str(tmp_path / "buf")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
             for _ in range(2)]

    def ask(p: subprocess.Popen, line: str):  # noqa: ANN202
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return json.loads(p.stdout.readline())

    a, b = procs
    try:
        ask(a, "put alpha")
        ask(b, "put beta")
        assert "alpha" in ask(b, "top alpha") and "beta" in ask(a, "top beta")
        assert ask(a, "count") == [2, 0]
        ask(b, "del alpha")
        assert "alpha" not in ask(a, "top alpha")
        assert ask(a, "flush") == 2  # a flushes b's writes too: they are in the shared file
        assert ask(b, "count") == [1, 1] and ask(b, "top beta").count("beta") == 1
        ask(a, "put gamma")
        assert sorted(ask(b, "top gamma")) == ["beta", "gamma"]
    finally:
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()
            p.wait(timeout=60)
    assert ChromaIndex.persistent(tmp_path / "chroma").count("facts") == 2  # the clean exits flushed gamma


def test_fact_store_on_the_buffer_counts_as_one_index_and_never_full_syncs(tmp_path) -> None:  # noqa: ANN001
    """A fact store over the buffered index: writes, revisions and retirements are visible at
    once, the store's consistency check (index count == lexical rows) holds with items still in
    the buffer, and reopening the store re-indexes nothing."""
    from agentmem.retrieval.incremental_bm25 import IncrementalBM25
    from agentmem.stores.facts import FactStore

    inner = CountingIndex()

    def open_store() -> FactStore:
        idx = BufferedIndex(inner, tmp_path / "buf", max_items=4)
        return FactStore(tmp_path / "facts", EMB, idx, lexical=IncrementalBM25(tmp_path / "lex.sqlite"))

    store = open_store()
    items = [store.insert(f"fact {j} about quokka{j}") for j in range(6)]  # one flush at the fourth
    store.update(items[5].id, "fact five now about wombats")
    store.delete(items[4].id)
    assert [r.record.id for r in store.search("wombats", k=1)] == [items[5].id]
    assert items[4].id not in [r.record.id for r in store.search("quokka4", k=6)]
    again = open_store()
    assert again.search("quokka1", k=1)[0].record.id == items[1].id
    assert again.full_syncs == 0 and again.hybrid.full_syncs == 0
    assert again.hybrid.index.count("facts") == len(again.hybrid.lexical) == 5


def test_the_home_index_is_buffered_by_default_and_the_setting_turns_it_off(tmp_path) -> None:  # noqa: ANN001
    from agentmem.retrieval.chroma import ChromaIndex
    from agentmem.retrieval.factory import make_index
    from agentmem.settings import Settings

    on = make_index(Settings.load(home=tmp_path / "a"))
    assert isinstance(on, BufferedIndex) and isinstance(on.inner, ChromaIndex) and on.max_items == 256
    assert not on.opened  # attributes of the inner index pass through; nothing imported chromadb
    off = make_index(Settings.load(home=tmp_path / "b", index={"write_buffer_items": 0}))
    assert isinstance(off, ChromaIndex)
