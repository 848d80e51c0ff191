"""ArcMemo's protocol with the scripted fake LLM: exact grids, scores, retry with feedback, timeouts, write gate."""

from __future__ import annotations

import pytest

from agentmem.hooks import RecallContext
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.grids import as_grid, describe_mismatch, grids_equal
from agentmem.evals.arc.harness import eval_tasks, run_llm_eval
from agentmem.evals.arc.llm_solver import extract_program
from agentmem.evals.arc.memory import SkillHints, arc_memory
from agentmem.evals.arc.runner import InProcessGridRunner, SubprocessGridRunner
from agentmem.evals.arc.scoring import score_attempts
from agentmem.evals.core import EvalConfig
from agentmem.prompts import PromptLibrary
from agentmem.testing import ScriptedLLM

FLIP = "The rule mirrors left-right.\n```python\ndef transform(grid):\n    return [row[::-1] for row in grid]\n```\n"
IDENTITY = "```python\ndef transform(grid):\n    return grid\n```"
WRONG_SHAPE = "```python\ndef transform(grid):\n    return [row[::-1] for row in grid][:1]\n```"
LOOP = "```python\ndef transform(grid):\n    while True:\n        pass\n```"


def flip_task(tid="t1", tests=((1, 2, 3),)):
    train = [Pair(input=[[1, 2], [3, 4]], output=[[2, 1], [4, 3]]), Pair(input=[[5, 0, 0]], output=[[0, 0, 5]])]
    test = [Pair(input=[list(t)], output=[list(t)[::-1]]) for t in tests]
    return ArcTask(id=tid, train=train, test=test)


def cfg(tmp_path, memory="none", gate="self_verification", attempts=2):
    return EvalConfig(benchmark="arc", model="scripted", memory=memory, write_gate=gate, split="toy", out_dir=tmp_path / "run",
                      options={"solver": "llm", "attempts": attempts})


def test_exact_grid_comparison():
    assert grids_equal([[1, 2]], [[1, 2]])
    assert not grids_equal([[1, 2]], [[1], [2]])
    assert not grids_equal([[1, 2]], [[1, 3]])
    assert not grids_equal(None, [[1]])
    assert as_grid([[1, 2], [3]]) is None and as_grid([[10]]) is None and as_grid([[1.5]]) is None
    assert describe_mismatch([[1, 2]], [[1, 3]]) == "1 of 2 cells differ: (0,1) expected 2 got 3"
    assert describe_mismatch([[1, 2]], [[1], [2]]) == "wrong shape: expected 1x2, got 2x1"


def test_scores_on_hand_checked_cases():
    a, b = [[1]], [[2]]
    # two test outputs: attempt 1 solves the first, attempt 2 the second -> official 1.0, strict 0.0
    s = score_attempts([[a, None], [None, b]], [a, b])
    assert s.official == 1.0 and s.strict == 0.0 and s.solved_tests == [True, True]
    s = score_attempts([[a, a]], [a, b])
    assert s.official == 0.5 and s.strict == 0.0
    s = score_attempts([[b, a], [a, b]], [a, b])
    assert s.official == 1.0 and s.strict == 1.0
    assert score_attempts([], [a]).official == 0.0


def test_extract_program():
    assert "return [row[::-1]" in extract_program(FLIP)
    assert extract_program("no code here") is None
    two = "```python\nx = 1\n```\nthen\n```python\ndef transform(g):\n    return g\n```"
    assert extract_program(two).startswith("def transform")


def test_first_attempt_solves(tmp_path):
    llm = ScriptedLLM([FLIP])
    rep = run_llm_eval(cfg(tmp_path), llm, tasks=eval_tasks("toy", tasks=[flip_task(tests=((1, 2, 3), (4, 5)))]), runner=InProcessGridRunner(), progress=False)
    llm.assert_complete()
    t = rep.tasks[0]
    assert t["score"] == 1.0 and t["metrics"]["strict"] == 1.0 and t["metrics"]["attempts_used"] == 1.0
    assert rep.usage.calls == 1 and rep.usage.total_tokens > 0
    prompt = llm.calls[0].prompt
    assert "def transform" in prompt and "Demonstration 2" in prompt and "Test input 2" in prompt


def test_retry_with_feedback_then_success(tmp_path):
    llm = ScriptedLLM([WRONG_SHAPE, FLIP])
    rep = run_llm_eval(cfg(tmp_path), llm, tasks=eval_tasks("toy", tasks=[flip_task()]), runner=InProcessGridRunner(), progress=False)
    llm.assert_complete()
    feedback = llm.calls[1]["messages"][-1].content
    assert "Demonstration 1: wrong shape: expected 2x2, got 1x2" in feedback
    assert "Demonstrations reproduced correctly: 2" in feedback
    assert llm.calls[1]["messages"][-2].role == "assistant"
    t = rep.tasks[0]
    assert t["score"] == 1.0 and t["metrics"]["attempts_used"] == 2.0
    assert [a["train_ok"] for a in t["detail"]["attempts"]] == [[False, True], [True, True]]


