"""The persistent lexical indexes (incremental BM25, FTS5) and the per-item index maintenance of stores (issue 18)."""

from __future__ import annotations

import pytest

from agentmem.fileio import atomic_write_json, read_json
from agentmem.retrieval.fts import FTSIndex, fts5_available, query_terms
from agentmem.retrieval.hybrid import HybridIndex
from agentmem.retrieval.incremental_bm25 import IncrementalBM25
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
    assert query_terms("What did Caroline do with the cat?") == ["what", "did", "caroline", "do", "cat"]
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


def test_incremental_bm25_ranks_like_bm25s() -> None:
    texts = [
        "Caroline went to the LGBTQ support group yesterday", "Melanie painted a sunrise over the lake",
        "Caroline is researching adoption agencies", "Melanie took her kids camping in the mountains",
        "Caroline gave a speech at a school about her transition", "the kids loved the camping trip and the lake",
        "Melanie signed up for a pottery class", "Caroline wants to become a counselor",
    ]
    ids = [f"t{j}" for j in range(len(texts))]
    ours, ref = IncrementalBM25(stemmer=None), BM25Index()
    ours.upsert(ids, texts)
    ref.upsert(ids, texts)
    for q in ["What is Caroline researching?", "Where did Melanie go camping with the kids?", "pottery class", "lake"]:
        a, b = ours.search(q, k=3), ref.search(q, k=3)
        assert {h.id: round(h.score, 4) for h in a} == {h.id: round(h.score, 4) for h in b}, q  # same hits, same scores


def test_incremental_bm25_filters_replaces_deletes_and_compacts() -> None:
    lx = IncrementalBM25()
    assert isinstance(lx, LexicalIndex)
    _fill(lx)
    assert {h.id for h in lx.search("cat", where={"namespace": "alice/agent"})} == {"a", "c"}  # stemmed: cats -> cat
    assert lx.search("cat", where={"namespace": "bob/agent"}) == []
    assert {h.id for h in lx.search("dog park", where={"n": {"$in": [2, 3]}})} == {"b"}
    lx.upsert(["a"], ["Caroline adopted a parrot"], [{"namespace": "alice/agent"}])
    assert lx.search("cat")[0].id == "c" and lx.search("parrot")[0].document == "Caroline adopted a parrot"  # stemmed: cats -> cat
    lx.delete(["b", "missing"])
    assert lx.search("dog") == [] and len(lx) == 2
    for j in range(300):
        lx.upsert([f"x{j}"], [f"filler note {j} about parrots"], [{"namespace": "bob/agent"}])
    lx._compact()
    assert lx.compactions == 1 and lx.search("parrot", k=1)[0].id == "a"
    assert len(lx.search("parrots", k=500, where={"namespace": "bob/agent"})) == 300
    assert {h.id for h in lx.search("parrot", k=500)} == {"a", *(f"x{j}" for j in range(300))}


def test_incremental_bm25_persists_and_sees_other_processes_writes(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "lexical" / "facts.bm25.sqlite"
    first = IncrementalBM25(path)
    _fill(first)
    first.set_stamp("gen-1")
    second = IncrementalBM25(path)  # another process opening the file: no tokenising, no rebuild
    assert second.stamp() == "gen-1" and len(second) == 3 and second.search("Oscar")[0].id == "a"
    assert second.rows()["b"] == DOCS["b"]
    first.upsert(["d"], ["a zebra escaped from the zoo"], [{}])
    first.delete(["a"])
    assert second.search("zebra")[0].id == "d" and second.search("Oscar") == []  # picked up at the next query
    assert second.full_loads == 1
    plain = IncrementalBM25(path, stemmer=None)  # another tokenizer re-indexes the file's own documents
    assert plain.retokenized and [h.id for h in plain.search("cats")] == ["c"] and plain.search("cat") == []
    assert {h.id for h in second.search("cats")} == {"c"} and second.retokenized  # saw the new epoch: re-indexed with its own tokenizer
    first.clear()
    assert len(second) == 0 and second.stamp() is None


def test_a_write_then_search_touches_one_row_and_never_rebuilds() -> None:
    fts = IncrementalBM25()
    hx = HybridIndex("c", HashEmbedder(), InMemoryIndex(), lexical=fts)
    hx.upsert(list(DOCS), [d for d, _ in DOCS.values()], [m for _, m in DOCS.values()])
    hx.search("cat", k=3)
    before = fts.rows_written
    for j in range(5):
        hx.upsert([f"new{j}"], [f"note {j} about a cat"], [{}])
        assert hx.search("cat", k=10)
    assert fts.rows_written - before == 5 and fts.full_loads == 1
    # the bm25s engine, kept for comparison, rebuilds after every write
    bm = BM25Index()
    _fill(bm)
    for j in range(3):
        bm.upsert([f"new{j}"], [f"note {j} about a cat"])
        bm.search("cat")
    assert bm.builds == 3


def test_sync_touches_only_rows_that_differ() -> None:
    fts, vec = IncrementalBM25(), InMemoryIndex()
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
    return FactStore(tmp_path / "facts", HashEmbedder(), vec, namespace="alice/agent", lexical=IncrementalBM25(tmp_path / "index" / "facts.sqlite"))


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


def test_dense_filter_skips_the_filtered_query_only_when_it_cannot_change_the_answer() -> None:
    class Counting(InMemoryIndex):
        filtered = 0

        def query(self, namespace, embedding, k=10, where=None):  # noqa: ANN001, ANN201
            Counting.filtered += bool(where)
            return super().query(namespace, embedding, k=k, where=where)

    vec = Counting()
    hx = HybridIndex("c", HashEmbedder(), vec)
    hx.upsert([f"a{j}" for j in range(6)], [f"alice note {j}" for j in range(6)], [{"namespace": "alice/agent"}] * 6)
    assert len(hx.dense("alice note", k=3, where={"namespace": "alice/agent"})) == 3 and Counting.filtered == 0
    hx.upsert([f"b{j}" for j in range(6)], [f"alice note {j}" for j in range(6)], [{"namespace": "bob/agent"}] * 6)
    hits = hx.dense("alice note", k=4, where={"namespace": "bob/agent"})
    assert {h.id[0] for h in hits} == {"b"} and len(hits) == 4 and Counting.filtered == 1
