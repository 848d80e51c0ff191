"""The conversation store: turns with speaker/date/session, files as truth, namespaces, lifecycle."""

from __future__ import annotations

import pytest

from agentmem.errors import StoreError
from agentmem.stores.base import Store
from agentmem.stores.conversation import ConversationStore, ConversationTurn
from agentmem.testing import HashEmbedder, InMemoryIndex
from agentmem.types import Lifecycle


def turns() -> list[ConversationTurn]:
    return [
        ConversationTurn(id="t1", speaker="Caroline", text="I went to a LGBTQ support group yesterday.", date="8 May 2023", session=1, index=0),
        ConversationTurn(id="t2", speaker="Melanie", text="I painted a sunrise by the lake.", date="8 May 2023", session=1, index=1, image_caption="a painting of a sunrise"),
    ]


def test_turns_render_search_and_persist(tmp_path) -> None:  # noqa: ANN001
    root = tmp_path / "conv"
    store = ConversationStore(root, HashEmbedder(), InMemoryIndex())
    assert isinstance(store, Store)
    store.add_turns(turns(), namespace="alice")
    hits = store.search("support group Caroline", k=2, namespace="alice")
    assert hits[0].record.id == "t1"
    assert hits[0].record.text == "[8 May 2023] Caroline: I went to a LGBTQ support group yesterday."
    assert hits[0].record.metadata["speaker"] == "Caroline" and hits[0].record.metadata["session"] == 1
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert store.get_record("t2").text.endswith("[image: a painting of a sunrise]")
    assert store.search("support group", namespace="bob") == []
    store.set_state("t1", Lifecycle.retired)
    reopened = ConversationStore(root, HashEmbedder(), InMemoryIndex())
    assert [t.id for t in reopened.turns("alice")] == ["t1", "t2"]
    assert [r.id for r in reopened.records("alice")] == ["t2"]
    assert "t1" not in [h.record.id for h in reopened.search("support group Caroline", namespace="alice")]


def test_ids_are_unique_across_namespaces(tmp_path) -> None:  # noqa: ANN001
    store = ConversationStore(tmp_path, HashEmbedder(), InMemoryIndex())
    store.add_turns(turns(), namespace="alice")
    with pytest.raises(StoreError, match="already exists"):
        store.add_turns(turns()[:1], namespace="bob")


def test_malformed_file_is_named(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "alice__default.jsonl").write_text("{not json\n")
    with pytest.raises(StoreError, match="alice__default.jsonl:1"):
        ConversationStore(tmp_path, HashEmbedder(), InMemoryIndex())


def test_ingest_locomo_matches_benchmark_rendering(tmp_path, shared_data) -> None:  # noqa: ANN001
    from agentmem.evals.locomo.data import load_locomo

    conv = load_locomo(shared_data / "locomo" / "locomo10.json")[0]
    store = ConversationStore(tmp_path, HashEmbedder(), InMemoryIndex())
    ids = store.ingest_locomo(conv, namespace="locomo/conv0")
    assert len(ids) == len(conv.turns)
    first = store.get_record(ids[0])
    assert first.text == conv.turns[0].render() and first.namespace == "locomo/conv0"


def test_memory_over_conversation_store_with_trained_proxy(tmp_path, settings) -> None:  # noqa: ANN001
    from agentmem.memory import Memory
    from agentmem.retrieval.proxy.model import ProxyWeights
    from agentmem.retrieval.proxy.trained import TrainedProxy

    emb = HashEmbedder()
    store = ConversationStore(tmp_path, emb, InMemoryIndex())
    store.add_turns(turns(), namespace="alice")
    mem = Memory([store], settings=settings, proxy=TrainedProxy(emb, ProxyWeights.identity(emb.dim)))
    ctx = mem.recall("When did Caroline go to the support group?", namespace="alice")
    assert ctx.items[0].record.id == "t1"
    assert "proxy:trained" in ctx.items[0].reasons and mem.last_report.proxy.fallback is None
    assert "## Conversation" in ctx.text and "Caroline" in ctx.text
