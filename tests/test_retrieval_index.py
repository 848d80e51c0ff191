"""Vector index adapters: the in-memory fake and Chroma (embedded and against a real `chroma run` server)."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from agentmem.retrieval.base import VectorIndex
from agentmem.retrieval.fusion import minmax, rrf
from agentmem.retrieval.base import Hit
from agentmem.retrieval.hybrid import HybridIndex
from agentmem.testing import HashEmbedder, InMemoryIndex

DOCS = [
    "heat the mug in the microwave then put it on the table",
    "cool the apple in the fridge and place it in the bowl",
    "rotate the grid by ninety degrees clockwise",
    "find the largest object in the grid and crop it",
    "Melanie went camping with her kids in the mountains",
]


def _exercise(index: VectorIndex) -> None:
    emb = HashEmbedder(128)
    metas = [{"domain": "alfworld", "n": 1}, {"domain": "alfworld", "n": 2}, {"domain": "arc", "tags": ["geom"]}, {"domain": "arc"}, {}]
    index.upsert("user1/agent", [f"d{i}" for i in range(5)], emb.embed(DOCS), DOCS, metas)
    hits = index.query("user1/agent", emb.embed(["microwave the mug"])[0], k=2)
    assert hits[0].id == "d0" and len(hits) == 2
    assert hits[0].score >= hits[1].score
    only_arc = index.query("user1/agent", emb.embed(["grid"])[0], k=5, where={"domain": "arc"})
    assert {h.id for h in only_arc} == {"d2", "d3"}
    assert next(h for h in only_arc if h.id == "d2").metadata["tags"] == ["geom"]
    in_filter = index.query("user1/agent", emb.embed(["apple"])[0], k=5, where={"n": {"$in": [2]}})
    assert [h.id for h in in_filter] == ["d1"]
    # namespaces are isolated
    assert index.query("user2/agent", emb.embed(["mug"])[0], k=3) == []
    index.upsert("user2/agent", ["x"], emb.embed(["mug elsewhere"]), ["mug elsewhere"], [{}])
    assert [h.id for h in index.query("user2/agent", emb.embed(["mug"])[0], k=3)] == ["x"]
    assert "d0" not in {h.id for h in index.query("user2/agent", emb.embed(["mug"])[0], k=3)}
    # upsert replaces, delete removes
    index.upsert("user1/agent", ["d0"], emb.embed(["replaced text about fish"]), ["replaced text about fish"], [{"domain": "other"}])
    assert index.count("user1/agent") == 5
    assert index.query("user1/agent", emb.embed(["fish"])[0], k=1)[0].document == "replaced text about fish"
    index.delete("user1/agent", ["d0", "d1"])
    assert index.count("user1/agent") == 3
    assert set(index.namespaces()) >= {"user1/agent", "user2/agent"}
    index.drop("user2/agent")
    assert index.count("user2/agent") == 0


def test_in_memory_index_contract():
    _exercise(InMemoryIndex())


@pytest.mark.integration
def test_chroma_embedded_contract_and_persistence(tmp_path):
    from agentmem.retrieval.chroma import ChromaIndex

    _exercise(ChromaIndex.persistent(tmp_path / "idx"))
    reopened = ChromaIndex.persistent(tmp_path / "idx")
    assert reopened.count("user1/agent") == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_chroma_http_server_contract(chroma_url):
    from agentmem.retrieval.chroma import ChromaIndex

    _exercise(ChromaIndex.http(chroma_url))


def test_chroma_url_errors_are_clear():
    from agentmem.errors import StoreError
    from agentmem.retrieval.chroma import ChromaIndex

    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        ChromaIndex.http(f"http://127.0.0.1:{_free_port()}")


def test_rrf_and_minmax():
    a = [Hit(id="x", score=9), Hit(id="y", score=5)]
    b = [Hit(id="y", score=0.9), Hit(id="z", score=0.8)]
    fused = rrf([a, b], k=60)
    assert [h.id for h in fused] == ["y", "x", "z"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    norm = minmax(a)
    assert [h.score for h in norm] == [1.0, 0.0]
    assert minmax([Hit(id="only", score=3)])[0].score == 1.0


def test_hybrid_search_modes_filters_and_empty_queries():
    hx = HybridIndex("c", HashEmbedder(), InMemoryIndex())
    hx.upsert([f"d{i}" for i in range(5)], DOCS, [{"ns": "a"}] * 3 + [{"ns": "b"}] * 2)
    assert hx.search("microwave mug", 1)[0].id == "d0"
    assert hx.search("microwave mug", 1, mode="bm25")[0].id == "d0"
    assert all(h.metadata["ns"] == "b" for h in hx.search("grid", 5, where={"ns": "b"}))
    assert hx.search("   ", 5) == []
    assert hx.search("qqqq zzzz", 2, mode="bm25") == []
    hx.delete(["d0"])
    assert "d0" not in {h.id for h in hx.search("microwave mug", 5)}


def test_hash_embedder_is_deterministic():
    a, b = HashEmbedder(64), HashEmbedder(64)
    assert np.array_equal(a.embed(["same text"]), b.embed(["same text"]))


@pytest.mark.integration
def test_minilm_embedder_cache_and_similarity():
    from agentmem.retrieval.embedder import MiniLMEmbedder

    e = MiniLMEmbedder()
    v = e.embed(["a dog runs in the park", "a puppy is running in a park", "quarterly tax filing deadline"])
    assert v.shape == (3, 384)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])
    before = e.texts_embedded
    e.embed(["a dog runs in the park"])
    assert e.texts_embedded == before, "cached text was embedded twice"


@pytest.mark.integration
def test_minilm_disk_cache_is_shared_across_instances(tmp_path):
    from agentmem.retrieval.embedder import MiniLMEmbedder

    first = MiniLMEmbedder(cache_dir=tmp_path)
    v1 = first.embed(["cached across processes"])
    second = MiniLMEmbedder(cache_dir=tmp_path)
    assert second._model is first._model  # instances of one model share the loaded model
    second._cache.clear()  # as in a new process: only the disk cache holds the vector
    v2 = second.embed(["cached across processes"])
    assert second.texts_embedded == 0
    assert np.allclose(v1, v2)