def test_all_attempts_fail_and_any_attempt_counts(tmp_path):
    # attempt 1 (identity) fails the train pairs but the test input is a palindrome, so its test output is right
    pal = flip_task(tests=((7, 1, 7),))
    llm = ScriptedLLM([IDENTITY, "I am not sure."])
    rep = run_llm_eval(cfg(tmp_path), llm, tasks=eval_tasks("toy", tasks=[pal]), runner=InProcessGridRunner(), progress=False)
    t = rep.tasks[0]
    assert t["score"] == 1.0 and t["metrics"]["strict"] == 1.0 and t["metrics"]["train_pass"] == 0.0
    assert "no ```python code block" in t["detail"]["attempts"][1]["errors"][0]


@pytest.mark.slow
def test_timeouts_are_reported_in_feedback_and_metrics(tmp_path):
    llm = ScriptedLLM([LOOP, FLIP])
    task = flip_task()
    solver_cfg = cfg(tmp_path)
    from agentmem.evals.arc.llm_solver import ArcLLMSolver

    solver = ArcLLMSolver(solver_cfg, runner=SubprocessGridRunner(), attempts=2, timeout_s=0.3)
    from agentmem.evals.core import run_eval

    rep = run_eval(solver_cfg, eval_tasks("toy", tasks=[task]), solver.solve, llm=llm, progress=False)
    assert "timed out" in llm.calls[1]["messages"][-1].content
    t = rep.tasks[0]
    assert t["metrics"]["timeouts"] == 3.0 and t["score"] == 1.0


class RecordingHook:
    def __init__(self):
        self.before, self.after = [], []

    def before_task(self, task):
        self.before.append(task.id)
        return RecallContext(text="## Concepts\n- mirror: reverse each row", tokens=7)

    def after_task(self, task, context, trajectory, outcome, run_id):
        self.after.append((task.id, outcome.source, outcome.detail["gate"], [s.kind for s in trajectory]))


def test_write_gate_train_pairs(tmp_path):
    hook = RecordingHook()
    tasks = eval_tasks("toy", tasks=[flip_task("ok"), flip_task("bad")])
    llm = ScriptedLLM([FLIP, IDENTITY, IDENTITY])
    rep = run_llm_eval(cfg(tmp_path, memory="updating"), llm, tasks=tasks, memory=hook, runner=InProcessGridRunner(), progress=False)
    assert hook.before == ["ok", "bad"]
    assert [a[:3] for a in hook.after] == [("ok", "verifier", "self_verification")]  # the failed task writes nothing
    assert hook.after[0][3][0] == "task" and hook.after[0][3][-1] == "final"
    assert "mirror: reverse each row" in llm.calls[0].prompt
    assert rep.metrics["memory_tokens"] == 7.0
    assert [t["detail"]["memory_written"] for t in rep.tasks] == [True, False]


def test_write_gate_oracle_and_frozen(tmp_path):
    hook = RecordingHook()
    # identity passes no train pair; flip passes train but a test label decides the oracle gate
    lying = flip_task("t", tests=((1, 2),))
    lying.test[0].output = [[9, 9]]  # the hidden label disagrees with the train rule
    run_llm_eval(cfg(tmp_path, memory="updating", gate="oracle"), ScriptedLLM([FLIP]), tasks=eval_tasks("toy", tasks=[lying]), memory=hook,
                 runner=InProcessGridRunner(), progress=False)
    assert hook.after == []
    run_llm_eval(cfg(tmp_path / "b", memory="updating", gate="oracle"), ScriptedLLM([FLIP]), tasks=eval_tasks("toy", tasks=[flip_task()]), memory=hook,
                 runner=InProcessGridRunner(), progress=False)
    assert [a[1:3] for a in hook.after] == [("oracle", "oracle")]
    frozen = RecordingHook()
    run_llm_eval(cfg(tmp_path / "c", memory="frozen"), ScriptedLLM([FLIP]), tasks=eval_tasks("toy", tasks=[flip_task()]), memory=frozen,
                 runner=InProcessGridRunner(), progress=False)
    assert frozen.before == ["t1"] and frozen.after == []


def test_skill_hints_in_the_loop(tmp_path, settings):
    memory = arc_memory(settings, skill_hints=SkillHints())
    llm = ScriptedLLM([FLIP])
    rep = run_llm_eval(cfg(tmp_path, memory="frozen"), llm, tasks=eval_tasks("toy", tasks=[flip_task()]), memory=memory, runner=InProcessGridRunner(), progress=False)
    assert "`flip(axis=h)`" in llm.calls[0].prompt
    assert rep.tasks[0]["detail"]["memory_ids"] == ["flip"]


