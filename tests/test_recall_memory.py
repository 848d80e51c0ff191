"""Unified recall: namespaces, budgets, per-store normalisation and weights, proxies, after_task."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmem.environment import TaskSpec
from agentmem.hooks import MemoryHook
from agentmem.errors import ConfigError, StoreError
from agentmem.learning.outcome_log import OutcomeLog
from agentmem.memory import Memory
from agentmem.retrieval.proxy.base import HybridOrder
from agentmem.retrieval.proxy.llm_proxy import LLMProxy
from agentmem.settings import Settings
from agentmem.stores.base import Store
from agentmem.stores.memory_store import InMemoryStore
from agentmem.testing import FunctionLLM, HashEmbedder, InMemoryIndex, ScriptedLLM
from agentmem.types import Lifecycle, MemoryRecord, Outcome, Recalled


@pytest.fixture
def emb() -> HashEmbedder:
    return HashEmbedder()


def make_store(name: str, emb: HashEmbedder, texts: dict[str, list[str]]) -> InMemoryStore:
    store = InMemoryStore(name, emb, InMemoryIndex())
    for ns, ts in texts.items():
        store.add_texts(ts, namespace=ns, ids=[f"{name}-{ns.replace('/', '_')}-{i}" for i in range(len(ts))])
    return store


class ScaledStore:
    """A test store whose search returns raw, un-normalised scores (to check Memory re-scales them)."""

    def __init__(self, name: str, records: list[MemoryRecord], scores: list[float]) -> None:
        self.name, self.root = name, Path(".")
        self._recs, self._scores = records, scores
        self.uses: list[tuple[str, float, bool]] = []

    def records(self, namespace=None, include_inactive=False):  # noqa: ANN001, ANN201
        return [r for r in self._recs if namespace is None or r.namespace == namespace]

    def get_record(self, item_id):  # noqa: ANN001, ANN201
        return next((r for r in self._recs if r.id == item_id), None)

    def search(self, query, k=10, namespace=None):  # noqa: ANN001, ANN201
        return [Recalled(record=r, score=s) for r, s in zip(self._recs, self._scores) if r.namespace == namespace][:k]

    def record_use(self, item_id, reward, success):  # noqa: ANN001, ANN201
        self.uses.append((item_id, reward, success))

    def set_state(self, item_id, state):  # noqa: ANN001, ANN201
        pass


def test_memory_implements_hook_and_stores_the_protocol(settings: Settings, emb: HashEmbedder) -> None:
    store = make_store("facts", emb, {"default": ["the mug is in the cabinet"]})
    assert isinstance(store, Store)
    assert isinstance(Memory([store], settings=settings), MemoryHook)


def test_namespaces_never_leak(settings: Settings, emb: HashEmbedder) -> None:
    facts = make_store("facts", emb, {"alice": ["alice keeps the key under the blue mat", "alice likes tea"], "bob": ["bob keeps the key under the red mat"]})
    skills = make_store("skills", emb, {"bob/agent1": ["to find a key look under the mat"]})
    mem = Memory([facts, skills], settings=settings)
    for ns, owner in (("alice", "alice/default"), ("bob", "bob/default"), ("bob/agent1", "bob/agent1")):
        ctx = mem.recall("where is the key under the mat", namespace=ns)
        assert ctx.items, ns
        assert {r.record.namespace for r in ctx.items} == {owner}
    assert mem.recall("where is the key", namespace="carol").items == []
    assert mem.recall("where is the key", namespace="carol").text == ""


def test_bad_input_is_clear_or_empty(settings: Settings, emb: HashEmbedder) -> None:
    mem = Memory([make_store("facts", emb, {"default": ["a fact"]})], settings=settings)
    assert mem.recall("   ").items == []
    assert Memory([], settings=settings).recall("anything").items == []
    with pytest.raises(ConfigError, match="unknown store"):
        mem.recall("fact", stores=["nope"])
    with pytest.raises(StoreError, match="namespace"):
        mem.recall("fact", namespace="a//b")
    with pytest.raises(ConfigError, match="budget_tokens"):
        mem.recall("fact", budget_tokens=0)


def test_scores_are_rescaled_per_store_before_merging(settings: Settings) -> None:
    big = ScaledStore("skills", [MemoryRecord(id=f"s{i}", store="skills", text=f"skill {i}", namespace="default/default") for i in range(3)], [900.0, 800.0, 700.0])
    small = ScaledStore("facts", [MemoryRecord(id=f"f{i}", store="facts", text=f"fact {i}", namespace="default/default") for i in range(3)], [0.3, 0.2, 0.1])
    ranked, _ = Memory([big, small], settings=settings).candidates("q", "default/default")
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    assert {ranked[0].record.id, ranked[1].record.id} == {"s0", "f0"}  # each store's best ties at 1.0


def test_store_weights_shift_the_order(settings: Settings) -> None:
    a = ScaledStore("skills", [MemoryRecord(id=f"s{i}", store="skills", text="x" * 40, namespace="default/default") for i in range(3)], [3.0, 2.0, 1.0])
    b = ScaledStore("facts", [MemoryRecord(id=f"f{i}", store="facts", text="y" * 40, namespace="default/default") for i in range(3)], [3.0, 2.0, 1.0])
    s = settings.model_copy(update={"recall": settings.recall.model_copy(update={"store_weights": {"skills": 1.0, "facts": 0.3}})})
    ranked, _ = Memory([a, b], settings=s).candidates("q", "default/default")
    assert [r.record.id for r in ranked[:2]] == ["s0", "s1"]


def test_budget_is_shared_across_stores(settings: Settings) -> None:
    recs = lambda store, n: [MemoryRecord(id=f"{store}{i}", store=store, text="w" * 400, namespace="default/default") for i in range(n)]  # noqa: E731
    a = ScaledStore("skills", recs("skills", 5), [1.0, 0.99, 0.98, 0.97, 0.96])
    b = ScaledStore("facts", recs("facts", 5), [0.5, 0.4, 0.3, 0.2, 0.1])
    s = settings.model_copy(update={"recall": settings.recall.model_copy(update={"store_weights": {"skills": 1.0, "facts": 0.1}, "max_store_share": 0.5})})
    mem = Memory([a, b], settings=s)
    ctx = mem.recall("q", budget_tokens=400)
    assert ctx.tokens <= 400
    stores = [r.record.store for r in ctx.items]
    assert stores.count("skills") == 2 and stores.count("facts") == 2  # skills alone would have taken all four slots
    assert mem.last_report is not None and mem.last_report.selected == {"skills": 2, "facts": 2}
    assert "## Skills" in ctx.text and "## Facts" in ctx.text


def test_llm_proxy_reorders_and_reports(settings: Settings, emb: HashEmbedder) -> None:
    facts = make_store("facts", emb, {"default": ["paris is the capital of france", "the capital of italy is rome", "capital letters start sentences"]})

    def reply(messages, info):  # noqa: ANN001, ANN202
        prompt = messages[-1].content
        italy = next(line.split("]")[0].strip("[") for line in prompt.splitlines() if line.startswith("[") and "italy" in line)
        return f"The task asks about Italy.\nRANKING: [{italy}] > [9] > [{italy}]"

    llm = FunctionLLM(reply)
    mem = Memory([facts], settings=settings, proxy=LLMProxy(llm))
    ctx = mem.recall("what is the capital of italy")
    assert "italy" in ctx.items[0].record.text
    dropped = mem.last_report.proxy.dropped
    assert dropped[0] == "[9] unknown" and dropped[1].endswith("repeated") and len(dropped) == 2
    assert len(llm.calls) == 1


def test_llm_proxy_falls_back_on_unusable_reply(settings: Settings, emb: HashEmbedder) -> None:
    facts = make_store("facts", emb, {"default": ["alpha beta", "alpha gamma"]})
    base = Memory([facts], settings=settings).recall("alpha beta")
    llm = ScriptedLLM(["I cannot rank these."])
    mem = Memory([facts], settings=settings, proxy=LLMProxy(llm))
    ctx = mem.recall("alpha beta")
    assert [r.record.id for r in ctx.items] == [r.record.id for r in base.items]
    assert mem.last_report.proxy.fallback == "no valid ranking in the proxy's reply"
    llm.assert_complete()


def test_after_task_records_usage(settings: Settings, emb: HashEmbedder) -> None:
    facts = make_store("facts", emb, {"alice": ["alice keeps the key under the mat"]})
    log = OutcomeLog(settings.paths.home / "outcomes.sqlite")
    mem = Memory([facts], settings=settings, outcome_log=log)
    task = TaskSpec(id="t1", instruction="where is the key", metadata={"namespace": "alice"})
    ctx = mem.before_task(task)
    assert ctx.items
    mem.after_task(task, ctx, [], Outcome(score=1.0, success=True), run_id="r1")
    rows = log.rows(store="facts")
    assert [(r.item_id, r.namespace, r.rank, r.reward) for r in rows] == [(ctx.items[0].record.id, "alice/default", 0, 1.0)]
    assert facts.usage(ctx.items[0].record.id).uses == 1


def test_retired_items_leave_recall(settings: Settings, emb: HashEmbedder) -> None:
    facts = make_store("facts", emb, {"default": ["the key is under the mat", "the key is in the drawer"]})
    mem = Memory([facts], settings=settings)
    first = mem.recall("where is the key").items[0].record.id
    facts.set_state(first, Lifecycle.retired)
    assert first not in mem.recall("where is the key").item_ids


def test_proxy_fallback_is_default(settings: Settings, emb: HashEmbedder) -> None:
    mem = Memory.from_settings(settings, [make_store("facts", emb, {"default": ["x y"]})])
    assert isinstance(mem.proxy, HybridOrder)
