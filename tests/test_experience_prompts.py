"""Every experience-store prompt renders with typed inputs (StrictUndefined catches missing ones)."""

from __future__ import annotations

import pytest

from agentmem.errors import ConfigError
from agentmem.prompts import PromptLibrary
from agentmem.stores.behaviors import Behavior
from agentmem.stores.concepts import Concept, Lesson, Parameter
from agentmem.stores.subroutines import Subroutine
from agentmem.types import Outcome

LIB = PromptLibrary()
B = Behavior(name="behavior_check_units", instruction="check units at every step", topics=["physics"])
C = Concept(name="recolor objects", kind="routine", subtype="color", output_type="grid", parameters=[Parameter(name="mapping", type="dict", description="old to new")], description="repaint objects", cues=["same shapes"], implementation=["paint"])
L = Lesson(id="lesson-1", situation="the grid grows", suggestion="look for tiling", source="t1")
S = Subroutine(id="sr-0", subquestion="choose k of n", subroutine="binomial coefficient")


def test_behavior_curation():
    text = LIB.render("behavior_curation.j2", task="count sets", steps=["a", "b"], outcome=Outcome(score=0.0, success=False), existing=[B], max_behaviors=3)
    assert "[1] b" in text and "failure" in text and "behavior_check_units: check units" in text and "At most 3" in text
    bare = LIB.render("behavior_curation.j2", task="", steps=["a"], outcome=None, existing=[], max_behaviors=2)
    assert "Outcome" not in bare and "already in the handbook" not in bare


def test_behavior_conditioned():
    assert "- behavior_check_units: check units at every step" in LIB.render("behavior_conditioned.j2", behaviors=[B])
    assert LIB.render("behavior_conditioned.j2", behaviors=[]).strip() == ""


def test_concept_memory_and_selection_and_abstraction():
    mem = LIB.render("concept_memory.j2", concepts=[C], brief=[C.model_copy(update={"name": "flood fill"})], lessons=[L], related={"recolor objects": [("find objects", "uses", 1.0)]})
    assert "### recolor objects" in mem and "- mapping (dict): old to new" in mem and "uses find objects" in mem
    assert "flood fill" in mem and "When the grid grows: look for tiling" in mem
    sel = LIB.render("concept_selection.j2", task="puzzle", memory=mem, attempt="", feedback="", previous=[], max_selected=5)
    assert "previous attempt" not in sel and "at most 5" in sel
    retry = LIB.render("concept_selection.j2", task="puzzle", memory="", attempt="code", feedback="wrong", previous=["a"], max_selected=5)
    assert "(empty)" in retry and "made with the concepts a" in retry and "wrong" in retry
    ab = LIB.render("concept_abstraction.j2", task="", pseudocode="p()", summary="sum", memory=mem)
    assert "p()" in ab and "### recolor objects" in ab
    les = LIB.render("lesson_abstraction.j2", task="t", trajectory="did x", outcome_note="solved", lessons=[L])
    assert "did x" in les and "do not repeat" in les


def test_subroutine_prompts():
    dec = LIB.render("subroutine_decomposition.j2", task="", steps=["first", "second"])
    assert "[0] first" in dec and '"pairs"' in dec
    sysp = LIB.render("subroutine_reasoning.j2", open_tag="<q>", close_tag="</q>", insert_open="<s>", insert_close="</s>", answer_open="<a>", answer_close="</a>")
    assert "<q>your question</q>" in sysp and "<a>answer</a>" in sysp
    ins = LIB.render("subroutine_insert.j2", pairs=[S], open="<s>", close="</s>")
    assert ins.startswith("<s>") and "binomial coefficient" in ins and ins.strip().endswith("</s>")


def test_missing_variable_is_an_error():
    with pytest.raises(ConfigError, match="behavior_conditioned"):
        LIB.render("behavior_conditioned.j2")