def test_concepts_abstracted_after_a_gated_success_through_the_controller(tmp_path, settings):
    import json

    from agentmem.learning.audit import AuditLog
    from agentmem.stores.concepts import ConceptMemory

    concepts = ConceptMemory(settings)
    reply = {"concepts": [{"name": "mirror rows", "kind": "routine", "description": "reverse every row of the grid", "cues": ["the output mirrors the input left-right"],
                           "implementation": ["row[::-1] for each row"]}]}
    writer = ScriptedLLM([json.dumps(reply)])
    memory = arc_memory(settings, concepts=concepts, llm=writer, concept_selection="embedding")
    run_llm_eval(cfg(tmp_path, memory="updating"), ScriptedLLM([FLIP]), tasks=eval_tasks("toy", tasks=[flip_task()]), memory=memory,
                 runner=InProcessGridRunner(), progress=False)
    writer.assert_complete()
    assert "row[::-1]" in writer.calls[0].prompt and "mirrors left-right" in writer.calls[0].prompt  # program and summary reach the abstraction prompt
    stored = concepts.get("mirror rows")
    assert stored is not None and stored.used_in == ["t1"] and stored.provenance[-1].run_id.startswith("arc-")
    rows = [r for r in AuditLog(settings.paths.home / "audit.sqlite").entries() if r.kind == "add_concepts"]
    assert [(r.status, r.task_id, r.write_gate) for r in rows] == [("applied", "t1", "self_verification")] and rows[0].run_id.startswith("arc-")


def test_no_concepts_written_when_the_gate_is_closed(tmp_path, settings):
    from agentmem.stores.concepts import ConceptMemory

    concepts = ConceptMemory(settings)
    writer = ScriptedLLM([])
    memory = arc_memory(settings, concepts=concepts, llm=writer, concept_selection="embedding")
    run_llm_eval(cfg(tmp_path, memory="updating"), ScriptedLLM(["no program here", "still none"]), tasks=eval_tasks("toy", tasks=[flip_task()]), memory=memory,
                 runner=InProcessGridRunner(), progress=False)
    assert writer.calls == [] and concepts.get("mirror rows") is None


def test_prompt_templates_render_with_typed_inputs():
    p = PromptLibrary()
    assert "2 second" in p.render("arc_system.j2", timeout_s=2.0)
    text = p.render("arc_task.j2", task_id="x", memory="MEM", pairs=[{"input": [[1]], "output": [[2]], "input_text": "1", "output_text": "2"}],
                    test_inputs=[{"grid": [[3]], "text": "3"}])
    assert text.startswith("MEM") and "Demonstration 1" in text and "Test input 1 (1x1)" in text
    fb = p.render("arc_feedback.j2", attempt=1, max_attempts=2, failures=[{"index": 1, "problem": "timed out", "got_text": "", "expected_text": ""}], passed=[2])
    assert "Demonstration 1: timed out" in fb and "attempt 1 of 2" in fb
    hints = p.render("arc_skill_hints.j2", verified={"program": "flip(axis=h)", "code": "def transform(g): ..."}, menu=[{"name": "rotate", "description": "turn"}])
    assert "flip(axis=h)" in hints and "- rotate: turn" in hints


def test_environment_adapter():
    from agentmem.environment import Environment
    from agentmem.evals.arc.env import ArcEnvironment

    env = ArcEnvironment([flip_task()], runner=InProcessGridRunner())
    assert isinstance(env, Environment)
    spec = env.reset()
    assert spec.id == "t1" and "submit_program" in spec.instruction and [t.name for t in env.tools()] == ["submit_program"]
    obs = env.step("submit_program", {"code": extract_program(IDENTITY)})
    assert not obs.done and "Demonstration 1: 4 of 4 cells differ" in obs.text
    obs = env.step("submit_program", {"code": extract_program(FLIP)})
    assert obs.done and obs.reward == 1.0
    out = env.evaluate(None)
    assert out.score == 1.0 and out.detail["strict"] == 1.0


def test_cli_eval_arc_skills_and_compare(tmp_path, home):
    import json

    from typer.testing import CliRunner

    from agentmem.cli import app

    r = CliRunner().invoke(app, ["eval", "arc", "--solver", "skills", "--split", "eval100", "--limit", "1", "--out", str(tmp_path / "a"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["n_tasks"] == 1 and data["config"]["split"] == "eval100" and data["config"]["options"]["solver"] == "skills"
    r = CliRunner().invoke(app, ["eval", "arc", "--solver", "llm", "--limit", "1"])
    assert r.exit_code == 2 and "needs --model" in r.output
    r = CliRunner().invoke(app, ["eval", "arc", "--split", "nope", "--limit", "1", "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "nope" in r.output
