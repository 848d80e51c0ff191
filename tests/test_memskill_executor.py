"""Fact store and MemSkill executor driven by the scripted fake LLM: operations applied exactly, history kept."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import StoreError, StructuredOutputError
from agentmem.learning.memskill import MemorySkillBank, Span
from agentmem.learning.memskill.executor import Executor
from agentmem.prompts import PromptLibrary
from agentmem.stores.base import Store
from agentmem.stores.facts import FactOp, FactStore
from agentmem.testing import HashEmbedder, ScriptedLLM
from agentmem.types import Lifecycle


@pytest.fixture
def store(tmp_path):
    return FactStore(tmp_path / "facts", HashEmbedder())


@pytest.fixture
def bank(tmp_path):
    return MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")


def test_fact_store_keeps_history_and_survives_reload(tmp_path, store):
    assert isinstance(store, Store)
    a = store.insert("Caroline adopted a cat named Oscar", span_id="c:s0", skill="insert-memory")
    store.update(a.id, "Caroline adopted two cats, Oscar and Milo", span_id="c:s3", skill="update-memory")
    b = store.insert("Caroline's brother lives in Denver", span_id="c:s1")
    store.delete(b.id, span_id="c:s4", skill="delete-memory", reason="retracted")
    fresh = FactStore(tmp_path / "facts", HashEmbedder())
    item = fresh.get(a.id)
    assert item.content == "Caroline adopted two cats, Oscar and Milo"
    assert [(r.op, r.span_id, r.skill) for r in item.history] == [(FactOp.INSERT, "c:s0", "insert-memory"), (FactOp.UPDATE, "c:s3", "update-memory")]
    assert [r.content for r in item.history] == ["Caroline adopted a cat named Oscar", "Caroline adopted two cats, Oscar and Milo"]
    gone = fresh.get(b.id)
    assert gone.state == Lifecycle.retired and gone.history[-1].op == FactOp.DELETE and gone.history[-1].reason == "retracted"
    assert [r.id for r in fresh.records()] == [a.id] and len(fresh.records(include_inactive=True)) == 2
    hits = fresh.search("Caroline cats Oscar", k=5)
    assert [h.record.id for h in hits] == [a.id] and 0.0 <= hits[0].score <= 1.0
    with pytest.raises(StoreError, match="cannot update item"):
        fresh.update(b.id, "x")
    with pytest.raises(StoreError, match="unknown item id"):
        fresh.delete("nope")
    fresh.record_use(a.id, 1.0, True)
    assert FactStore(tmp_path / "facts", HashEmbedder()).get(a.id).usage.uses == 1
    assert not list((tmp_path / "facts").rglob("*.tmp"))


def test_executor_applies_operations_exactly(store, bank):
    old = store.insert("Jordan works at the harbour", span_id="c:s0")
    wrong = store.insert("Jordan bought a boat", span_id="c:s0")
    reply = {"operations": [
        {"op": "UPDATE", "id": old.id, "content": "Jordan works at the city hospital as a nurse", "skill": "update-memory"},
        {"op": "DELETE", "id": wrong.id, "reason": "never happened", "skill": "delete-memory"},
        {"op": "insert", "content": "Jordan ran a marathon on 6 May 2023", "skill": "capture-temporal-context"},
        {"op": "NOOP", "reason": "greeting", "skill": "skip-memory"},
        {"op": "UPDATE", "id": "f_doesnotexist", "content": "x", "skill": "update-memory"},
        {"op": "INSERT", "skill": "insert-memory"},
        {"op": "EXPLODE"},
    ]}
    llm = ScriptedLLM(["Here you go:\n```json\n" + json.dumps(reply) + "\n```"])
    skills = [bank.get(n) for n in ("update-memory", "delete-memory", "capture-temporal-context", "skip-memory")]
    span = Span(id="c:s5", text="Actually Jordan is a nurse at the city hospital. Forget the boat. Last Saturday she ran a marathon!", index=5, start_word=0, end_word=20, date="13 May 2023")
    memories = [{"id": old.id, "content": old.content}, {"id": wrong.id, "content": wrong.content}]
    report = Executor(llm, store).run(span, skills, memories)
    llm.assert_complete()
    prompt = llm.calls[0].prompt
    assert old.id in prompt and "13 May 2023" in prompt and "capture-temporal-context" in prompt
    assert [a.op for a in report.applied] == ["UPDATE", "DELETE", "INSERT", "NOOP"]
    assert len(report.skipped) == 3
    assert any("unknown memory id" in s.reason for s in report.skipped)
    assert sum("invalid operation" in s.reason for s in report.skipped) == 2
    assert store.get(old.id).content == "Jordan works at the city hospital as a nurse"
    assert store.get(old.id).history[-1].span_id == "c:s5" and store.get(old.id).history[-1].skill == "update-memory"
    assert store.get(wrong.id).state == Lifecycle.retired
    inserted = store.get(report.applied[2].item_id)
    assert inserted.content == "Jordan ran a marathon on 6 May 2023" and inserted.history[0].skill == "capture-temporal-context"
    assert len(store.records()) == 2
    # the operations went through the edit engine: audited with the span as the run id
    from pathlib import Path

    from agentmem.learning.audit import AuditLog

    rows = AuditLog(Path(store.root).parent / "audit.sqlite").entries(run_id="c:s5")
    assert sorted((r.kind, r.status) for r in rows) == [("add_item", "applied"), ("retire_item", "applied"), ("revise_item", "applied")]


def test_executor_refuses_ids_not_shown_and_repairs_bad_json_once(store, bank):
    hidden = store.insert("Priya likes jazz")
    llm = ScriptedLLM(["not json at all", json.dumps({"operations": [{"op": "DELETE", "id": hidden.id, "reason": "x"}]})])
    report = Executor(llm, store).run(Span(id="s", text="hi", index=0, start_word=0, end_word=1), [bank.get("delete-memory")], memories=[])
    llm.assert_complete()
    assert report.applied == [] and "not among the retrieved memories" in report.skipped[0].reason
    assert store.get(hidden.id).state == Lifecycle.active
    assert "could not be used" in llm.calls[1].prompt
    bad = ScriptedLLM(["nope", "still nope"])
    with pytest.raises(StructuredOutputError, match="ExecutorReply"):
        Executor(bad, store).run(Span(id="s", text="hi", index=0, start_word=0, end_word=1), [bank.get("skip-memory")], memories=[])


def test_prompt_templates_render_with_typed_inputs(bank):
    lib = PromptLibrary()
    ex = Executor(ScriptedLLM([]), store=None, prompts=lib)  # type: ignore[arg-type]
    text = ex.render(Span(id="c:s1", text="Hello there", index=1, start_word=0, end_word=2), [bank.get("insert-memory")], [{"id": "f_1", "content": "A fact"}])
    assert "[f_1] A fact" in text and "insert-memory (action type: INSERT)" in text and "Hello there" in text
    empty = ex.render(Span(id="c:s1", text="Hi", index=1, start_word=0, end_word=1), [bank.get("skip-memory")], [])
    assert "(none)" in empty
    designer_text = lib.render("memskill_designer.j2", skills=[{"name": "insert-memory", "action_type": "INSERT", "description": "d", "when_to_use": "w", "usage_count": 3, "average_reward": 0.5}],
                               clusters=[[{"span": "Last week I moved", "reward": 0.1, "selected": ["insert-memory"], "memories": [], "note": ""}]], max_proposals=2,
                               seed_skills=["insert-memory"])
    assert "Cluster 1" in designer_text and "Last week I moved" in designer_text and "at most 2" in designer_text


def test_pipeline_memorises_a_conversation_and_learns(tmp_path, bank):
    from agentmem.learning.memskill.pipeline import MemSkillMemory
    from agentmem.testing import FunctionLLM

    def reply(messages, info):
        # insert the first line of the span (the executor's prompt ends with the span's text block)
        prompt = messages[-1].content
        span_text = prompt.split("## New span", 1)[1].split("\n\n", 1)[1].split("\n## Your reply")[0].strip()
        return json.dumps({"operations": [{"op": "INSERT", "content": span_text.splitlines()[0], "skill": "insert-memory"}]})

    store = FactStore(tmp_path / "facts", HashEmbedder())
    llm = FunctionLLM(reply)
    mem = MemSkillMemory(bank, store, llm, HashEmbedder(), top_k=3, chunk_size=20, overlap=5)
    convo = "\n".join(f"Speaker{i % 2}: turn number {i} says something about topic {i} today" for i in range(6))
    trace = mem.process(convo, episode_id="c1", date="8 May 2023", sample=True)
    assert len(trace.spans) == len(trace.reports) == len(trace.transitions) >= 3
    assert all(len(sel) == 3 for sel in trace.selected)
    assert len(store.records()) == len(trace.spans) and len(llm.calls) == len(trace.spans)
    assert all(item.history[0].span_id.startswith("c1:s") for item in store.items())
    stats = mem.learn([(trace, 0.7)])
    assert stats is not None and stats.mean_return == pytest.approx(0.7)
    used = {n for sel in trace.selected for n in sel}
    assert all(bank.stats()[n].usage_count >= 1 for n in used)
    assert len(MemSkillMemory.hard_cases(trace, 0.1)) == len(trace.spans)


def test_wiring_from_settings(settings):
    from agentmem.learning.memskill.pipeline import MemSkillMemory

    s = settings.model_copy(update={"memskill": settings.memskill.model_copy(update={"top_k": 4})})
    mem = MemSkillMemory.from_settings(s, ScriptedLLM([]))
    assert mem.top_k == 4 and mem.chunk_size == 512 and mem.overlap == 64
    assert mem.bank.root == settings.paths.stores / "memskill" / "bank" and "insert-memory" in mem.bank
    assert mem.store.root == settings.paths.stores / "facts" and mem.store.namespace == "default/default"


def test_fact_store_reload_and_namespaces(tmp_path):
    store = FactStore(tmp_path / "facts", HashEmbedder())
    a = store.insert("Omar plays the cello", namespace="u1/default")
    store.insert("Omar plays the cello too", namespace="u2/default")
    assert [h.record.id for h in store.search("Omar cello", namespace="u1/default")] == [a.id]
    store.reload()
    assert len(store.search("Omar cello")) == 2
