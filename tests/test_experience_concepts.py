"""ArcMemo concept memory: merge rules field by field, abstraction, selection, relations, history."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import StoreError, StructuredOutputError, ValidationFailed
from agentmem.stores.concepts import Concept, ConceptConfig, ConceptMemory, Parameter, Selection, merge_concepts
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle

RECOLOR = Concept(
    name="recolor objects",
    kind="routine",
    subtype="color transformation",
    output_type="grid",
    parameters=[Parameter(name="mapping", type="dict[int, int]", description="old colour to new colour")],
    description="repaint every object according to a colour rule",
    cues=["shapes stay, colours change", "one colour per object"],
    implementation=["find objects", "paint each object"],
    used_in=["t1"],
)


def _mem(settings, **cfg):
    return ConceptMemory(settings, config=ConceptConfig(**cfg) if cfg else None)


def test_merge_rules_field_by_field():
    new = Concept(
        name="recolor objects",
        kind="structure",  # never redefined
        subtype="other subtype",
        output_type="list",
        parameters=[
            Parameter(name="mapping", type="list", description="a different definition"),
            Parameter(name="background", type="int", description="colour to skip"),
        ],
        description="a second description",
        cues=["one colour per object", "colour depends on size"],
        implementation=["paint each object", "sort objects by size"],
        used_in=["t0"],
    )
    out = merge_concepts(RECOLOR, new, task_id="t2")
    assert out.name == RECOLOR.name and out.kind == "routine"
    assert out.subtype == "color transformation" and out.output_type == "grid"
    assert out.description == RECOLOR.description
    assert out.cues == ["shapes stay, colours change", "one colour per object", "colour depends on size"]
    assert out.implementation == ["find objects", "paint each object", "sort objects by size"]
    assert [(p.name, p.type, p.description) for p in out.parameters] == [
        ("mapping", "dict[int, int]", "old colour to new colour"),
        ("background", "int", "colour to skip"),
    ]
    assert out.used_in == ["t1", "t0", "t2"]
    assert merge_concepts(out, new, task_id="t2").used_in == ["t1", "t0", "t2"]  # idempotent
    assert RECOLOR.used_in == ["t1"]  # inputs untouched


def test_merge_fills_only_empty_fields():
    bare = Concept(name="x", kind="routine", parameters=[Parameter(name="p")])
    out = merge_concepts(bare, Concept(name="x", kind="routine", subtype="s", output_type="grid", description="d", parameters=[Parameter(name="p", type="int", description="pd")]))
    assert (out.subtype, out.output_type, out.description) == ("s", "grid", "d")
    assert (out.parameters[0].type, out.parameters[0].description) == ("int", "pd")


ABSTRACT_REPLY = {
    "concepts": [
        {
            "name": "recolor objects",
            "kind": "routine",
            "description": "should be ignored: first description kept",
            "cues": ["colour depends on size"],
            "implementation": ["sort objects by size"],
            "parameters": [{"name": "background", "type": "int", "description": "colour to skip"}],
            "uses": ["find objects"],
        },
        {"name": "find objects", "kind": "routine", "subtype": "segmentation", "output_type": "list[object]", "description": "connected components of one colour", "cues": ["separate blobs"]},
        {"name": "size ranking", "kind": "structure", "description": "objects ordered by size", "specialises": ["not in memory"]},
        {"name": "broken", "kind": "neither"},
        {"kind": "routine"},
    ]
}


def test_abstract_extends_existing_adds_new_and_records_relations(settings):
    mem = _mem(settings)
    mem.upsert_concept(RECOLOR)
    llm = ScriptedLLM([json.dumps(ABSTRACT_REPLY)])
    stored, rep = mem.abstract(llm, pseudocode="objs = find_objects(g)\nfor o in objs: paint(o)", summary="recolour by size", task_id="t2")
    llm.assert_complete()
    prompt = llm.calls[0].prompt
    assert "### recolor objects" in prompt and "objs = find_objects(g)" in prompt  # memory in context
    assert rep.merged == ["recolor objects"] and rep.added == ["find objects", "size ranking"]
    reasons = " | ".join(s.reason for s in rep.skipped)
    assert "invalid concept" in reasons and "unknown concept 'not in memory'" in reasons and len(rep.skipped) == 3
    rc = mem.get("recolor objects")
    assert rc.description == RECOLOR.description and rc.used_in == ["t1", "t2"]
    assert rc.cues[-1] == "colour depends on size" and [p.name for p in rc.parameters] == ["mapping", "background"]
    assert mem.get("find objects").used_in == ["t2"]
    rel = mem.relations()
    assert ("find objects", "uses", 1.0) in rel.related("recolor objects")
    assert any(k == "often_used_with" for _, k, _ in rel.related("size ranking"))
    saved = json.loads((mem.root / "relations.json").read_text())
    assert {"nodes", "edges"} <= set(saved)  # node-link JSON


def test_abstract_bad_reply_writes_nothing(settings):
    mem = _mem(settings)
    with pytest.raises(ValidationFailed):
        mem.abstract(ScriptedLLM([]), pseudocode=" ", summary="", task_id="t")
    llm = ScriptedLLM(["concepts: [unclosed", "```json\n{\"concepts\": 3}\n```"])
    with pytest.raises(StructuredOutputError):
        mem.abstract(llm, pseudocode="p", summary="s", task_id="t")
    assert mem.all_concepts() == [] and not (mem.root / "relations.json").exists()


def test_oversized_merge_is_skipped_and_file_unchanged(settings):
    mem = _mem(settings, max_item_bytes=900)
    mem.upsert_concept(RECOLOR)
    before = mem.concepts.path("recolor objects").read_bytes()
    reply = {"concepts": [{"name": "recolor objects", "kind": "routine", "implementation": [f"note {i} " + "y" * 60 for i in range(20)]}]}
    _, rep = mem.abstract(ScriptedLLM([json.dumps(reply)]), pseudocode="p", summary="s", task_id="t9")
    assert rep.merged == [] and "limit 900" in rep.skipped[0].reason
    assert mem.concepts.path("recolor objects").read_bytes() == before


def _seeded(settings, **cfg):
    mem = _mem(settings, **cfg)
    mem.upsert_concept(RECOLOR.model_copy(update={"used_in": ["t1", "t2"]}))
    mem.upsert_concept(Concept(name="find objects", kind="routine", description="connected components", used_in=["t1", "t2"]))
    mem.upsert_concept(Concept(name="flood fill", kind="routine", description="fill a region", used_in=["t3"]))
    mem.upsert_concept(Concept(name="mirror grid", kind="routine", description="reflect the grid", used_in=["t4"]))
    mem.add_relation("recolor objects", "find objects", "uses")
    mem.add_relation("find objects", "flood fill", "uses")
    return mem


def test_rendered_memory_lists_rare_concepts_by_name_only(settings):
    mem = _seeded(settings)
    text = mem.render_memory()
    assert "### recolor objects" in text and "### find objects" in text
    assert "### flood fill" not in text and "flood fill, mirror grid" in text
    assert "### flood fill" in mem.render_memory(min_uses_for_full=0)
    mem.record_use("flood fill", 1.0, True)  # a recorded use lifts it over the threshold
    assert "### flood fill" in mem.render_memory()


def test_select_exact_names_unknown_dropped_helpers_pulled(settings):
    mem = _seeded(settings)
    llm = ScriptedLLM(['{"names": ["recolor objects", "Recolour Objects", "mirror grid", "recolor objects"]}'])
    sel = mem.select("colour each blob by its size", llm)
    assert sel.names == ["recolor objects", "mirror grid"]
    assert sel.unknown == ["Recolour Objects"]
    assert sel.helpers == ["find objects", "flood fill"]
    assert "Other concepts" in llm.calls[0].prompt and "colour each blob" in llm.calls[0].prompt
    block = mem.render_selected(sel.all_names)
    assert block.index("### recolor objects") < block.index("### mirror grid") < block.index("### find objects")
    assert "### flood fill" in block


def test_reselection_on_retry_sees_failed_attempt(settings):
    mem = _seeded(settings)
    first = Selection(names=["mirror grid"])
    llm = ScriptedLLM(['{"names": ["recolor objects"]}'])
    sel = mem.select("puzzle", llm, attempt="def transform(g): return g[::-1]", feedback="train pair 1 wrong: colours differ", previous=first)
    prompt = llm.calls[0].prompt
    assert "return g[::-1]" in prompt and "colours differ" in prompt and "made with the concepts mirror grid" in prompt
    assert sel.names == ["recolor objects"]


def test_selection_falls_back_to_embedding_on_bad_reply(settings):
    mem = _seeded(settings)
    sel = mem.select("reflect the grid", ScriptedLLM(["none of them", "still prose"]), fallback_k=1)
    assert sel.method == "embedding_fallback" and sel.names == ["mirror grid"] and "unusable" in sel.note
    with pytest.raises(StructuredOutputError):
        mem.select("reflect the grid", ScriptedLLM(["x", "y"]), fallback_k=None)
    emb = mem.select_by_embedding("connected components", k=1)
    assert emb.names == ["find objects"] and emb.helpers == ["flood fill"]


def test_lessons_open_ended_format(settings):
    mem = _mem(settings)
    llm = ScriptedLLM([json.dumps({"lessons": [{"situation": "the output grid is larger than the input", "suggestion": "look for tiling or scaling"}, {"situation": "", "suggestion": "x"}]})])
    lessons, rep = mem.abstract_lessons(llm, trajectory="tried tiling, it worked", task_id="t7")
    assert len(lessons) == 1 and lessons[0].source == "t7" and len(rep.skipped) == 1
    again, rep2 = mem.abstract_lessons(ScriptedLLM([json.dumps({"lessons": [{"situation": "The output grid is larger than the input", "suggestion": "Look for tiling or scaling"}]})]), trajectory="t", task_id="t8")
    assert rep2.merged == [lessons[0].id] and mem.get_lesson(lessons[0].id).also_from == ["t8"]
    assert "When the output grid is larger" in mem.render_memory()
    assert [r.record.id for r in mem.search("output grid larger than input", k=1)] == [lessons[0].id]


def test_history_rollback_exact_and_lifecycle(settings):
    mem = _mem(settings)
    mem.upsert_concept(RECOLOR)
    path = mem.concepts.path("recolor objects")
    v0 = path.read_bytes()
    mem.upsert_concept(Concept(name="recolor objects", kind="routine", cues=["new cue"]), task_id="t5")
    mem.set_state("recolor objects", Lifecycle.retired)
    assert mem.records() == [] and len(mem.records(include_inactive=True)) == 1
    mem.rollback("recolor objects", 1)
    assert path.read_bytes() == v0 and mem.records()[0].id == "recolor objects"
    with pytest.raises(StoreError, match="no version 9"):
        mem.rollback("recolor objects", 9)


def test_relations_history_rollback_exact(settings):
    mem = _seeded(settings)
    path = mem.root / "relations.json"
    v_before = path.read_bytes()
    mem.add_relation("mirror grid", "flood fill", "often_used_with")
    assert path.read_bytes() != v_before
    last = mem.relation_versions()[-1]["version"]
    mem.rollback_relations(last)
    assert path.read_bytes() == v_before
    assert mem.relations().related("mirror grid") == []


def test_relations_join_existing_concepts_only(settings):
    mem = _seeded(settings)
    with pytest.raises(StoreError, match="no concept 'ghost'"):
        mem.add_relation("recolor objects", "ghost", "uses")
    with pytest.raises(ValidationFailed, match="relation kind"):
        mem.add_relation("recolor objects", "mirror grid", "hates")


def test_store_protocol(settings):
    from agentmem.stores.base import Store

    mem = _seeded(settings)
    assert isinstance(mem, Store)
    rec = mem.get_record("recolor objects")
    assert rec.metadata["format"] == "concept" and "shapes stay" in rec.text
    assert mem.search("reflect the grid", k=1)[0].record.id == "mirror grid"
