"""Subroutine store (shards, exact index, rollback), decomposition, and in-thought retrieval."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agentmem.errors import StoreError, StructuredOutputError, ValidationFailed
from agentmem.stores.shards import ShardedJsonl
from agentmem.stores.subroutine_reasoning import InThoughtConfig, InThoughtReasoner
from agentmem.stores.subroutines import Subroutine, SubroutineConfig, SubroutineStore, trajectory_steps
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle

PAIRS = [
    ("how many ways to choose k items from n", "compute the binomial coefficient n! / (k! (n-k)!)"),
    ("find the roots of a quadratic equation", "apply x = (-b +- sqrt(b^2 - 4ac)) / 2a and check the discriminant"),
    ("count integers divisible by a or b up to n", "add floor(n/a) and floor(n/b), subtract floor(n/lcm(a,b))"),
]


def _store(settings, **cfg):
    return SubroutineStore(settings, config=SubroutineConfig(**cfg) if cfg else None)


def _fill(store, pairs=PAIRS, namespace="default/default"):
    return store.add([Subroutine(subquestion=q, subroutine=r, namespace=namespace, source_task="t0") for q, r in pairs])


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".history" not in p.parts}


def test_add_search_get_and_namespaces(settings):
    from agentmem.stores.base import Store

    st = _store(settings)
    assert isinstance(st, Store)
    rep = _fill(st)
    assert rep.added == ["sr-0", "sr-1", "sr-2"] and not rep.skipped
    _fill(st, [("choose k items from n without order", "use combinations")], namespace="alice/agent")
    hits = st.search_pairs("choose k items from n", k=2)
    assert hits[0][0].id in {"sr-0", "sr-3"}
    only_alice = st.search("choose k items from n", k=5, namespace="alice/agent")
    assert [r.record.id for r in only_alice] == ["sr-3"]
    assert st.get("sr-1").subquestion == PAIRS[1][0]
    assert st.get("sr-99") is None and st.get("nonsense") is None
    assert all(0.0 <= r.score <= 1.0 for r in st.search("quadratic roots", k=3))


def test_shards_roll_over_and_reopen(settings):
    st = _store(settings, rows_per_shard=2)
    _fill(st)
    _fill(st, [("q4", "r4"), ("q5", "r5")])
    assert len(list((st.root / "shards").glob("*.jsonl"))) == 3
    again = _store(settings, rows_per_shard=2)
    assert len(again) == 5
    assert [p.subquestion for p in again.iter_pairs()] == [q for q, _ in PAIRS] + ["q4", "q5"]
    assert again.get("sr-4").subroutine == "r5"


def test_rollback_restores_bytes_exactly(settings):
    st = _store(settings, rows_per_shard=2)
    _fill(st)
    before = _files(st.root)
    _fill(st, [("extra question one", "extra procedure"), ("extra two", "p2")])
    assert len(st) == 5
    with pytest.raises(StoreError, match="batch boundary"):
        st.rollback(4)
    st.rollback(3)
    assert _files(st.root) == before
    assert len(st) == 3 and st.search_pairs("extra question one", k=3)[0][0].id != "sr-3"


def test_oversized_and_empty_pairs_are_skipped_not_written(settings):
    st = _store(settings, max_subroutine_chars=50)
    rep = st.add([Subroutine(subquestion="ok", subroutine="fine"), Subroutine(subquestion="too long", subroutine="x" * 51), Subroutine(subquestion="   ", subroutine="blank q")])
    assert rep.added == ["sr-0"]
    assert [s.reason.split()[0] for s in rep.skipped] == ["subroutine", "empty"]
    assert len(st) == 1


def test_crash_tail_is_ignored_and_caches_reconciled(settings):
    st = _store(settings)
    _fill(st)
    shard = st.root / "shards" / "shard-00000.jsonl"
    with open(shard, "ab") as fh:  # a half-written batch: bytes without committed offsets
        fh.write(b'{"subquestion": "half')
    with open(st.vectors.path, "ab") as fh:
        fh.write(np.ones(st.vectors.dim, dtype=np.float32).tobytes())
    st2 = _store(settings)
    assert len(st2) == 3
    st2.add([Subroutine(subquestion="after crash", subroutine="works")])
    assert st2.get("sr-3").subquestion == "after crash"
    assert len(st2.vectors) == 4
    assert [json.loads(l)["subquestion"] for l in shard.read_text().splitlines()][-1] == "after crash"


def test_retired_pairs_leave_search_and_usage_is_recorded(settings):
    st = _store(settings)
    _fill(st)
    st.set_state("sr-0", Lifecycle.retired)
    assert "sr-0" not in [r.record.id for r in st.search("choose k items from n", k=3)]
    assert [r.id for r in st.records()] == ["sr-1", "sr-2"]
    assert len(st.records(include_inactive=True)) == 3
    st.record_use("sr-1", 1.0, True)
    assert st.usage.get("sr-1").successes == 1
    with pytest.raises(StoreError):
        st.record_use("sr-42", 1.0, True)


def test_embedder_change_requires_reindex(settings):
    from agentmem.testing import HashEmbedder

    st = _store(settings)
    _fill(st)
    with pytest.raises(StoreError, match="reindex"):
        SubroutineStore(settings, embedder=HashEmbedder(dim=64))
    st.reindex()
    assert len(st.vectors) == 3


def test_shards_reject_damaged_offsets(tmp_path):
    sh = ShardedJsonl(tmp_path)
    sh.append([{"a": 1}])
    with open(sh.offsets_path, "ab") as fh:
        fh.write(b"xyz")
    sh._offsets = None
    with pytest.raises(StoreError, match="offset index"):
        len(sh)


# -- decomposition ----------------------------------------------------------------------------
TRAJ = "We need the number of pairs.\n\nThere are 5 people, so choose 2 of 5: C(5,2) = 10.\n\nAnswer: 10"


def test_decompose_writes_pairs_with_provenance(settings):
    st = _store(settings)
    llm = ScriptedLLM([json.dumps({"pairs": [{"subquestion": "how many unordered pairs from n people", "subroutine": "compute C(n,2) = n(n-1)/2", "steps": [1, 7]}]})])
    pairs, rep = st.decompose(TRAJ, llm, task="handshakes", task_id="t-9", run_id="run-1")
    llm.assert_complete()
    assert rep.added == ["sr-0"]
    got = st.get("sr-0")
    assert got.source_task == "t-9" and got.source_run == "run-1" and got.steps == [1]
    assert got.provenance.task_id == "t-9"
    assert "[1] There are 5 people" in llm.calls[0].prompt


def test_decompose_bad_inputs_never_touch_the_store(settings):
    st = _store(settings)
    with pytest.raises(ValidationFailed, match="empty"):
        st.decompose("   \n\n ", ScriptedLLM([]))
    llm = ScriptedLLM(["not json at all", "still {not json"])
    with pytest.raises(StructuredOutputError):
        st.decompose(TRAJ, llm)
    llm.assert_complete()
    assert len(st) == 0 and not (st.root / "shards").exists()


def test_trajectory_steps_from_agent_steps():
    from agentmem.agent.steps import ActionStep, FinalAnswerStep, ObservationStep
    from agentmem.llm.base import ToolCall

    steps = [ActionStep(thought="look", tool_calls=[ToolCall(id="1", name="act", arguments={"command": "look"})]), ObservationStep(observation="a room"), FinalAnswerStep(answer="done")]
    out = trajectory_steps(steps)
    assert out[0].startswith("look\nAction: act(") and out[1] == "Observation: a room" and out[2] == "Answer: done"
    assert trajectory_steps("") == [] and trajectory_steps("a\nb") == ["a", "b"]


# -- in-thought retrieval -----------------------------------------------------------------------
def test_in_thought_retrieval_inserts_before_continuation(settings):
    st = _store(settings)
    _fill(st)
    llm = ScriptedLLM([
        "There are 6 people. <subquestion>how many ways to choose k items from n</subquestion> (the model would go on)",
        "So C(6,2) = 15. <answer>15</answer>",
    ])
    r = InThoughtReasoner(st, llm).solve("How many handshakes among 6 people?")
    llm.assert_complete()
    assert llm.calls[0]["stop"] == ["</subquestion>"]
    assert r.answer == "15" and r.calls == 2
    assert r.insertions[0].ids == ["sr-0"] and r.insertions[0].subquestion == "how many ways to choose k items from n"
    # the retrieved text sits between the closed tag and the continuation
    close = r.text.index("</subquestion>")
    inserted = r.text.index("binomial coefficient")
    assert close < inserted < r.text.index("So C(6,2) = 15")
    assert "(the model would go on)" not in r.text
    # the second call continued the trace that holds the insertion
    assert llm.calls[1]["messages"][-1].role == "assistant" and "binomial coefficient" in llm.calls[1]["messages"][-1].content


def test_insertions_are_bounded_and_not_repeated(settings):
    st = _store(settings)
    _fill(st)
    q = "<subquestion>how many ways to choose k items from n</subquestion>"
    llm = ScriptedLLM([f"a {q}", f"b {q}", f"c {q} <answer>x</answer>"])
    r = InThoughtReasoner(st, llm, config=InThoughtConfig(max_insertions=2)).solve("task")
    llm.assert_complete()
    assert len(r.insertions) == 2 and llm.calls[2]["stop"] is None
    assert r.insertions[0].ids != r.insertions[1].ids
    assert r.answer == "x"


def test_user_turn_continuation_and_no_hit(settings):
    st = _store(settings)
    llm = ScriptedLLM(["<subquestion>anything</subquestion>", "<answer>7</answer>"])
    r = InThoughtReasoner(st, llm, config=InThoughtConfig(continuation="user_turn")).solve("t")
    assert r.answer == "7" and r.insertions[0].ids == []
    assert llm.calls[1]["messages"][-1].role == "user"


def test_parallel_samples_seeded_differently_and_majority_vote(settings):
    st = _store(settings)
    _fill(st)
    llm = ScriptedLLM(["<answer>15</answer>", "<answer> 15 </answer>", "<answer>12</answer>"])
    res = InThoughtReasoner(st, llm).solve_parallel("how many ways to choose 2 items from 6", samples=3)
    llm.assert_complete()
    assert res.answer == "15" and res.votes == {"15": 2, "12": 1}
    seeds = [t.seed_id for t in res.traces]
    assert len(set(seeds)) == 3 and seeds[0] == "sr-0"
    for call, trace in zip(llm.calls, res.traces):
        assert call["messages"][-1].role == "assistant" and st.get(trace.seed_id).subroutine in call["messages"][-1].content


def test_empty_task_is_an_error(settings):
    with pytest.raises(ValidationFailed):
        InThoughtReasoner(_store(settings), ScriptedLLM([])).solve("  ")
