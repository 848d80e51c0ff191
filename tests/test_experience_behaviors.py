"""Behavior handbook: add/merge, curation from a trajectory, selection, rendering, history."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import StoreError, StructuredOutputError, ValidationFailed
from agentmem.stores.behaviors import Behavior, BehaviorConfig, BehaviorHandbook, merge_behaviors, normalise_name
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle, Outcome, Provenance

IE = Behavior(name="behavior_inclusion_exclusion", instruction="count the union by adding the parts and subtracting the overlaps", topics=["counting"])
UNITS = Behavior(name="behavior_check_units", instruction="carry units through every step and check them at the end", topics=["physics"])


def _hb(settings, **cfg):
    return BehaviorHandbook(settings, config=BehaviorConfig(**cfg) if cfg else None)


def test_add_get_and_readable_file(settings):
    hb = _hb(settings)
    assert hb.add(IE) == ("behavior_inclusion_exclusion", "added")
    text = (hb.root / "items" / "behavior_inclusion_exclusion.yaml").read_text()
    assert "instruction: count the union" in text and "topics:\n- counting" in text
    assert hb.get("behavior_inclusion_exclusion") == IE


def test_same_name_merges_field_by_field(settings):
    hb = _hb(settings)
    hb.add(IE.model_copy(update={"provenance": [Provenance(source="learned", task_id="t1")]}))
    dup = Behavior(name="behavior_inclusion_exclusion", instruction="a different wording", topics=["sets", "counting"], provenance=[Provenance(source="learned", task_id="t2")])
    assert hb.add(dup) == ("behavior_inclusion_exclusion", "merged: same name")
    got = hb.get("behavior_inclusion_exclusion")
    assert got.instruction == IE.instruction  # first instruction kept
    assert got.topics == ["counting", "sets"]  # union, order kept
    assert [p.task_id for p in got.provenance] == ["t1", "t2"]
    assert len(hb.all()) == 1


def test_near_duplicate_by_embedding_merges_and_keeps_alias(settings):
    hb = _hb(settings, merge_threshold=0.6)
    hb.add(IE)
    hb.add(UNITS)
    near = Behavior(name="behavior_union_counting", instruction="count the union by adding the parts and subtracting overlaps")
    name, how = hb.add(near)
    assert name == "behavior_inclusion_exclusion" and how.startswith("merged: cosine")
    assert hb.get(name).aliases == ["behavior_union_counting"]
    assert hb.add(near)[1] == "merged: alias"
    assert sorted(b.name for b in hb.all()) == ["behavior_check_units", "behavior_inclusion_exclusion"]


def test_merge_function_does_not_mutate():
    a = IE.model_copy(deep=True)
    out = merge_behaviors(a, UNITS)
    assert a == IE and out.aliases == ["behavior_check_units"] and out.topics == ["counting", "physics"]


def test_select_topic_first_then_similarity_and_budgeted_render(settings):
    hb = _hb(settings)
    hb.add(IE)
    hb.add(UNITS)
    hb.add(Behavior(name="behavior_small_cases", instruction="try small cases first to find the pattern", topics=["counting"]))
    picked = hb.select("a falling ball: compute its speed in metres per second with units", topic="counting", k=3)
    assert {b.name for b, _, why in picked if why.startswith("tagged")} == {"behavior_inclusion_exclusion", "behavior_small_cases"}
    assert picked[-1][0].name == "behavior_check_units"
    full = hb.render([b for b, _, _ in picked], budget_tokens=10_000)
    assert all(b.name in full for b, _, _ in picked)
    small = hb.render([b for b, _, _ in picked], budget_tokens=60)
    assert len(small) // 4 <= 60 and small.count("- behavior_") < 3
    assert hb.render([b for b, _, _ in picked], budget_tokens=5) == ""


def test_curate_from_trajectory(settings):
    hb = _hb(settings)
    hb.add(IE)
    reply = {
        "behaviors": [
            {"name": "inclusion exclusion", "instruction": "count the union by adding parts and subtracting overlaps", "topics": ["sets"]},
            {"name": "behavior_verify_small", "instruction": "verify the formula on a tiny case before trusting it", "topics": ["Counting"]},
            {"name": "behavior_bad", "instruction": "line one\nline two"},
            {"name": "!!", "instruction": "a name that normalises to nothing useful"},
            {"name": "behavior_long", "instruction": "x" * 500},
        ]
    }
    llm = ScriptedLLM(["```json\n" + json.dumps(reply) + "\n```"])
    kept, rep = hb.curate("step one\n\nstep two", Outcome(score=1.0, success=True), llm, task="count things", task_id="t5", topic="combinatorics")
    llm.assert_complete()
    prompt = llm.calls[0].prompt
    assert "behavior_inclusion_exclusion: count the union" in prompt and "[1] step two" in prompt and "success" in prompt
    assert rep.merged == ["behavior_inclusion_exclusion"] and rep.added == ["behavior_verify_small"]
    assert len(rep.skipped) == 3
    assert hb.get("behavior_verify_small").topics == ["combinatorics", "counting"]
    assert hb.get("behavior_verify_small").provenance[0].task_id == "t5"


def test_curate_bad_replies_and_empty_trajectories_leave_store_intact(settings):
    hb = _hb(settings)
    hb.add(IE)
    before = {p.name: p.read_bytes() for p in (hb.root / "items").iterdir()}
    with pytest.raises(ValidationFailed, match="empty"):
        hb.curate([], None, ScriptedLLM([]))
    llm = ScriptedLLM(["I think you should be careful.", "{'behaviors': oops"])
    with pytest.raises(StructuredOutputError) as err:
        hb.curate("a step", None, llm)
    assert err.value.raw.startswith("{'behaviors'")
    llm2 = ScriptedLLM(['{"behaviors": [{"instruction": "no name"}]}', '{"behaviors": "nope"}'])
    with pytest.raises(StructuredOutputError, match="behaviors"):
        hb.curate("a step", None, llm2)
    assert {p.name: p.read_bytes() for p in (hb.root / "items").iterdir()} == before


def test_yaml_reply_is_accepted(settings):
    hb = _hb(settings)
    llm = ScriptedLLM(["behaviors:\n  - name: behavior_draw_it\n    instruction: draw a diagram before computing\n"])
    _, rep = hb.curate("a step", None, llm)
    assert rep.added == ["behavior_draw_it"]


def test_history_and_rollback_exact(settings):
    hb = _hb(settings)
    hb.add(IE)
    path = hb.root / "items" / "behavior_inclusion_exclusion.yaml"
    v0 = path.read_bytes()
    hb.add(Behavior(name=IE.name, instruction="x", topics=["sets"]))
    hb.set_state(IE.name, Lifecycle.retired)
    assert [v["version"] for v in hb.versions(IE.name)] == [1, 2]
    hb.rollback(IE.name, 1)
    assert path.read_bytes() == v0
    assert hb.get(IE.name).state == Lifecycle.active and "behavior_inclusion_exclusion" in [r.record.id for r in hb.search("union overlaps", k=3)]


def test_store_protocol_and_lifecycle(settings):
    from agentmem.stores.base import Store

    hb = _hb(settings)
    assert isinstance(hb, Store)
    hb.add(IE)
    hb.add(UNITS)
    hb.set_state(UNITS.name, Lifecycle.retired)
    assert [r.id for r in hb.records()] == [IE.name]
    assert UNITS.name not in [r.record.id for r in hb.search("units check", k=5)]
    hb.record_use(IE.name, 0.5, False)
    assert hb.get_record(IE.name).metadata["uses"] == 1
    with pytest.raises(StoreError):
        hb.record_use("behavior_missing", 1.0, True)


def test_corrupt_file_is_reported_by_name(settings):
    hb = _hb(settings)
    hb.add(IE)
    (hb.root / "items" / "broken.yaml").write_text("name: [unclosed\n")
    # reported by name and skipped: the rest of the handbook stays readable (issue 14)
    assert [b.name for b in hb.all()] == [IE.name]
    assert any("broken.yaml" in p for p in hb.files.problems)
    with pytest.raises(StoreError, match="broken.yaml"):
        hb.get("broken")


def test_oversized_instruction_rejected(settings):
    hb = _hb(settings, max_instruction_chars=20)
    with pytest.raises(ValidationFailed, match="limit 20"):
        hb.add(IE)
    assert hb.all() == []


def test_normalise_name():
    assert normalise_name("Inclusion-Exclusion ") == "behavior_inclusion_exclusion"
    assert normalise_name("behavior_x_y") == "behavior_x_y"
