"""The controller over the real SkillLibrary: learned skills, quarantine until tests pass, rollback, CLI wiring."""

from __future__ import annotations

import json

from agentmem.environment import TaskSpec
from agentmem.learning.controller import ControllerConfig, ReflectiveController
from agentmem.learning.learners import skill_reviser
from agentmem.learning.snapshots import scan_root
from agentmem.learning.store_appliers import skill_test_verifier
from agentmem.learning.wiring import open_memory
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle, Outcome

PLAYBOOK = {
    "kind": "add_skill", "name": "count-words", "description": "Count the words of a text file. Use when asked how many words a file has.",
    "body": "Run scripts/run.py FILE and report the number it prints.", "playbook": True,
    "files": {"scripts/run.py": "import sys\nprint(len(open(sys.argv[1]).read().split()))\n",
              "scripts/test_run.py": "import contextlib, io, pathlib, runpy, sys\npathlib.Path('t.txt').write_text('a b c')\nsys.argv = ['scripts/run.py', 't.txt']\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n    runpy.run_path('scripts/run.py', run_name='__main__')\nassert buf.getvalue().strip() == '3', buf.getvalue()\n"},
    "reason": "counted words by hand and got it wrong",
}


def _tree(state):
    return {n: scan_root(r) for n, r in state.roots().items()}


def test_learned_playbook_skill_is_quarantined_then_activated_by_its_tests(settings):
    state, registry = open_memory(settings)
    lib = state.stores["skills"]
    knowledge = dict(kind="add_skill", name="cite-sources", description="Cite the source of every fact. Use when answering questions from documents.", body="Name the document and line for each fact.", reason="unsupported claim")
    llm = ScriptedLLM([json.dumps({"edits": [PLAYBOOK, knowledge]}), json.dumps({"edits": [{"kind": "revise_skill", "item_id": "cite-sources", "body": "Name the document, page and line for each fact.", "reason": "pages matter"}]})])
    ctl = ReflectiveController(state, settings.home, registry=registry, learners=[skill_reviser(llm)], config=ControllerConfig(mode="updating", write_gate="train_labels"))
    before = ctl.snapshot("before")
    tree_before = _tree(state)

    task = TaskSpec(id="t1", instruction="how many words are in notes.txt?", metadata={"split": "train"})
    rep = ctl.after_task(task, ctl.before_task(task), ["action: guessed 12"], Outcome(score=1.0, success=True), "run-1")
    assert {a.item_ids[0]: a.state for a in rep.apply.applied if a.kind == "add_skill"} == {"count-words": Lifecycle.quarantined, "cite-sources": Lifecycle.active}
    assert lib.state("count-words") == Lifecycle.quarantined
    assert lib.get("count-words").metadata["trust"] == "learned" and lib.get("count-words").metadata["run_id"] == "run-1"
    assert "count-words" not in [r.id for r in lib.records()]

    rep2 = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True), "run-2")
    assert [a.kind for a in rep2.apply.applied if a.kind != "update_utility"] == ["revise_skill"]
    assert "page" in lib.get("cite-sources").body

    verified = ctl.verify_quarantined(skill_test_verifier(lib))
    assert [a.item_ids for a in verified.applied] == [["count-words"]]
    assert lib.state("count-words") == Lifecycle.active
    assert ctl.why("skills/count-words").written_by[0]["run_id"] == "run-1"

    ctl.rollback(before.id)
    assert _tree(state) == tree_before
    assert lib.find("count-words") is None and lib.find("cite-sources") is None


def test_skill_edits_that_fail_validation_are_refused_with_the_reason(settings):
    state, registry = open_memory(settings)
    bad = [
        {"kind": "add_skill", "name": "no-scripts-folder", "description": "d", "body": "b", "files": {"run.py": "print(1)"}},
        {"kind": "revise_skill", "item_id": "does-not-exist", "body": "x"},
    ]
    ctl = ReflectiveController(state, settings.home, registry=registry, learners=[skill_reviser(ScriptedLLM([json.dumps({"edits": bad})]))], config=ControllerConfig(mode="updating", write_gate="train_labels"))
    task = TaskSpec(id="t", instruction="x", metadata={"split": "train"})
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True), "r")
    reasons = {r.item_id: r.reason for r in rep.apply.refused}
    assert "scripts/" in reasons["no-scripts-folder"] and "no such skill" in reasons["does-not-exist"]


def test_dry_run_on_the_skill_library_changes_nothing(settings):
    state, registry = open_memory(settings)
    ctl = ReflectiveController(state, settings.home, registry=registry, config=ControllerConfig(mode="frozen"))
    from agentmem.learning.edits import AddSkill

    tree = _tree(state)
    rep = ctl.apply([AddSkill(name="new-skill", description="Does a thing. Use when a thing is needed.", body="Do the thing.")], dry_run=True)
    assert _tree(state) == tree and state.stores["skills"].find("new-skill") is None
    assert "skills/new-skill/SKILL.md (added)" in rep.render() and "+Do the thing." in rep.render()


def test_playbook_with_failing_tests_stays_quarantined(settings):
    state, registry = open_memory(settings)
    lib = state.stores["skills"]
    broken = dict(PLAYBOOK, name="count-words-broken", files={**PLAYBOOK["files"], "scripts/run.py": "print(0)\n"})
    ctl = ReflectiveController(state, settings.home, registry=registry, learners=[skill_reviser(ScriptedLLM([json.dumps({"edits": [broken]})]))],
                               config=ControllerConfig(mode="updating", write_gate="train_labels"))
    task = TaskSpec(id="t1", instruction="how many words?", metadata={"split": "train"})
    ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True), "run-1")
    assert lib.state("count-words-broken") == Lifecycle.quarantined
    assert ctl.verify_quarantined(skill_test_verifier(lib)).applied == []
    assert lib.state("count-words-broken") == Lifecycle.quarantined
