"""The FTS5 lexical index and the per-item, persistent index maintenance of stores (issue 18)."""

from __future__ import annotations

import pytest

from agentmem.fileio import atomic_write_json, read_json
from agentmem.retrieval.fts import FTSIndex, fts5_available, query_terms
from agentmem.retrieval.hybrid import HybridIndex
from agentmem.retrieval.lexical import BM25Index, LexicalIndex
from agentmem.stores.facts import FactStore
from agentmem.testing import HashEmbedder, InMemoryIndex

DOCS = {
    "a": ("Caroline adopted a cat named Oscar", {"namespace": "alice/agent", "n": 1}),
    "b": ("Melanie went running in the park with her dog", {"namespace": "bob/agent", "n": 2}),
    "c": ("The cats slept on the warm windowsill", {"namespace": "alice/agent", "n": 3}),
}


def _fill(lx: LexicalIndex) -> None:
    lx.upsert(list(DOCS), [d for d, _ in DOCS.values()], [m for _, m in DOCS.values()])


def test_fts5_is_compiled_in_and_queries_drop_stopwords() -> None:
    assert fts5_available()
    assert query_terms("What did Caroline do with the cat?") == ["caroline", "cat"]
    assert query_terms("the of a") == []


def test_fts_ranks_filters_replaces_and_deletes() -> None:
    lx = FTSIndex()
    assert isinstance(lx, LexicalIndex)
    _fill(lx)
    hits = lx.search("which cat did Caroline adopt?", k=5)
    assert hits[0].id == "a" and hits[0].score > 0
    assert {h.id for h in hits} == {"a", "c"}  # porter stemming: "cats" matches "cat"
    assert [h.id for h in lx.search("cat", where={"namespace": "alice/agent"})] != []
    assert lx.search("cat", where={"namespace": "bob/agent"}) == []
    assert {h.id for h in lx.search("cat", where={"n": {"$in": [3]}})} == {"c"}
    assert {h.id for h in lx.search("cat", where={"namespace": {"$ne": "bob/agent"}})} == {"a", "c"}
    assert lx.search("cat", where={"n": {"$in": []}}) == []
    assert lx.search("zebra") == [] and lx.search("   ") == []
    lx.upsert(["a"], ["Caroline adopted a parrot"], [{"namespace": "alice/agent"}])
    assert "a" not in {h.id for h in lx.search("cat")}
    assert lx.search("parrot")[0].metadata == {"namespace": "alice/agent"}
    lx.delete(["c", "missing"])
    assert lx.search("cat") == [] and len(lx) == 2
    with pytest.raises(ValueError, match="metadata key"):
        lx.search("cat", where={'bad"key': 1})


def test_fts_persists_and_a_new_instance_opens_it_without_rebuilding(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "lexical" / "facts.sqlite"
    first = FTSIndex(path)
    _fill(first)
    first.set_stamp("gen-1")
    second = FTSIndex(path)
    assert second.stamp() == "gen-1" and len(second) == 3 and second.rebuilds == 0
    assert second.search("Oscar")[0].id == "a"
    assert second.rows()["b"] == DOCS["b"]
    other = FTSIndex(path, tokenizer="unicode61")  # a tokenizer change rebuilds from its own rows
    assert other.rebuilds == 1 and other.search("cat")[0].id == "a" and other.search("cats")[0].id == "c"
    other.clear()
    assert len(other) == 0 and other.stamp() is None


def test_a_write_then_search_touches_one_row_and_never_rebuilds() -> None:
    fts = FTSIndex()
    hx = HybridIndex("c", HashEmbedder(), InMemoryIndex(), lexical=fts)
    hx.upsert(list(DOCS), [d for d, _ in DOCS.values()], [m for _, m in DOCS.values()])
    hx.search("cat", k=3)
    before = fts.rows_written
    for j in range(5):
        hx.upsert([f"new{j}"], [f"note {j} about a cat"], [{}])
        assert hx.search("cat", k=10)
    assert fts.rows_written - before == 5 and fts.rebuilds == 0
    # the bm25s engine, kept for comparison, rebuilds after every write
    bm = BM25Index()
    _fill(bm)
    for j in range(3):
        bm.upsert([f"new{j}"], [f"note {j} about a cat"])
        bm.search("cat")
    assert bm.builds == 3


def test_sync_touches_only_rows_that_differ() -> None:
    fts, vec = FTSIndex(), InMemoryIndex()
    hx = HybridIndex("c", HashEmbedder(), vec, lexical=fts)
    rows = [(i, d, m) for i, (d, m) in DOCS.items()]
    assert hx.sync(rows) == 3
    again = HybridIndex("c", HashEmbedder(), vec, lexical=fts)  # a new process over the same caches
    assert again.sync(rows) == 0 and again.full_syncs == 0
    rows[0] = ("a", "Caroline adopted a hamster", rows[0][2])
    assert again.sync(rows[:2]) == 2  # one changed, one gone
    assert vec.count("c") == len(fts) == 2
    vec.drop("c")  # the vector side lost its rows: everything is re-upserted
    assert again.sync(rows[:2]) == 2 and again.full_syncs == 1 and vec.count("c") == 2


def _facts(tmp_path, vec) -> FactStore:  # noqa: ANN001
    return FactStore(tmp_path / "facts", HashEmbedder(), vec, namespace="alice/agent", lexical=FTSIndex(tmp_path / "index" / "facts.sqlite"))


def test_fact_store_reopens_its_persisted_index_and_writes_per_item(tmp_path) -> None:  # noqa: ANN001
    vec = InMemoryIndex()  # stands in for the persistent Chroma collection, shared by the "processes"
    a = _facts(tmp_path, vec)
    for j in range(30):
        a.insert(f"fact number {j} about topic{j % 5}")
    assert a.search("topic3", k=3) and a.full_syncs == 0  # writes kept the persisted index current
    b = _facts(tmp_path, vec)  # a new process
    hits = b.search("topic3", k=3)
    assert hits and b.full_syncs == 0 and not b._all_loaded  # no item file read beyond the hits
    lex = b.hybrid.lexical
    before = lex.rows_written
    for j in range(3):  # interleaved remember-then-recall
        new = b.insert(f"fresh fact about zebra{j}")
        assert b.search(f"zebra{j}", k=5)[0].record.id == new.id
    assert lex.rows_written - before == 3 and b.full_syncs == 0 and b.hybrid.full_syncs == 0
    b.record_use(new.id, 1.0, True)  # usage-only writes leave the index alone
    assert lex.rows_written - before == 3
    b.delete(new.id)
    assert new.id not in {h.record.id for h in b.search("zebra2", k=5)}


def test_fact_store_notices_files_changed_by_hand(tmp_path) -> None:  # noqa: ANN001
    vec = InMemoryIndex()
    a = _facts(tmp_path, vec)
    item = a.insert("the spare key is under the mat")
    a.insert("the car is parked outside")
    raw = read_json(a._path(item.id))
    raw["content"] = "the spare key is in the blue flowerpot"
    atomic_write_json(a._path(item.id), raw)  # an edit outside the store
    b = _facts(tmp_path, vec)
    assert b.search("flowerpot", k=2)[0].record.id == item.id
    assert b.full_syncs == 1 and b.hybrid.full_syncs == 0  # a diff, re-indexing one row
    c = _facts(tmp_path, vec)
    assert c.search("flowerpot", k=2) and c.full_syncs == 0
